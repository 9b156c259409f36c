//! Importing a tar archive, streamed entry by entry. Compression is
//! recognized by magic bytes: gzip, bzip2, xz, zstd, or none.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use tar::EntryType;

use crate::Store;
use crate::error::{Rejection, Result, StoreError};
use crate::id::Hash;
use crate::import::node::{Node, Targets, components, show};
use crate::import::{Batch, ImportOptions, Staged};
use crate::object::ObjectKind;
use crate::tree::EntryKind;

/// A leading entry taken out of the tree: its name and content.
pub(crate) type Special = (Vec<u8>, Vec<u8>);

/// Stages the archive in `file` as a tree. Leading entries named exactly
/// as one of `specials` are taken out of the tree and returned.
pub(crate) fn stage<'s>(
    store: &'s Store,
    file: File,
    path: &Path,
    options: &ImportOptions,
    specials: &[&[u8]],
) -> Result<(Staged<'s>, Vec<Special>)> {
    let bad = |detail: String| StoreError::BadArchive {
        path: path.to_path_buf(),
        detail,
    };
    let reader = decompress(file).map_err(|e| bad(e.to_string()))?;
    let mut archive = tar::Archive::new(reader);
    let batch = Batch::new(store)?;
    let mut state = State {
        batch: &batch,
        options,
        root: Node::new_dir(),
        targets: Targets::new(),
        rejections: Vec::new(),
        skipped: Vec::new(),
        files: 0,
    };
    let mut found = Vec::new();
    let mut seen = 0usize;
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        seen += 1;
        let raw = entry.path_bytes().into_owned();
        if seen == found.len() + 1 && specials.contains(&raw.as_slice()) {
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| bad(e.to_string()))?;
            found.push((raw, bytes));
            continue;
        }
        state.entry(&raw, &mut entry).map_err(|e| match e {
            StoreError::Io { error, .. } => bad(format!("entry `{}`: {error}", show(&raw))),
            e => e,
        })?;
    }
    if seen == 0 {
        return Err(bad("it holds no tar entries".into()));
    }
    let State {
        root,
        targets,
        mut rejections,
        skipped,
        files,
        ..
    } = state;
    rejections.extend(root.escaping_symlinks(&targets, options.allow_absolute_symlinks));
    if !rejections.is_empty() {
        return Err(StoreError::Unsafe {
            from: path.display().to_string(),
            rejections,
        });
    }
    let (tree, bytes) = root.write(&batch)?;
    Ok((
        Staged {
            batch,
            tree,
            files,
            bytes,
            skipped,
            cache: None,
        },
        found,
    ))
}

struct State<'b, 's> {
    batch: &'b Batch<'s>,
    options: &'b ImportOptions,
    root: Node,
    targets: Targets,
    rejections: Vec<Rejection>,
    skipped: Vec<Rejection>,
    files: u64,
}

impl State<'_, '_> {
    fn reject(&mut self, raw: &[u8], reason: impl Into<String>) {
        self.rejections.push(Rejection {
            entry: show(raw),
            reason: reason.into(),
        });
    }

    fn entry(&mut self, raw: &[u8], entry: &mut tar::Entry<'_, impl Read>) -> Result<()> {
        let comps = match components(raw) {
            Ok(c) => c,
            Err(why) => {
                self.reject(raw, why);
                return Ok(());
            }
        };
        let kind = entry.header().entry_type();
        if comps.is_empty() {
            if !kind.is_dir() {
                self.reject(
                    raw,
                    "the entry names the root of the archive but is not a directory",
                );
            }
            return Ok(());
        }
        // Once something is refused, nothing more is written: the rest is
        // only checked, so that every bad entry is named.
        let writing = self.rejections.is_empty();
        let node = match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mode = entry.header().mode().unwrap_or(0o644);
                let kind = if mode & 0o111 != 0 {
                    ObjectKind::Exec
                } else {
                    ObjectKind::File
                };
                self.files += 1;
                let (hash, size) = if writing {
                    let (id, size) = self.batch.add_stream(kind, entry)?;
                    (id.0, size)
                } else {
                    (Hash([0; 32]), 0)
                };
                Node::Leaf {
                    kind: EntryKind::of_object(kind),
                    hash,
                    size,
                }
            }
            EntryType::Directory => Node::new_dir(),
            EntryType::Symlink => {
                let Some(target) = entry.link_name_bytes().map(|t| t.into_owned()) else {
                    self.reject(raw, "a symlink without a target");
                    return Ok(());
                };
                let id = ObjectKind::Symlink.id(&target);
                if writing {
                    self.batch.add_bytes(ObjectKind::Symlink, &target)?;
                }
                self.files += 1;
                let size = target.len() as u64;
                self.targets.insert(id.0, target);
                Node::Leaf {
                    kind: EntryKind::Symlink,
                    hash: id.0,
                    size,
                }
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let found = components(&target)
                    .ok()
                    .and_then(|c| self.root.get(&c).cloned());
                match found {
                    Some(
                        leaf @ Node::Leaf {
                            kind: EntryKind::File | EntryKind::Exec,
                            ..
                        },
                    ) => {
                        self.files += 1;
                        leaf
                    }
                    _ => {
                        let why = format!(
                            "a hard link to `{}`, which is not a regular file earlier in the archive",
                            show(&target)
                        );
                        self.reject(raw, why);
                        return Ok(());
                    }
                }
            }
            EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => {
                return Ok(());
            }
            other => {
                let what = match other {
                    EntryType::Char => "a character device node",
                    EntryType::Block => "a block device node",
                    EntryType::Fifo => "a FIFO",
                    _ => "an entry type grove does not import",
                };
                if self.options.allow_devices && what != "an entry type grove does not import" {
                    self.skipped.push(Rejection {
                        entry: show(raw),
                        reason: what.into(),
                    });
                } else {
                    self.reject(raw, what);
                }
                return Ok(());
            }
        };
        if let Err(why) = self.root.insert(&comps, node) {
            self.reject(raw, why);
        }
        Ok(())
    }
}

/// Wraps `file` in the decompressor its first bytes call for.
fn decompress(file: File) -> std::io::Result<Box<dyn Read>> {
    let mut r = BufReader::with_capacity(1 << 20, file);
    let head = r.fill_buf()?;
    Ok(match head {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::MultiGzDecoder::new(r)),
        [b'B', b'Z', b'h', ..] => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => {
            Box::new(liblzma::read::XzDecoder::new_multi_decoder(r))
        }
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        _ => Box::new(r),
    })
}
