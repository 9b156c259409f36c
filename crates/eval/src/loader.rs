//! The one way the evaluator reaches files.
//!
//! Every read goes through a [`Loader`], and the loader is the one place
//! that enforces "never read outside the layers": the filesystem loader
//! resolves symlinks and refuses anything that does not lie under one of its
//! roots. Tests and the fuzzer use the in-memory loader.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::listing::{Listed, Listing};

/// What a loader knows about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A readable file; the path to use from now on (symlinks resolved).
    File(PathBuf),
    /// Nothing there.
    Missing,
    /// A file that exists but lies outside the allowed roots.
    Forbidden(PathBuf),
}

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Forbidden,
    NotFound,
    NotUtf8 { offset: usize },
    Io(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Forbidden => write!(f, "it is outside the directories grove may read"),
            LoadError::NotFound => write!(f, "no such file"),
            LoadError::NotUtf8 { offset } => write!(f, "it is not UTF-8 text (invalid byte at offset {offset})"),
            LoadError::Io(e) => write!(f, "{e}"),
        }
    }
}

pub trait Loader: Send + Sync {
    /// Looks a path up without reading it.
    fn probe(&self, path: &Path) -> Probe;
    /// Reads a file that [`Loader::probe`] found.
    fn read(&self, path: &Path) -> Result<Arc<str>, LoadError>;
    /// Reads a file's bytes as they are (a patch, a tarball named by
    /// `file://`), confined like [`Loader::read`].
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, LoadError>;
    /// The directories reads are confined to, for messages.
    fn roots(&self) -> Vec<PathBuf>;
    /// Names of the files in a directory, for "did you mean" hints; empty
    /// for a directory outside the roots.
    fn list(&self, _dir: &Path) -> Vec<String> {
        Vec::new()
    }
}

/// Reads real files under a set of root directories.
#[derive(Debug, Default)]
pub struct FsLoader {
    roots: Vec<PathBuf>,
    /// Each root held open (`O_PATH`), `roots`' order: a file is opened
    /// relative to its root, and the kernel walks only the path below it
    /// (7% less time an open, for a layer four directories deep).
    root_fds: Vec<Option<rustix::fd::OwnedFd>>,
    /// Directories already resolved to their canonical form: a file then
    /// costs one `lstat` unless it is a symlink, instead of a `readlink`
    /// for every component of its path. Keyed by the path's bytes, which
    /// hash faster than its components.
    dirs: Mutex<FxHashMap<OsString, Option<PathBuf>>>,
    listing: Option<Arc<Listing>>,
    /// Files are opened with `O_NOATIME` (reading tens of thousands of
    /// files then costs the kernel no access-time check each) until the
    /// kernel refuses it: only a file's owner (or a privileged user) may.
    atime_refused: AtomicBool,
}

impl FsLoader {
    /// A loader confined to `roots` (which are canonicalized; missing ones
    /// are dropped).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> FsLoader {
        let roots: Vec<PathBuf> = roots.into_iter().filter_map(|r| r.canonicalize().ok()).collect();
        let flags = rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC;
        let root_fds = roots.iter().map(|r| rustix::fs::open(r, flags, rustix::fs::Mode::empty()).ok()).collect();
        FsLoader { roots, root_fds, dirs: Mutex::default(), listing: None, atime_refused: AtomicBool::new(false) }
    }

    /// Opens a file to read, refusing a symlink.
    fn open(&self, path: &Path) -> rustix::io::Result<rustix::fd::OwnedFd> {
        use rustix::fs::OFlags;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        // Below a root held open, the path from there; else the whole path.
        let (at, rel) = match self.below_root(path) {
            Some((fd, rel)) => (fd, rel),
            None => (rustix::fs::CWD, path),
        };
        if !self.atime_refused.load(Ordering::Relaxed) {
            match rustix::fs::openat(at, rel, flags | OFlags::NOATIME, rustix::fs::Mode::empty()) {
                Err(rustix::io::Errno::PERM) => self.atime_refused.store(true, Ordering::Relaxed),
                done => return done,
            }
        }
        rustix::fs::openat(at, rel, flags, rustix::fs::Mode::empty())
    }

    /// The open root `path` lies below, and the path from it.
    fn below_root<'p>(&self, path: &'p Path) -> Option<(rustix::fd::BorrowedFd<'_>, &'p Path)> {
        use rustix::fd::AsFd;
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        self.roots.iter().zip(&self.root_fds).find_map(|(root, fd)| {
            let root = root.as_os_str().as_bytes();
            let rest = bytes.strip_prefix(root)?;
            let rest = if root.ends_with(b"/") { rest } else { rest.strip_prefix(b"/")? };
            // A path that may climb back out (`..`) is opened as it is
            // written (the paths read have canonical directories: none does).
            let plain = !rest.is_empty() && !memchr::memchr_iter(b'.', rest).any(|i| rest.get(i + 1) == Some(&b'.'));
            Some((fd.as_ref()?.as_fd(), Path::new(std::ffi::OsStr::from_bytes(rest)))).filter(|_| plain)
        })
    }

    /// Answers lookups in the listed directories from `listing`.
    pub fn with_listing(mut self, listing: Arc<Listing>) -> FsLoader {
        self.listing = Some(listing);
        self
    }

    /// `path` lies under a root. Roots are canonical, so a byte prefix
    /// that ends at a `/` is a prefix of whole components (a path that is
    /// not canonical may be refused here and is then resolved first).
    fn allowed(&self, path: &Path) -> bool {
        let path = path.as_os_str().as_encoded_bytes();
        self.roots.iter().any(|root| {
            let root = root.as_os_str().as_encoded_bytes();
            path.starts_with(root) && (path.len() == root.len() || path[root.len()] == b'/' || root.ends_with(b"/"))
        })
    }

    /// `dir` is a directory in its canonical form (no copy of it made when
    /// the listing knows it, which is every read of a walked layer).
    fn is_canonical_dir(&self, dir: &Path) -> bool {
        self.listing.as_ref().is_some_and(|l| l.is_dir(dir)) || self.canonical_dir(dir).as_deref() == Some(dir)
    }

    fn canonical_dir(&self, dir: &Path) -> Option<PathBuf> {
        if let Some(listing) = &self.listing {
            if listing.is_dir(dir) {
                return Some(dir.to_path_buf());
            }
            // In a listed directory, and not a directory there.
            if listing.lookup(dir) != Listed::Unknown {
                return None;
            }
        }
        if let Some(d) = self.dirs.lock().unwrap_or_else(|e| e.into_inner()).get(dir.as_os_str()) {
            return d.clone();
        }
        // A new directory under a known one (every recipe has its own) is
        // its parent's canonical form plus its name when it is no symlink:
        // one lstat, where canonicalize reads every component of the path.
        let from_parent = match (parent_dir(dir), dir.components().next_back()) {
            (Some(parent), Some(std::path::Component::Normal(name))) if !parent.as_os_str().is_empty() => {
                self.canonical_dir(parent).and_then(|p| {
                    let candidate = p.join(name);
                    let meta = std::fs::symlink_metadata(&candidate).ok()?;
                    if meta.file_type().is_symlink() {
                        candidate.canonicalize().ok().filter(|c| c.is_dir())
                    } else {
                        meta.is_dir().then_some(candidate)
                    }
                })
            }
            _ => dir.canonicalize().ok(),
        };
        self.dirs.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.as_os_str().to_owned(), from_parent.clone());
        from_parent
    }

    /// The path with every symlink resolved, if it names a regular file.
    fn resolve(&self, path: &Path) -> Option<PathBuf> {
        match self.listing.as_ref().map_or(Listed::Unknown, |l| l.lookup(path)) {
            Listed::File => return Some(path.to_path_buf()),
            Listed::Missing => return None,
            Listed::Unknown => {}
        }
        let (Some(dir), Some(name)) = (parent_dir(path), path.file_name()) else {
            return path.canonicalize().ok().filter(|p| p.is_file());
        };
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let candidate = self.canonical_dir(dir)?.join(name);
        let meta = std::fs::symlink_metadata(&candidate).ok()?;
        if meta.file_type().is_symlink() {
            candidate.canonicalize().ok().filter(|p| p.is_file())
        } else {
            meta.is_file().then_some(candidate)
        }
    }
}

impl Loader for FsLoader {
    fn probe(&self, path: &Path) -> Probe {
        match self.resolve(path) {
            Some(real) if self.allowed(&real) => Probe::File(real),
            Some(real) => Probe::Forbidden(real),
            None => Probe::Missing,
        }
    }

    fn read(&self, path: &Path) -> Result<Arc<str>, LoadError> {
        match String::from_utf8(self.read_bytes(path)?) {
            Ok(text) => Ok(text.into()),
            Err(e) => Err(LoadError::NotUtf8 { offset: e.utf8_error().valid_up_to() }),
        }
    }

    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, LoadError> {
        // A path that `probe` returned has a canonical directory and names
        // no symlink: open it refusing symlinks, with no second lookup. If
        // it changed into a symlink since, take the long way.
        if let Some((dir, _)) = split_name(path) {
            if self.allowed(path) && self.is_canonical_dir(dir) {
                match self.open(path) {
                    Ok(fd) => return read_all(&fd).map_err(|e| io_error(&e)),
                    Err(rustix::io::Errno::LOOP) => {}
                    Err(e) => return Err(io_error(&e.into())),
                }
            }
        }
        let real = self.resolve(path).ok_or(LoadError::NotFound)?;
        if !self.allowed(&real) {
            return Err(LoadError::Forbidden);
        }
        std::fs::read(&real).map_err(|e| io_error(&e))
    }

    fn roots(&self) -> Vec<PathBuf> {
        self.roots.clone()
    }

    fn list(&self, dir: &Path) -> Vec<String> {
        let Some(real) = dir.canonicalize().ok().filter(|d| self.allowed(d)) else { return Vec::new() };
        let Ok(entries) = std::fs::read_dir(real) else { return Vec::new() };
        entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
    }
}

/// A path's directory and last name, split at its last `/` (a byte scan:
/// `Path::parent` parses every component). `None` for a path without a
/// directory or ending in `/`.
pub(crate) fn split_name(path: &Path) -> Option<(&Path, &[u8])> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let slash = grove_syntax::rfind_byte(b'/', bytes)?;
    let name = &bytes[slash + 1..];
    if name.is_empty() {
        return None;
    }
    let dir = if slash == 0 { &bytes[..1] } else { &bytes[..slash] };
    Some((Path::new(std::ffi::OsStr::from_bytes(dir)), name))
}

/// `path.parent()` by a byte scan for the paths that need no component
/// parsing (the last name is a plain name after a single `/`); others take
/// `Path::parent`. Recipes, includes and sources ask this of every path
/// they look up.
pub fn parent_dir(path: &Path) -> Option<&Path> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    match grove_syntax::rfind_byte(b'/', bytes) {
        Some(0) if bytes.len() > 1 && &bytes[1..] != b"." && &bytes[1..] != b".." => Some(Path::new("/")),
        Some(i) if i > 0 && i + 1 < bytes.len() && bytes[i - 1] != b'/' && &bytes[i + 1..] != b"." && !bytes[..i].ends_with(b"/.") => {
            Some(Path::new(std::ffi::OsStr::from_bytes(&bytes[..i])))
        }
        _ => path.parent(),
    }
}

/// The whole of an open regular file, without asking its size first
/// (`fs::read` would add a `statx` per file) and without zeroing the
/// buffer (it is read into its spare capacity). A read that fills less
/// than it was offered is the end of the file (regular files are read
/// short only there), so a small file costs one `read`, not a second one
/// that finds the end: a layer's thirty thousand files made that a tenth
/// of the system calls of an evaluation.
fn read_all(fd: &rustix::fd::OwnedFd) -> std::io::Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::with_capacity(8 << 10);
    loop {
        let offered = buf.capacity() - buf.len();
        let n = match rustix::io::read(fd, rustix::buffer::spare_capacity(&mut buf)) {
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        };
        if n < offered {
            return Ok(buf);
        }
        buf.reserve(buf.capacity());
    }
}

fn io_error(e: &std::io::Error) -> LoadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound,
        _ => LoadError::Io(e.to_string()),
    }
}

/// Files held in memory, for tests and fuzzing. Paths are used as given.
#[derive(Debug, Clone, Default)]
pub struct MemLoader {
    files: FxHashMap<PathBuf, Arc<str>>,
}

impl MemLoader {
    pub fn new() -> MemLoader {
        MemLoader::default()
    }

    pub fn with(mut self, path: impl Into<PathBuf>, text: &str) -> MemLoader {
        self.insert(path, text);
        self
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: &str) {
        self.files.insert(normalize(&path.into()), text.into());
    }
}

/// Removes `.` and resolves `..` lexically (there are no symlinks in memory).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

impl Loader for MemLoader {
    fn probe(&self, path: &Path) -> Probe {
        let path = normalize(path);
        if self.files.contains_key(&path) { Probe::File(path) } else { Probe::Missing }
    }

    fn read(&self, path: &Path) -> Result<Arc<str>, LoadError> {
        self.files.get(&normalize(path)).cloned().ok_or(LoadError::NotFound)
    }

    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, LoadError> {
        self.read(path).map(|t| t.as_bytes().to_vec())
    }

    fn roots(&self) -> Vec<PathBuf> {
        vec![PathBuf::from("/")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_opened_from_the_root_they_lie_in() {
        let top = tempfile::tempdir().unwrap();
        let top = top.path().canonicalize().unwrap();
        let root = top.join("layer");
        std::fs::create_dir_all(root.join("recipes/core")).unwrap();
        std::fs::write(root.join("recipes/core/a.gr"), "A = \"1\"\n").unwrap();
        let loader = FsLoader::new([root.clone()]);
        let rel = |p: &Path| loader.below_root(p).map(|(_, rel)| rel.to_path_buf());
        assert_eq!(rel(&root.join("recipes/core/a.gr")), Some(PathBuf::from("recipes/core/a.gr")));
        // Not below it: a sibling whose name starts with the root's, the
        // root itself, a path that climbs out.
        assert_eq!(rel(&top.join("layer-x/a.gr")), None);
        assert_eq!(rel(&root), None);
        assert_eq!(rel(&root.join("recipes/../../layer-x/a.gr")), None);
        // And what is opened from the root is the file.
        let fd = loader.open(&root.join("recipes/core/a.gr")).unwrap();
        assert_eq!(read_all(&fd).unwrap(), b"A = \"1\"\n");
    }
}
