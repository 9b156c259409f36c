//! The few file-system moves every write is made of: a temporary file in
//! the store's `tmp/`, flushed, then renamed into place.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, io_err};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh name in `tmp_dir`, unique within this process and across
/// processes (the pid is part of it).
pub(crate) fn temp_path(tmp_dir: &Path, hint: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    tmp_dir.join(format!("{}-{n}-{hint}", std::process::id()))
}

/// How the temp files of a batch that sit beside their destination (in a
/// fanned-out directory, `objects/ab/.tmp-…`) begin. No hashed name does,
/// so fsck and gc tell them apart from what is stored.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// A fresh temp name in the directory of `dest`, so that moving it into
/// place is a rename inside one directory: cheaper than a rename across
/// directories, which the kernel serializes per file system.
pub(crate) fn temp_beside(dest: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dest.with_file_name(format!("{TEMP_PREFIX}{}-{n}", std::process::id()))
}

pub(crate) fn is_temp_name(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(TEMP_PREFIX.as_bytes())
}

/// Writes `bytes` to `dest` atomically and durably: temp file, fsync,
/// rename, fsync of the directory. `mode` is applied before the rename.
pub(crate) fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let tmp = temp_path(tmp_dir, "w");
    let result = (|| {
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(bytes).map_err(io_err("write", &tmp))?;
        f.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io_err("set permissions of", &tmp))?;
        f.sync_all().map_err(io_err("flush", &tmp))?;
        rename_durably(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Renames `from` to `to`, creating `to`'s directory if needed, and
/// flushes that directory so the new name survives a power cut.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    rename_creating_parent(from, to)?;
    if let Some(parent) = to.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

pub(crate) fn rename_creating_parent(from: &Path, to: &Path) -> Result<()> {
    creating_parent(from, to, |f, t| fs::rename(f, t)).map_err(io_err("rename into", to))
}

/// Hardlinks `from` at `to`, creating `to`'s directory if needed; a `to`
/// that already exists (another process added the same object) is fine.
pub(crate) fn link_creating_parent(from: &Path, to: &Path) -> Result<()> {
    match creating_parent(from, to, |f, t| fs::hard_link(f, t)) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        r => r.map_err(io_err("link into", to)),
    }
}

/// Runs `op(from, to)`; if `to`'s directory is missing (and `from` is
/// there), creates it and runs `op` again.
fn creating_parent(
    from: &Path,
    to: &Path,
    op: impl Fn(&Path, &Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    match op(from, to) {
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound && fs::symlink_metadata(from).is_ok() =>
        {
            fs::create_dir_all(
                to.parent()
                    .expect("a destination in the store has a parent"),
            )?;
            op(from, to)
        }
        r => r,
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("flush", dir))
}

/// Flushes every file system buffer of the file system holding `path`:
/// one call instead of one fsync per file for a batch of thousands.
pub(crate) fn sync_fs(path: &Path) -> Result<()> {
    let dir = File::open(path).map_err(io_err("open", path))?;
    rustix::fs::syncfs(&dir).map_err(|e| io_err("flush the file system of", path)(e.into()))
}

/// Removes a file or a whole directory, whichever `path` is; a missing
/// path is not an error. Read-only entries are made writable first.
pub(crate) fn remove_any(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o755));
            fs::remove_dir_all(path)
        }
        Ok(_) => fs::remove_file(path),
    }
}

/// The path of a hashed thing in a fanned-out directory: `dir/ab/abcdef…`.
pub(crate) fn fanout(dir: &Path, hex: &str, suffix: &str) -> PathBuf {
    let mut p = dir.join(&hex[..2]);
    p.push(format!("{hex}{suffix}"));
    p
}

/// Seconds since the epoch, now.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
