//! File objects: a regular file's content plus its executable bit, or a
//! symlink's target. Stored under `objects/ab/<hash>` read-only (0444 or
//! 0555), mtime 0, so checkouts can hardlink them; symlinks are stored as
//! symlinks.

use std::fs::{self, File, FileTimes};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::Store;
use crate::error::{Result, corrupt, io_err};
use crate::fsutil;
use crate::id::{Hash, ObjectId};

/// The three kinds of file object; the kind is part of the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    File,
    Exec,
    Symlink,
}

impl ObjectKind {
    /// The bytes hashed before the content (FORMAT.md, "Objects").
    pub fn domain(self) -> &'static [u8] {
        match self {
            ObjectKind::File => b"grove/blob\0",
            ObjectKind::Exec => b"grove/exec\0",
            ObjectKind::Symlink => b"grove/link\0",
        }
    }

    /// The permission bits of the stored object.
    pub(crate) fn mode(self) -> u32 {
        match self {
            ObjectKind::File => 0o444,
            ObjectKind::Exec => 0o555,
            ObjectKind::Symlink => 0o777,
        }
    }

    /// The id of an object of this kind with this content (or target).
    pub fn id(self, content: &[u8]) -> ObjectId {
        ObjectId(Hash::of(self.domain(), content))
    }
}

/// A hasher already fed the domain of `kind`.
pub(crate) fn hasher(kind: ObjectKind) -> blake3::Hasher {
    let mut h = blake3::Hasher::new();
    h.update(kind.domain());
    h
}

/// Files at least this big are copied by the kernel and hashed with
/// several threads; smaller ones are read into memory once.
pub(crate) const LARGE: u64 = 1 << 20;

impl Store {
    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        fsutil::fanout(&self.dir("objects"), &id.to_hex(), "")
    }

    pub fn has_object(&self, id: &ObjectId) -> bool {
        fs::symlink_metadata(self.object_path(id)).is_ok()
    }

    /// Reads an object back, checking its hash: its kind and its content
    /// (for a symlink, the target).
    pub fn read_object(&self, id: &ObjectId) -> Result<(ObjectKind, Vec<u8>)> {
        let path = self.object_path(id);
        let (kind, bytes) = read_object_file(&path)?;
        if kind.id(&bytes) != *id {
            return Err(corrupt(
                "object",
                &path,
                "its content does not hash to its name",
            ));
        }
        Ok((kind, bytes))
    }

    /// Adds one object durably (its own fsync); imports use a batch.
    pub fn put_object(&self, kind: ObjectKind, content: &[u8]) -> Result<ObjectId> {
        let id = kind.id(content);
        let dest = self.object_path(&id);
        if present(&dest, content.len() as u64) {
            return Ok(id);
        }
        let tmp = fsutil::temp_path(&self.tmp(), "obj");
        write_object_temp(&tmp, kind, content)?;
        if kind != ObjectKind::Symlink {
            File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(io_err("flush", &tmp))?;
        }
        fsutil::rename_durably(&tmp, &dest)?;
        Ok(id)
    }
}

/// Whether an object of `size` bytes is stored at `dest`. One of another
/// size is damaged (a file system that lost a write in a power cut, or a
/// hand that truncated it): the writer puts a good copy over it instead
/// of naming it, so adding the content again heals the store. Costs
/// nothing more than the `lstat` that asks whether it exists.
pub(crate) fn present(dest: &Path, size: u64) -> bool {
    fs::symlink_metadata(dest).is_ok_and(|m| whole(&m, size))
}

/// Whether what `lstat` says is of a whole object of `size` bytes: its
/// size, and (a regular file) its final mode, which an object written in
/// place only gets once all of its content is written.
fn whole(m: &fs::Metadata, size: u64) -> bool {
    m.len() == size && (m.is_symlink() || matches!(m.mode() & 0o7777, 0o444 | 0o555))
}

/// The mode of an object file being written in place: not a mode a
/// stored object has, so one whose writer was killed midway is known as
/// an unfinished write (by fsck, gc and the next writer), not as damage.
pub(crate) const UNFINISHED: u32 = 0o200;

/// Writes an object straight under its name, without a temp file and a
/// rename (which cost about as much again as creating the file): created
/// exclusively with the mode `UNFINISHED`, written, its mtime set, and
/// only then given its final mode. Returns `false` if a whole object was
/// there already. One that is not whole (unfinished, or shorter than it
/// should be after a power cut) is replaced through a temp file. Nothing
/// is flushed: the caller flushes the file system before anything names
/// the object.
pub(crate) fn write_in_place(dest: &Path, kind: ObjectKind, content: &[u8]) -> Result<bool> {
    let created = match kind {
        ObjectKind::Symlink => {
            let target = std::ffi::OsStr::from_bytes(content);
            creating_dir(dest, || std::os::unix::fs::symlink(target, dest)).map(|()| None)
        }
        _ => creating_dir(dest, || {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(UNFINISHED)
                .open(dest)
        })
        .map(Some),
    };
    let file = match created {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if present(dest, content.len() as u64) {
                return Ok(false);
            }
            let tmp = fsutil::temp_beside(dest);
            write_object_temp(&tmp, kind, content)?;
            fsutil::rename_creating_parent(&tmp, dest).inspect_err(|_| {
                let _ = fs::remove_file(&tmp);
            })?;
            return Ok(true);
        }
        Err(e) => return Err(io_err("create", dest)(e)),
    };
    let Some(mut f) = file else { return Ok(true) };
    let finished = std::io::Write::write_all(&mut f, content)
        .map_err(io_err("write", dest))
        .and_then(|()| normalize(&f, dest, kind));
    if finished.is_err() {
        // Only if the name is still this file's: another writer may have
        // put a whole copy over it meanwhile. Left, it is an unfinished
        // object, which fsck and gc treat as a temp file.
        let ours = |m: &fs::Metadata| {
            f.metadata()
                .is_ok_and(|o| (o.dev(), o.ino()) == (m.dev(), m.ino()))
        };
        if fs::symlink_metadata(dest).is_ok_and(|m| ours(&m)) {
            let _ = fs::remove_file(dest);
        }
    }
    finished.map(|()| true)
}

/// Runs `op`; if the fanned-out directory of `dest` is missing, creates
/// it and runs `op` again.
fn creating_dir<T>(dest: &Path, op: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
    match op() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dest.parent().expect("a fanned-out path has a parent"))?;
            op()
        }
        r => r,
    }
}

/// The kind of a stored regular object file, from its normalized mode;
/// any other mode is corruption.
fn stored_kind(meta: &fs::Metadata, path: &Path) -> Result<ObjectKind> {
    match meta.mode() & 0o7777 {
        0o444 if meta.is_file() => Ok(ObjectKind::File),
        0o555 if meta.is_file() => Ok(ObjectKind::Exec),
        m => Err(corrupt(
            "object",
            path,
            format!("it has mode {m:o}, not 444 or 555"),
        )),
    }
}

/// Reads a stored object file: its kind from its type and mode, and its
/// bytes. A mode that is not one of the normalized ones is corruption.
pub(crate) fn read_object_file(path: &Path) -> Result<(ObjectKind, Vec<u8>)> {
    let meta = fs::symlink_metadata(path).map_err(io_err("read", path))?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(path).map_err(io_err("read", path))?;
        return Ok((ObjectKind::Symlink, target.as_os_str().as_bytes().to_vec()));
    }
    let kind = stored_kind(&meta, path)?;
    let bytes = fs::read(path).map_err(io_err("read", path))?;
    Ok((kind, bytes))
}

/// Hashes a stored object file without reading it all into memory.
pub(crate) fn hash_object_file(path: &Path) -> Result<ObjectId> {
    let meta = fs::symlink_metadata(path).map_err(io_err("read", path))?;
    if meta.file_type().is_symlink() || meta.len() < LARGE {
        let (kind, bytes) = read_object_file(path)?;
        return Ok(kind.id(&bytes));
    }
    let kind = stored_kind(&meta, path)?;
    let mut h = hasher(kind);
    h.update_mmap_rayon(path).map_err(io_err("read", path))?;
    Ok(ObjectId(Hash(*h.finalize().as_bytes())))
}

/// Writes an object's temp file with its normalized mode and mtime; not
/// flushed (the caller flushes one file or a whole batch).
pub(crate) fn write_object_temp(tmp: &Path, kind: ObjectKind, content: &[u8]) -> Result<()> {
    if kind == ObjectKind::Symlink {
        let target = std::ffi::OsStr::from_bytes(content);
        return std::os::unix::fs::symlink(target, tmp).map_err(io_err("create", tmp));
    }
    let mut f = create_object_file(tmp, kind)?;
    std::io::Write::write_all(&mut f, content).map_err(io_err("write", tmp))?;
    normalize_created(&f, tmp, kind)
}

/// Creates a temp object file with its final mode already: one `fchmod`
/// fewer per object, which counts at 100,000 files.
fn create_object_file(tmp: &Path, kind: ObjectKind) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(kind.mode())
        .open(tmp)
        .map_err(io_err("create", tmp))
}

/// Whether this process's umask leaves 0444 and 0555 as they are (read
/// once from /proc; if unknown, assume not).
fn umask_keeps_modes() -> bool {
    static KEEPS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KEEPS.get_or_init(|| {
        let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|u| u32::from_str_radix(u.trim(), 8).ok());
        umask.is_some_and(|u| u & 0o555 == 0)
    })
}

/// Normalizes a file made by `create_object_file`.
fn normalize_created(f: &File, path: &Path, kind: ObjectKind) -> Result<()> {
    f.set_times(FileTimes::new().set_modified(UNIX_EPOCH))
        .map_err(io_err("set the time of", path))?;
    if !umask_keeps_modes() {
        f.set_permissions(fs::Permissions::from_mode(kind.mode()))
            .map_err(io_err("set permissions of", path))?;
    }
    Ok(())
}

/// Copies a large file, open as `src`, into a temp object file (by the
/// kernel) and hashes the copy, so the name always matches what is stored.
pub(crate) fn copy_large_temp(
    src: &mut File,
    src_path: &Path,
    tmp: &Path,
    kind: ObjectKind,
) -> Result<(ObjectId, u64)> {
    let mut f = create_object_file(tmp, kind)?;
    let size = std::io::copy(src, &mut f).map_err(io_err("copy", src_path))?;
    normalize(&f, tmp, kind)?;
    let mut h = hasher(kind);
    h.update_mmap_rayon(tmp).map_err(io_err("read", tmp))?;
    Ok((ObjectId(Hash(*h.finalize().as_bytes())), size))
}

/// Streams `reader` into a temp object file, hashing on the way.
pub(crate) fn stream_temp(
    reader: &mut dyn Read,
    tmp: &Path,
    kind: ObjectKind,
) -> Result<(ObjectId, u64)> {
    let mut f = create_object_file(tmp, kind)?;
    let mut h = hasher(kind);
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(io_err("read the entry for", tmp))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        std::io::Write::write_all(&mut f, &buf[..n]).map_err(io_err("write", tmp))?;
        total += n as u64;
    }
    normalize_created(&f, tmp, kind)?;
    Ok((ObjectId(Hash(*h.finalize().as_bytes())), total))
}

pub(crate) fn normalize(f: &File, path: &Path, kind: ObjectKind) -> Result<()> {
    f.set_times(FileTimes::new().set_modified(UNIX_EPOCH))
        .map_err(io_err("set the time of", path))?;
    f.set_permissions(fs::Permissions::from_mode(kind.mode()))
        .map_err(io_err("set permissions of", path))
}
