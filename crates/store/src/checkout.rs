//! Checkout: materialize a tree as a directory of hardlinks to the
//! store's objects (a copy — a reflink where the file system can — when a
//! hardlink is impossible: another file system, too many links). Built
//! beside the destination and renamed into place, so the destination is
//! either absent or complete.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::error::{Result, StoreError, io_err};
use crate::id::TreeId;
use crate::tree::EntryKind;
use crate::{Store, fsutil};

#[derive(Debug, Clone, Default)]
pub struct CheckoutReport {
    pub dirs: u64,
    /// Files and symlinks.
    pub files: u64,
    /// Of those, how many had to be copied rather than hardlinked.
    pub copied: u64,
}

impl Store {
    /// Checks `tree` out at `dest`, which must not exist (or be an empty
    /// directory).
    pub fn checkout(&self, tree: &TreeId, dest: &Path) -> Result<CheckoutReport> {
        if let Ok(mut d) = fs::read_dir(dest) {
            if d.next().is_some() {
                return Err(StoreError::Exists {
                    path: dest.to_path_buf(),
                });
            }
        } else if fs::symlink_metadata(dest).is_ok() {
            return Err(StoreError::Exists {
                path: dest.to_path_buf(),
            });
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checkout".into());
        let tmp = fsutil::temp_path(&parent, &format!(".{name}.grove-checkout"));
        fs::create_dir(&tmp).map_err(io_err("create", &tmp))?;
        let result = self.build(tree, &tmp).and_then(|report| {
            fs::rename(&tmp, dest).map_err(io_err("rename into", dest))?;
            Ok(report)
        });
        if result.is_err() {
            let _ = fsutil::remove_any(&tmp);
        }
        result
    }

    fn build(&self, tree: &TreeId, root: &Path) -> Result<CheckoutReport> {
        let mut report = CheckoutReport::default();
        let mut links = Vec::new();
        let mut stack = vec![(*tree, root.to_path_buf())];
        while let Some((id, dir)) = stack.pop() {
            for e in self.read_tree(&id)?.entries() {
                let path = dir.join(std::ffi::OsStr::from_bytes(&e.name));
                match e.kind {
                    EntryKind::Dir => {
                        fs::create_dir(&path).map_err(io_err("create", &path))?;
                        report.dirs += 1;
                        stack.push((TreeId(e.hash), path));
                    }
                    _ => links.push((e.object().expect("not a directory"), e.kind, path)),
                }
            }
        }
        report.files = links.len() as u64;
        let copied = AtomicU64::new(0);
        links.par_iter().try_for_each(|(id, kind, path)| {
            let obj = self.object_path(id);
            match fs::hard_link(&obj, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !obj.exists() => {
                    Err(StoreError::NotFound {
                        what: "object",
                        id: id.to_hex(),
                    })
                }
                Err(_) => {
                    copied.fetch_add(1, Ordering::Relaxed);
                    copy_object(&obj, *kind, path)
                }
            }
        })?;
        report.copied = copied.into_inner();
        Ok(report)
    }
}

/// Copies an object where it cannot be hardlinked: a reflink if the file
/// system shares blocks, else a byte copy; symlinks are re-created.
fn copy_object(obj: &Path, kind: EntryKind, dest: &Path) -> Result<()> {
    if kind == EntryKind::Symlink {
        let target = fs::read_link(obj).map_err(io_err("read", obj))?;
        return std::os::unix::fs::symlink(target, dest).map_err(io_err("create", dest));
    }
    let src = fs::File::open(obj).map_err(io_err("read", obj))?;
    let out = fs::File::create(dest).map_err(io_err("create", dest))?;
    if rustix::fs::ioctl_ficlone(&out, &src).is_err() {
        drop(out);
        fs::copy(obj, dest).map_err(io_err("copy into", dest))?;
    }
    let mode = if kind == EntryKind::Exec {
        0o555
    } else {
        0o444
    };
    fs::set_permissions(dest, std::os::unix::fs::PermissionsExt::from_mode(mode))
        .map_err(io_err("set permissions of", dest))
}
