//! Export of an artifact as one deterministic `tar.zst` per output, and
//! import that verifies it.
//!
//! Each archive starts with `.grove-artifact` (the export manifest: the
//! output's name and the artifact record) and, if the build has a log,
//! `.grove-log`; then the output tree in tree order (depth first, names
//! sorted bytewise), with mtime from `SOURCE_DATE_EPOCH` (or 0), uid and
//! gid 0, no user or group names, modes 0644/0755 (files), 0755 (dirs),
//! 0777 (symlinks). zstd level 3, checksummed. The same artifact always
//! gives the same bytes.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

use crate::artifact::Artifact;
use crate::error::{Result, StoreError, io_err};
use crate::id::{DrvId, Hash, LogId, TreeId};
use crate::import::{ImportOptions, stage_tar};
use crate::object::hasher;
use crate::tree::EntryKind;
use crate::{Store, fsutil, text};

/// zstd's worker threads for export. zstd's multi-threaded output depends
/// only on workers being on (>= 1), not on how many, so this may change
/// without changing a byte (`tests::zstd_output_does_not_depend_on_workers`).
const EXPORT_WORKERS: u32 = 2;

pub const MANIFEST_ENTRY: &str = ".grove-artifact";
pub const LOG_ENTRY: &str = ".grove-log";
const MAGIC: &str = "grove-export 1";

/// What `import_artifact` did.
#[derive(Debug, Clone)]
pub struct ImportedArtifact {
    pub drv: DrvId,
    pub output: String,
    pub tree: TreeId,
    /// Outputs of the artifact whose trees are not in the store yet; the
    /// artifact record is written once this is empty.
    pub missing: Vec<String>,
    /// Whether this import wrote the artifact record.
    pub recorded: bool,
}

impl Store {
    /// Writes one `tar.zst` per output of the artifact of `drv` into
    /// `dir`; returns their paths.
    pub fn export_artifact(&self, drv: &DrvId, dir: &Path, epoch: u64) -> Result<Vec<PathBuf>> {
        let artifact = self.artifact(drv)?.ok_or(StoreError::NotFound {
            what: "artifact",
            id: drv.to_hex(),
        })?;
        let log = artifact.log.map(|l| self.read_log(&l)).transpose()?;
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let mut out = Vec::new();
        for o in &artifact.outputs {
            let dest = dir.join(artifact.file_name(&o.name));
            let tmp = fsutil::temp_path(dir, ".grove-export");
            let result = self.write_export(&artifact, &o.name, o.tree, log.as_deref(), epoch, &tmp);
            if let Err(e) = result.and_then(|()| fsutil::rename_durably(&tmp, &dest)) {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
            out.push(dest);
        }
        Ok(out)
    }

    fn write_export(
        &self,
        a: &Artifact,
        output: &str,
        tree: TreeId,
        log: Option<&[u8]>,
        epoch: u64,
        path: &Path,
    ) -> Result<()> {
        let file = File::create(path).map_err(io_err("create", path))?;
        // Stages on threads, like `tar | zstd -3`: this one reads objects
        // and writes tar, the compressor runs zstd's own workers.
        let (send, recv) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let compressor = std::thread::spawn(move || -> std::io::Result<File> {
            let mut zst =
                zstd::stream::write::Encoder::new(BufWriter::with_capacity(1 << 20, file), 3)?;
            zst.include_checksum(true)?;
            zst.multithread(EXPORT_WORKERS)?;
            for chunk in recv {
                zst.write_all(&chunk)?;
            }
            let file = zst.finish()?.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok(file)
        });
        let written = (|| {
            let mut tar = tar::Builder::new(BufWriter::with_capacity(1 << 20, Chunks(send)));
            let manifest = format!("{MAGIC}\noutput {}\n{}", text::escape(output), a.encode());
            let t = Tar {
                store: self,
                epoch,
                path,
            };
            t.data(
                &mut tar,
                MANIFEST_ENTRY.as_bytes(),
                0o644,
                manifest.as_bytes(),
            )?;
            if let Some(log) = log {
                t.data(&mut tar, LOG_ENTRY.as_bytes(), 0o644, log)?;
            }
            t.tree(&mut tar, tree, &mut Vec::new())?;
            let buf = tar.into_inner().map_err(io_err("write", path))?;
            buf.into_inner()
                .map_err(|e| io_err("write", path)(e.into_error()))?;
            Ok(())
        })();
        // The sender is gone either way, so the compressor finishes.
        let compressed = compressor.join().expect("the compressor does not panic");
        // A compressor that failed (disk full) is the cause of any error here.
        compressed.map_err(io_err("write", path))?;
        written
    }

    /// Imports one exported output, verifying its content against the
    /// manifest inside; nothing is kept if it does not verify.
    pub fn import_artifact(&self, path: &Path) -> Result<ImportedArtifact> {
        self.import_artifact_with(path, &ImportOptions::default())
    }

    /// [`Store::import_artifact`] with the import checks `options` relax
    /// (absolute symlinks, for an artifact that is a sysroot).
    pub fn import_artifact_with(
        &self,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<ImportedArtifact> {
        let verify = |detail: String| StoreError::Verify {
            path: path.to_path_buf(),
            detail,
        };
        let file = File::open(path).map_err(io_err("open", path))?;
        let specials: [&[u8]; 2] = [MANIFEST_ENTRY.as_bytes(), LOG_ENTRY.as_bytes()];
        let (staged, found) = stage_tar(self, file, path, options, &specials)?;
        let manifest = found
            .iter()
            .find(|(n, _)| n == MANIFEST_ENTRY.as_bytes())
            .map(|(_, b)| b);
        let manifest =
            manifest.ok_or_else(|| verify(format!("it does not start with `{MANIFEST_ENTRY}`")))?;
        let manifest = std::str::from_utf8(manifest)
            .map_err(|_| verify("the manifest is not UTF-8".into()))?;
        let (output, artifact) =
            parse_manifest(manifest).map_err(|d| verify(format!("bad manifest: {d}")))?;
        let expected = artifact
            .output(&output)
            .ok_or_else(|| verify(format!("the manifest has no output `{output}`")))?;
        if staged.tree != expected.tree {
            return Err(verify(format!(
                "its files hash to tree {}, the manifest says {}",
                staged.tree, expected.tree
            )));
        }
        let log = found
            .iter()
            .find(|(n, _)| n == LOG_ENTRY.as_bytes())
            .map(|(_, b)| b);
        match (artifact.log, log) {
            (Some(id), Some(text)) if LogId(Hash::of(crate::log::LOG_DOMAIN, text)) == id => {}
            (None, None) => {}
            _ => return Err(verify("its build log does not match the manifest".into())),
        }
        staged.commit()?;
        if let Some(text) = log {
            self.put_log(text)?;
        }
        let missing: Vec<String> = artifact
            .outputs
            .iter()
            .filter(|o| !self.has_tree(&o.tree))
            .map(|o| o.name.clone())
            .collect();
        let recorded = missing.is_empty() && self.put_artifact(artifact.clone())?;
        Ok(ImportedArtifact {
            drv: artifact.drv,
            output,
            tree: expected.tree,
            missing,
            recorded,
        })
    }
}

fn parse_manifest(text: &str) -> Result<(String, Artifact), String> {
    let rest = text
        .strip_prefix(MAGIC)
        .and_then(|r| r.strip_prefix("\noutput "))
        .ok_or("no `grove-export 1` header")?;
    let (output, record) = rest.split_once('\n').ok_or("no artifact record")?;
    let output = text::unescape(output).ok_or("bad output name")?;
    Ok((output, Artifact::decode(record)?))
}

struct Tar<'a> {
    store: &'a Store,
    epoch: u64,
    path: &'a Path,
}

impl Tar<'_> {
    fn header(&self, kind: EntryType, mode: u32, size: u64) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(self.epoch);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    fn data<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        name: &[u8],
        mode: u32,
        bytes: &[u8],
    ) -> Result<()> {
        let mut h = self.header(EntryType::Regular, mode, bytes.len() as u64);
        tar.append_data(&mut h, as_path(name), bytes)
            .map_err(io_err("write", self.path))
    }

    fn tree<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        id: TreeId,
        prefix: &mut Vec<u8>,
    ) -> Result<()> {
        let tree = self.store.read_tree(&id)?;
        for e in tree.entries() {
            let len = prefix.len();
            prefix.extend_from_slice(&e.name);
            if len == 0 && (e.name == MANIFEST_ENTRY.as_bytes() || e.name == LOG_ENTRY.as_bytes()) {
                return Err(StoreError::BadMetadata {
                    field: "output",
                    value: String::from_utf8_lossy(&e.name).into_owned(),
                    why: "an output tree cannot have this name at its top: it is reserved for the export manifest",
                });
            }
            match e.kind {
                EntryKind::Dir => {
                    prefix.push(b'/');
                    let mut h = self.header(EntryType::Directory, 0o755, 0);
                    tar.append_data(&mut h, as_path(prefix), std::io::empty())
                        .map_err(io_err("write", self.path))?;
                    self.tree(tar, TreeId(e.hash), prefix)?;
                }
                EntryKind::Symlink => {
                    let (_, target) = self
                        .store
                        .read_object(&e.object().expect("a symlink is an object"))?;
                    let mut h = self.header(EntryType::Symlink, 0o777, 0);
                    tar.append_link(&mut h, as_path(prefix), as_path(&target))
                        .map_err(io_err("write", self.path))?;
                }
                EntryKind::File | EntryKind::Exec => {
                    let id = e.object().expect("a file is an object");
                    let obj = self.store.object_path(&id);
                    let file = File::open(&obj).map_err(io_err("read", &obj))?;
                    let mode = if e.kind == EntryKind::Exec {
                        0o755
                    } else {
                        0o644
                    };
                    let kind = e.kind.object_kind().expect("a file is an object");
                    let mut h = self.header(EntryType::Regular, mode, e.size);
                    let mut reader = Verifying {
                        inner: file.take(e.size),
                        hasher: hasher(kind),
                    };
                    tar.append_data(&mut h, as_path(prefix), &mut reader)
                        .map_err(io_err("write", self.path))?;
                    if reader.finish() != id.0 {
                        return Err(crate::error::corrupt(
                            "object",
                            &obj,
                            "its content does not hash to its name",
                        ));
                    }
                }
            }
            prefix.truncate(len);
        }
        Ok(())
    }
}

/// Sends whole buffers to the compressing thread.
struct Chunks(std::sync::mpsc::SyncSender<Vec<u8>>);

impl Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .send(buf.to_vec())
            .map_err(|_| std::io::Error::other("the compressor stopped"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hashes what passes through, so exported content is checked as it goes.
struct Verifying<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for Verifying<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R> Verifying<R> {
    fn finish(&self) -> Hash {
        Hash(*self.hasher.finalize().as_bytes())
    }
}

fn as_path(bytes: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}
