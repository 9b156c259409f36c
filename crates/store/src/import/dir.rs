//! Importing a directory: walked in parallel (each directory's entries on
//! rayon), each regular file read once, hashed and staged.

use std::ffi::{CStr, OsStr};
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::Ordering as AtomicOrdering;

use rayon::prelude::*;
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

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
    /// Only list and check: read no file, write nothing.
    dry: bool,
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
    let batch = Batch::in_place(store)?;
    let adopt_on = match options.consume {
        true => Some(
            fs::metadata(store.root())
                .map_err(io_err("read", store.root()))?
                .dev(),
        ),
        false => None,
    };
    let walk = |dry: bool, cache: Cache| Walk {
        batch: &batch,
        options,
        dry,
        rejections: Mutex::default(),
        skipped: Mutex::default(),
        targets: Mutex::default(),
        files: Default::default(),
        adopt_on,
        cache,
    };
    // First only look: a refused import writes nothing at all.
    walk(true, Cache::none()).walk_and_check(root)?;
    // A consumed directory will not be seen again.
    let cache = if options.consume {
        Cache::none()
    } else {
        Cache::load(store, root)
    };
    // Then read and write. If the tree changed in between so that it is
    // refused now, what was written is unreferenced (gc removes it).
    let walk = walk(false, cache);
    let tree = walk.walk_and_check(root)?;
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
    /// The tree at `root`, or every entry that refuses it.
    fn walk_and_check(&self, root: &Path) -> Result<Node> {
        let top = File::open(root).map_err(io_err("open the directory", root))?;
        let tree = self.dir(&OwnedFd::from(top), root, b"")?;
        let targets = std::mem::take(&mut *self.targets.lock().expect("no panics while held"));
        let mut rejections =
            std::mem::take(&mut *self.rejections.lock().expect("no panics while held"));
        rejections.extend(tree.escaping_symlinks(&targets, self.options.allow_absolute_symlinks));
        if !rejections.is_empty() {
            rejections.sort_by(|a, b| a.entry.cmp(&b.entry));
            return Err(StoreError::Unsafe {
                from: root.display().to_string(),
                rejections,
            });
        }
        Ok(tree)
    }

    /// Walks the directory open as `fd` (at `path`, for messages; `rel` in
    /// the tree). Everything below is opened relative to its directory's
    /// descriptor and never through a symlink, so a directory swapped for
    /// a symlink during the walk cannot lead it out of the tree.
    fn dir(&self, fd: &OwnedFd, path: &Path, rel: &[u8]) -> Result<Node> {
        let unreadable = |e: rustix::io::Errno| io_err("read the directory", path)(e.into());
        let mut names = Vec::new();
        let mut dir = Dir::read_from(fd).map_err(unreadable)?;
        while let Some(e) = dir.read() {
            let e = e.map_err(unreadable)?;
            let name = e.file_name();
            if name.to_bytes() != b"." && name.to_bytes() != b".." {
                names.push((name.to_owned(), e.file_type()));
            }
        }
        let children = names
            .par_iter()
            .map(|(name, ft)| self.entry(fd, path, rel, name, *ft))
            .collect::<Result<Vec<_>>>()?;
        Ok(Node::Dir(children.into_iter().flatten().collect()))
    }

    fn entry(
        &self,
        at: &OwnedFd,
        dir: &Path,
        rel: &[u8],
        name: &CStr,
        ft: FileType,
    ) -> Result<Option<(Vec<u8>, Node)>> {
        let name_bytes = name.to_bytes().to_vec();
        let mut entry_rel = rel.to_vec();
        if !entry_rel.is_empty() {
            entry_rel.push(b'/');
        }
        entry_rel.extend_from_slice(&name_bytes);
        let path = dir.join(OsStr::from_bytes(&name_bytes));
        let lstat = || {
            rustix::fs::statat(at, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_err(|e| io_err("read", &path)(e.into()))
        };
        let (ft, stat) = match ft {
            FileType::Unknown => {
                let st = lstat()?;
                (FileType::from_raw_mode(st.st_mode as _), Some(st))
            }
            ft => (ft, None),
        };
        let node = match ft {
            FileType::Directory => {
                let fd = rustix::fs::openat(at, name, DIR_FLAGS, Mode::empty())
                    .map_err(|e| io_err("open the directory", &path)(e.into()))?;
                self.dir(&fd, &path, &entry_rel)?
            }
            FileType::RegularFile if self.dry => Node::Leaf {
                kind: EntryKind::File,
                hash: Hash([0; 32]),
                size: 0,
            },
            FileType::RegularFile => {
                // Without a cache entry for the file, `fstat` of the open
                // file is enough.
                let st = match stat {
                    Some(st) => Some(st),
                    None if self.cache.knows(&entry_rel) => Some(lstat()?),
                    None => None,
                };
                let cached = st.and_then(|st| {
                    let stat = Stat::from_raw(&st);
                    let (kind, id) = self
                        .cache
                        .lookup(&entry_rel, &stat)
                        .filter(|(_, id)| self.batch.has_object(id, st.st_size as u64))?;
                    Some((kind, id, st.st_size as u64, stat))
                });
                let (kind, id, size, stat) = match cached {
                    Some(hit) => hit,
                    None => self.file(at, name, &path)?,
                };
                self.cache.record(entry_rel, stat, kind, id);
                self.files.fetch_add(1, AtomicOrdering::Relaxed);
                Node::Leaf {
                    kind: EntryKind::of_object(kind),
                    hash: id.0,
                    size,
                }
            }
            FileType::Symlink => {
                let target = rustix::fs::readlinkat(at, name, Vec::new())
                    .map_err(|e| io_err("read the symlink", &path)(e.into()))?
                    .into_bytes();
                let id = match self.dry {
                    true => ObjectKind::Symlink.id(&target),
                    false => self.batch.add_bytes(ObjectKind::Symlink, &target)?,
                };
                let size = target.len() as u64;
                self.targets
                    .lock()
                    .expect("no panics while held")
                    .insert(id.0, target);
                self.files.fetch_add(1, AtomicOrdering::Relaxed);
                Node::Leaf {
                    kind: EntryKind::Symlink,
                    hash: id.0,
                    size,
                }
            }
            other => {
                let what = match other {
                    FileType::BlockDevice => "a block device node",
                    FileType::CharacterDevice => "a character device node",
                    FileType::Fifo => "a FIFO",
                    _ => "a socket",
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
            }
        };
        Ok(Some((name_bytes, node)))
    }

    /// Opens (never through a symlink, never blocking on a FIFO swapped in
    /// since the listing), reads, hashes and stages one regular file; what
    /// is read is what `fstat` of the open file describes.
    fn file(
        &self,
        at: &OwnedFd,
        name: &CStr,
        path: &Path,
    ) -> Result<(ObjectKind, ObjectId, u64, Stat)> {
        #[cfg(test)]
        if let Some(hook) = BEFORE_OPEN.lock().expect("no panics while held").as_ref() {
            hook(path);
        }
        let fd = rustix::fs::openat(at, name, FILE_FLAGS, Mode::empty())
            .map_err(|e| io_err("open", path)(e.into()))?;
        let meta = rustix::fs::fstat(&fd).map_err(|e| io_err("read", path)(e.into()))?;
        if FileType::from_raw_mode(meta.st_mode as _) != FileType::RegularFile {
            return Err(io_err("read", path)(std::io::Error::other(
                "it stopped being a regular file during the import",
            )));
        }
        let stat = Stat::from_raw(&meta);
        let mut f = File::from(fd);
        let len = meta.st_size as u64;
        let kind = if meta.st_mode as u32 & 0o111 != 0 {
            ObjectKind::Exec
        } else {
            ObjectKind::File
        };
        if self.adopt_on == Some(meta.st_dev as u64) && meta.st_nlink == 1 {
            let (id, size) = if len >= LARGE {
                let mut h = object::hasher(kind);
                h.update_mmap_rayon(path).map_err(io_err("read", path))?;
                (ObjectId(Hash(*h.finalize().as_bytes())), len)
            } else {
                let buf = read_all(&mut f, len, path)?;
                (kind.id(&buf), buf.len() as u64)
            };
            object::normalize(&f, path, kind)?;
            self.batch.adopt(id, path);
            return Ok((kind, id, size, stat));
        }
        let (id, size) = if len >= LARGE {
            self.batch.add_large(kind, &mut f, path)?
        } else {
            let buf = read_all(&mut f, len, path)?;
            (self.batch.add_bytes(kind, &buf)?, buf.len() as u64)
        };
        Ok((kind, id, size, stat))
    }
}

/// Lets a test change the tree between the listing and the open of a file.
#[cfg(test)]
pub(crate) type Hook = Box<dyn Fn(&Path) + Send>;
#[cfg(test)]
pub(crate) static BEFORE_OPEN: Mutex<Option<Hook>> = Mutex::new(None);

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

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
