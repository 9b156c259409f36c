//! What a walk of some directories found, taken just before evaluation:
//! a loader that has it answers "is this file there?" for a listed
//! directory without asking the file system (a layer of 10,000 recipes
//! probes tens of thousands of paths for includes, classes and sources).
//!
//! Paths are canonical (walked from canonical roots without following
//! symlinks). Names starting with `.` are not listed: the loader asks the
//! file system for those.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustc_hash::FxHashMap;

use crate::loader::split_name;

/// What a listed name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory (listed itself only if the walk went into it).
    Dir,
    /// Anything else (a symlink, a socket): looked up for real.
    Other,
}

/// Every listed directory with its entries. One table: each entry has an
/// index (see [`Listing::entry`]) that callers may key their own facts by
/// (the evaluation cache keeps each file's stamp that way), and names are
/// kept in one buffer, not one allocation each.
#[derive(Debug, Default)]
pub struct Listing {
    /// Each listed directory: the range of its entries in `entries`.
    dirs: FxHashMap<Box<OsStr>, (u32, u32)>,
    /// Each entry: the range of its name in `names`, and its kind; a
    /// directory's entries are sorted by name.
    entries: Vec<(u32, u32, Kind)>,
    names: Vec<u8>,
}

/// What [`Listing::lookup`] knows of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listed {
    File,
    Missing,
    Unknown,
}

impl Listing {
    /// An empty listing with room for `dirs` directories, `entries`
    /// entries and their names' `bytes`.
    pub fn with_capacity(dirs: usize, entries: usize, bytes: usize) -> Listing {
        Listing {
            dirs: FxHashMap::with_capacity_and_hasher(dirs, Default::default()),
            entries: Vec::with_capacity(entries),
            names: Vec::with_capacity(bytes),
        }
    }

    /// Records the directory `dir` and every entry in it (dot names
    /// aside), in any order; returns the index of its first entry (the
    /// others follow in name order). A directory recorded twice keeps its
    /// first listing.
    pub fn add_dir<'a>(&mut self, dir: &Path, entries: impl IntoIterator<Item = (&'a OsStr, Kind)>) -> usize {
        let start = self.entries.len();
        if let Some(&(first, _)) = self.dirs.get(dir.as_os_str()) {
            return first as usize;
        }
        for (name, kind) in entries {
            let at = self.names.len() as u32;
            self.names.extend_from_slice(name.as_bytes());
            self.entries.push((at, self.names.len() as u32, kind));
        }
        let names = &self.names;
        let listed = &mut self.entries[start..];
        if !listed.is_sorted_by(|a, b| name_of(names, a) <= name_of(names, b)) {
            listed.sort_unstable_by(|a, b| name_of(names, a).cmp(name_of(names, b)));
        }
        self.dirs.insert(dir.as_os_str().into(), (start as u32, self.entries.len() as u32));
        start
    }

    /// How many entries all directories have together.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The index of the entry `path` names, if its directory is listed and
    /// has it.
    pub fn entry(&self, path: &Path) -> Option<usize> {
        let (dir, name) = split_name(path)?;
        self.find(dir, name)?.ok()
    }

    /// The kind of entry `index`.
    pub fn kind(&self, index: usize) -> Kind {
        self.entries[index].2
    }

    /// `name` in `dir`: `None` if `dir` is not listed, else its index or
    /// where it would be.
    fn find(&self, dir: &Path, name: &[u8]) -> Option<Result<usize, usize>> {
        let &(start, end) = self.dirs.get(dir.as_os_str())?;
        let found = self.entries[start as usize..end as usize].binary_search_by(|e| name_of(&self.names, e).cmp(name));
        Some(found.map(|i| i + start as usize).map_err(|i| i + start as usize))
    }

    pub(crate) fn is_dir(&self, dir: &Path) -> bool {
        self.dirs.contains_key(dir.as_os_str())
    }

    pub(crate) fn lookup(&self, path: &Path) -> Listed {
        // Listed names never start with `.`, which also rules out `.` and
        // `..`; a path that is not canonical finds no listed directory.
        let Some((dir, name)) = split_name(path) else { return Listed::Unknown };
        if name.first() == Some(&b'.') {
            return Listed::Unknown;
        }
        match self.find(dir, name) {
            None => Listed::Unknown,
            Some(Err(_)) => Listed::Missing,
            Some(Ok(i)) if self.kind(i) == Kind::File => Listed::File,
            Some(Ok(_)) => Listed::Unknown,
        }
    }
}

fn name_of<'a>(names: &'a [u8], entry: &(u32, u32, Kind)) -> &'a [u8] {
    &names[entry.0 as usize..entry.1 as usize]
}
