//! Importing a directory: walked in parallel (each directory's entries on
//! rayon), each regular file read once, hashed and staged.

use std::fs::{self, DirEntry, File};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::Store;
use crate::error::{Rejection, Result, StoreError, io_err};
use crate::id::Hash;
use crate::id::ObjectId;
use crate::import::cache::{Cache, Stat};
use crate::import::node::{Node, Targets, show};
use crate::import::{Batch, ImportOptions, Staged};
use crate::object::{self, LARGE, ObjectKind};
use crate::tree::EntryKind;

struct Walk<'b, 's> {
    batch: &'b Batch<'s>,
    options: &'b ImportOptions,
    rejections: Mutex<Vec<Rejection>>,
    skipped: Mutex<Vec<Rejection>>,
    targets: Mutex<Targets>,
    files: std::sync::atomic::AtomicU64,
    /// With `consume`, the device of the store: files there are adopted.
    adopt_on: Option<u64>,
    cache: Cache,
}

pub(crate) fn stage<'s>(
    store: &'s Store,
    root: &Path,
    options: &ImportOptions,
) -> Result<Staged<'s>> {
    let batch = Batch::new(store)?;
    let walk = Walk {
        batch: &batch,
        options,
        rejections: Mutex::default(),
        skipped: Mutex::default(),
        targets: Mutex::default(),
        files: Default::default(),
        adopt_on: match options.consume {
            true => Some(
                fs::metadata(store.root())
                    .map_err(io_err("read", store.root()))?
                    .dev(),
            ),
            false => None,
        },
        // A consumed directory will not be seen again.
        cache: if options.consume {
            Cache::none()
        } else {
            Cache::load(store, root)
        },
    };
    let tree = walk.dir(root, b"")?;
    let targets = walk.targets.into_inner().expect("no panics while held");
    let mut rejections = walk.rejections.into_inner().expect("no panics while held");
    rejections.extend(tree.escaping_symlinks(&targets));
    if !rejections.is_empty() {
        rejections.sort_by(|a, b| a.entry.cmp(&b.entry));
        return Err(StoreError::Unsafe {
            from: root.display().to_string(),
            rejections,
        });
    }
    let (id, bytes) = tree.write(&batch)?;
    let Walk {
        files,
        skipped,
        cache,
        ..
    } = walk;
    let (files, skipped) = (
        files.into_inner(),
        skipped.into_inner().expect("no panics while held"),
    );
    Ok(Staged {
        batch,
        tree: id,
        files,
        bytes,
        skipped,
        cache: Some(cache),
    })
}

impl Walk<'_, '_> {
    fn dir(&self, path: &Path, rel: &[u8]) -> Result<Node> {
        let entries: Vec<DirEntry> = fs::read_dir(path)
            .and_then(|d| d.collect())
            .map_err(io_err("read the directory", path))?;
        let children = entries
            .par_iter()
            .map(|e| self.entry(e, rel))
            .collect::<Result<Vec<_>>>()?;
        Ok(Node::Dir(children.into_iter().flatten().collect()))
    }

    fn entry(&self, e: &DirEntry, rel: &[u8]) -> Result<Option<(Vec<u8>, Node)>> {
        let name = e.file_name().as_bytes().to_vec();
        let mut entry_rel = rel.to_vec();
        if !entry_rel.is_empty() {
            entry_rel.push(b'/');
        }
        entry_rel.extend_from_slice(&name);
        let path = e.path();
        let ft = e.file_type().map_err(io_err("read", &path))?;
        let node = if ft.is_dir() {
            self.dir(&path, &entry_rel)?
        } else if ft.is_file() {
            let meta = e.metadata().map_err(io_err("read", &path))?;
            let stat = Stat::of(&meta);
            let cached = self
                .cache
                .lookup(&entry_rel, &stat)
                .filter(|(_, id)| self.batch.has_object(id));
            let (kind, id, size) = match cached {
                Some((kind, id)) => (kind, id, meta.len()),
                None => self.file(&path, &meta)?,
            };
            self.cache.record(entry_rel, stat, kind, id);
            let (kind, hash) = (EntryKind::of_object(kind), id.0);
            self.files
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Node::Leaf { kind, hash, size }
        } else if ft.is_symlink() {
            let target = fs::read_link(&path).map_err(io_err("read the symlink", &path))?;
            let target = target.as_os_str().as_bytes().to_vec();
            let id = self.batch.add_bytes(ObjectKind::Symlink, &target)?;
            let size = target.len() as u64;
            self.targets
                .lock()
                .expect("no panics while held")
                .insert(id.0, target);
            self.files
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Node::Leaf {
                kind: EntryKind::Symlink,
                hash: id.0,
                size,
            }
        } else {
            let what = if ft.is_block_device() {
                "a block device node"
            } else if ft.is_char_device() {
                "a character device node"
            } else if ft.is_fifo() {
                "a FIFO"
            } else {
                "a socket"
            };
            let r = Rejection {
                entry: show(&entry_rel),
                reason: what.to_string(),
            };
            let list = if self.options.allow_devices {
                &self.skipped
            } else {
                &self.rejections
            };
            list.lock().expect("no panics while held").push(r);
            return Ok(None);
        };
        Ok(Some((name, node)))
    }

    /// Reads, hashes and stages one regular file (`meta` from the walk's
    /// `lstat`), never following a symlink swapped in since.
    fn file(&self, path: &Path, meta: &fs::Metadata) -> Result<(ObjectKind, ObjectId, u64)> {
        let mut f = File::options()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
            .map_err(io_err("open", path))?;
        let kind = if meta.mode() & 0o111 != 0 {
            ObjectKind::Exec
        } else {
            ObjectKind::File
        };
        if self.adopt_on == Some(meta.dev()) && meta.nlink() == 1 {
            let (id, size) = if meta.len() >= LARGE {
                let mut h = object::hasher(kind);
                h.update_mmap_rayon(path).map_err(io_err("read", path))?;
                (ObjectId(Hash(*h.finalize().as_bytes())), meta.len())
            } else {
                let buf = read_all(&mut f, meta.len(), path)?;
                (kind.id(&buf), buf.len() as u64)
            };
            object::normalize(&f, path, kind)?;
            self.batch.adopt(id, path);
            return Ok((kind, id, size));
        }
        let (id, size) = if meta.len() >= LARGE {
            self.batch.add_large(kind, path)?
        } else {
            let buf = read_all(&mut f, meta.len(), path)?;
            (self.batch.add_bytes(kind, &buf)?, buf.len() as u64)
        };
        Ok((kind, id, size))
    }
}

/// Reads a file of (about) `len` bytes: one `read` for a file that did
/// not grow since it was measured, where `read_to_end` makes three calls.
fn read_all(f: &mut File, len: u64, path: &Path) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len as usize + 1];
    let mut filled = 0;
    loop {
        let n = f.read(&mut buf[filled..]).map_err(io_err("read", path))?;
        filled += n;
        if n == 0 || filled < buf.len() && filled as u64 >= len {
            break;
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    buf.truncate(filled);
    Ok(buf)
}
