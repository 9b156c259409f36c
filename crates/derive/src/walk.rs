//! The layer walk: every directory of a layer listed and every regular file
//! stamped, relative to open directories (the kernel never looks up a whole
//! path again); and the listing kept between runs, git's "untracked
//! cache": a directory whose stamp has not changed since it was listed is
//! not read again, only stamped, and its files stamped from the nearest
//! open directory.
//!
//! Files are stamped on every walk all the same: an edit of a file's
//! content changes its stamp, not its directory's.
//!
//! A directory's stamp is taken before it is listed, so a change while it
//! is read shows next time. A change in the same clock tick as that stamp
//! would not (git's "racy" entries), so a directory changed less than
//! [`RACY`] before the walk that listed it started is listed again next
//! time, until it is older.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use grove_eval::Kind;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags};
use serde::{Deserialize, Serialize};

use crate::cache::{Bytes, Stamp};
use crate::error::DeriveError;

/// Bumped on any change of what is stored or of what a walk lists.
const FORMAT: u32 = 1;

/// How long before a walk a directory must have last changed for its
/// listing to be trusted next time: more than any file system's clock
/// tick (FAT's is two seconds) and the coarse clock the kernel stamps with.
pub const RACY: (i64, i64) = (2, 0);

/// One directory as a walk found it.
#[derive(Debug)]
pub struct Dir<'k> {
    pub path: PathBuf,
    /// Its own stamp, taken before it was listed (only when a listing is
    /// kept: `None` otherwise).
    pub stamp: Option<Stamp>,
    /// Every entry but dot names, sorted by name.
    pub entries: Vec<Entry<'k>>,
    /// Listed by this walk, not taken from the previous one.
    pub listed: bool,
}

/// An entry of a [`Dir`]; regular files carry their stamp.
#[derive(Debug)]
pub struct Entry<'k> {
    pub name: Cow<'k, OsStr>,
    pub kind: Kind,
    pub stamp: Option<Stamp>,
}

/// The listing a previous walk kept: each directory's stamp and entries,
/// borrowed from the bytes of its file.
#[derive(Default)]
pub struct Known<'k> {
    /// Directories changed at or after this time are not trusted.
    before: (i64, i64),
    dirs: FxHashMap<&'k [u8], (Stamp, Names<'k>)>,
}

/// The form of a kept listing.
#[derive(Serialize, Deserialize)]
struct File<'a> {
    format: u32,
    /// When the walk that made it started.
    started: (i64, i64),
    #[serde(borrow)]
    dirs: Vec<(Bytes<'a>, Stamp, Names<'a>)>,
}

/// A directory's kept entries: each name and its kind.
type Names<'a> = Vec<(Bytes<'a>, u8)>;

impl<'k> Known<'k> {
    /// Reads a kept listing; anything unreadable or of another format is
    /// an empty one (it can only save work).
    pub fn parse(bytes: &'k [u8]) -> Known<'k> {
        match postcard::from_bytes::<File>(bytes) {
            Ok(file) if file.format == FORMAT => Known {
                before: minus(file.started, RACY),
                dirs: file.dirs.into_iter().map(|(path, stamp, entries)| (path.0, (stamp, entries))).collect(),
            },
            _ => Known::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.dirs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// The entries kept for `dir`, if its stamp is still `stamp` and it had
    /// not changed shortly before it was listed.
    fn entries(&self, dir: &Path, stamp: &Stamp) -> Option<&[(Bytes<'k>, u8)]> {
        let (kept, entries) = self.dirs.get(dir.as_os_str().as_bytes())?;
        (kept == stamp && stamp.changed_before(self.before)).then_some(entries.as_slice())
    }
}

/// Writes the listing of `dirs` (those with a stamp) for the next walk,
/// atomically: a temporary file renamed into place.
pub fn save<'a, 'k: 'a>(path: &Path, started: (i64, i64), dirs: impl Iterator<Item = &'a Dir<'k>>) -> std::io::Result<()> {
    let dirs = dirs
        .filter_map(|d| {
            let entries = d.entries.iter().map(|e| (Bytes(e.name.as_bytes()), kind_byte(e.kind))).collect();
            Some((Bytes(d.path.as_os_str().as_bytes()), d.stamp?, entries))
        })
        .collect();
    let bytes = postcard::to_stdvec(&File { format: FORMAT, started, dirs }).map_err(std::io::Error::other)?;
    crate::cache::write_atomically(path, &bytes)
}

/// Now, as the file system's clock says it.
pub fn now() -> (i64, i64) {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (t.as_secs() as i64, i64::from(t.subsec_nanos()))
}

fn minus(a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
    let nanos = a.1 - b.1;
    if nanos < 0 { (a.0 - b.0 - 1, nanos + 1_000_000_000) } else { (a.0 - b.0, nanos) }
}

fn kind_byte(kind: Kind) -> u8 {
    match kind {
        Kind::File => 0,
        Kind::Dir => 1,
        Kind::Other => 2,
    }
}

fn byte_kind(byte: u8) -> Kind {
    match byte {
        0 => Kind::File,
        1 => Kind::Dir,
        _ => Kind::Other,
    }
}

/// Why a directory was not walked.
enum Fault {
    /// It is not what its parent's kept listing said: the parent must be
    /// listed again.
    Changed,
    Error(DeriveError),
}

impl From<DeriveError> for Fault {
    fn from(e: DeriveError) -> Fault {
        Fault::Error(e)
    }
}

/// Every directory under `root` (itself first, each before what is
/// below it, entries in name order). With `known` (the kept listing, maybe
/// empty), directories are stamped and those unchanged are not listed
/// again, and files are stamped; without, nothing is kept and nothing is
/// stamped (a file is stamped only if its directory does not say what it
/// is). Subdirectories are walked in parallel; the order does not depend on it.
pub fn walk<'k>(root: &Path, known: Option<&Known<'k>>) -> Result<Vec<Dir<'k>>, DeriveError> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(root, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(Vec::new()),
        Err(e) => return Err(io_error(root, e)),
    };
    match walk_dir(&fd, Path::new(""), root.to_path_buf(), known) {
        Ok(dirs) => Ok(dirs),
        Err(Fault::Changed) => Err(io_error(root, rustix::io::Errno::NOTDIR)),
        Err(Fault::Error(e)) => Err(e),
    }
}

/// The directory `rel` below the open directory `base` (`base` itself
/// when `rel` is empty), whose whole path is `path`.
fn walk_dir<'k>(base: &OwnedFd, rel: &Path, path: PathBuf, known: Option<&Known<'k>>) -> Result<Vec<Dir<'k>>, Fault> {
    let stamp = match known {
        Some(_) => match stat(base, rel) {
            Some((FileType::Directory, stamp)) => Some(stamp),
            // Gone, or no longer a directory, since its parent was listed.
            _ => return Err(Fault::Changed),
        },
        None => None,
    };
    let kept = known.zip(stamp.as_ref()).and_then(|(k, s)| k.entries(&path, s));
    if let Some(kept) = kept {
        let names = kept.iter().map(|(name, kind)| (Cow::Borrowed(OsStr::from_bytes(name.0)), byte_kind(*kind), false));
        match children(base, rel, &path, names.collect(), known, false) {
            Ok(mut dirs) => {
                dirs[0].stamp = stamp;
                return Ok(dirs);
            }
            Err(Fault::Changed) => {}
            Err(e) => return Err(e),
        }
    }
    let opened;
    let fd = if rel.as_os_str().is_empty() {
        base
    } else {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        opened = rustix::fs::openat(base, rel, flags, Mode::empty()).map_err(|e| io_error(&path, e))?;
        &opened
    };
    let names = list(fd, &path)?;
    let mut dirs = match children(fd, Path::new(""), &path, names, known, true) {
        Ok(dirs) => dirs,
        // An entry changed while it was being listed.
        Err(Fault::Changed) => return Err(io_error(&path, rustix::io::Errno::NOTDIR).into()),
        Err(e) => return Err(e),
    };
    dirs[0].stamp = stamp;
    Ok(dirs)
}

/// An entry's name, its kind, and whether the kind is sure (the
/// directory said so; else it is a guess that `statx` must confirm).
type Named<'k> = (Cow<'k, OsStr>, Kind, bool);

/// Every entry of the open directory `fd` at `path` but dot names, sorted.
fn list(fd: &OwnedFd, path: &Path) -> Result<Vec<Named<'static>>, DeriveError> {
    let mut names = Vec::new();
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 32 << 10];
    let mut entries = rustix::fs::RawDir::new(fd, &mut buf);
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(|e| io_error(path, e))?;
        let name = entry.file_name().to_bytes();
        // `.`, `..`, and version control and editors' state: not part of a layer.
        if name.first() == Some(&b'.') {
            continue;
        }
        let (kind, sure) = match entry.file_type() {
            FileType::Directory => (Kind::Dir, true),
            FileType::RegularFile => (Kind::File, true),
            // Some file systems do not say what an entry is; statx will.
            FileType::Unknown => (Kind::File, false),
            _ => (Kind::Other, true),
        };
        names.push((Cow::<OsStr>::Owned(OsString::from(OsStr::from_bytes(name))), kind, sure));
    }
    // Sorted by name (short strings, cheap to compare), so the whole walk
    // comes out in one order whatever the file system's.
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(names)
}

/// The directory at `path` (`rel` below `base`) with the entries `names`:
/// files stamped, directories walked. `listed` says whether `names` were
/// just read (else a kept listing: any entry not as it says is a change).
fn children<'k>(
    base: &OwnedFd,
    rel: &Path,
    path: &Path,
    names: Vec<Named<'k>>,
    known: Option<&Known<'k>>,
    listed: bool,
) -> Result<Vec<Dir<'k>>, Fault> {
    // Entries are looked at in parallel, kept in order; a directory of
    // files that need no stamp (most: a recipe's own files, when nothing
    // is kept) is gone through on this thread, without rayon's splitting.
    let visit = |(name, kind, sure): Named<'k>| -> Result<Visited<'k>, Fault> {
        let mut below = Vec::new();
        let (kind, stamp) = match kind {
            Kind::Dir => {
                below = walk_dir(base, &join(rel, &name), join(path, &name), known)?;
                (Kind::Dir, None)
            }
            Kind::Other => (Kind::Other, None),
            // Nothing is kept: a file the directory says is one needs
            // no stamp (thirty thousand `statx` calls saved).
            Kind::File if known.is_none() && sure => (Kind::File, None),
            Kind::File => {
                let at = join(rel, &name);
                match stat(base, &at) {
                    Some((FileType::RegularFile, stamp)) => (Kind::File, Some(stamp)),
                    Some((FileType::Directory, _)) if listed => {
                        below = walk_dir(base, &at, join(path, &name), known)?;
                        (Kind::Dir, None)
                    }
                    _ if !listed => return Err(Fault::Changed),
                    Some(_) => (Kind::Other, None),
                    // Gone since it was listed: a file without a stamp.
                    None => (Kind::File, None),
                }
            }
        };
        Ok((Entry { name, kind, stamp }, below))
    };
    let quick = |(_, kind, sure): &Named<'k>| *kind == Kind::Other || (*kind == Kind::File && known.is_none() && *sure);
    let visited: Vec<Result<Visited<'k>, Fault>> = if names.iter().all(quick) {
        names.into_iter().map(visit).collect()
    } else {
        names.into_par_iter().map(visit).collect()
    };
    let mut entries = Vec::with_capacity(visited.len());
    let mut dirs = vec![Dir { path: path.to_path_buf(), stamp: None, entries: Vec::new(), listed }];
    for v in visited {
        let (entry, below) = v?;
        entries.push(entry);
        dirs.extend(below);
    }
    dirs[0].entries = entries;
    Ok(dirs)
}

/// An entry of a directory, and the directories below it.
type Visited<'k> = (Entry<'k>, Vec<Dir<'k>>);

/// What `rel` below `base` is, and its stamp; `None` if it cannot be read.
fn stat(base: &OwnedFd, rel: &Path) -> Option<(FileType, Stamp)> {
    let flags = if rel.as_os_str().is_empty() { AtFlags::EMPTY_PATH } else { AtFlags::SYMLINK_NOFOLLOW };
    let s = rustix::fs::statx(base, rel, flags, StatxFlags::BASIC_STATS).ok()?;
    Some((FileType::from_raw_mode(s.stx_mode.into()), Stamp::from_statx(&s)))
}

/// `dir/name` (`name` alone when `dir` is empty), made in one allocation
/// (`Path::join` copies `dir`, then grows the copy: tens of thousands of
/// times a walk, that showed).
pub(crate) fn join(dir: &Path, name: &OsStr) -> PathBuf {
    if dir.as_os_str().is_empty() {
        return PathBuf::from(name);
    }
    let mut out = OsString::with_capacity(dir.as_os_str().len() + 1 + name.len());
    out.push(dir);
    if !dir.as_os_str().as_bytes().ends_with(b"/") {
        out.push("/");
    }
    out.push(name);
    PathBuf::from(out)
}

fn io_error(path: &Path, e: rustix::io::Errno) -> DeriveError {
    DeriveError::Io { path: path.to_path_buf(), reason: std::io::Error::from(e).to_string() }
}

#[cfg(test)]
mod tests;
