//! The evaluation cache: what evaluating each recipe yielded, kept between
//! runs, and trusted only while nothing it came from has changed.
//!
//! One cache file holds one configuration of one workspace. It is valid as
//! a whole while its *key* holds: grove's build, the command-line settings,
//! every configuration file (by stamp), and the list of the layers' other
//! files (so a class, an include or a `file://` source that appears or goes
//! away, and could change what a lookup finds, invalidates everything). An
//! entry is valid while its recipe's appends are the same and every file
//! it read (recipe, appends, includes, classes, local sources) has the same
//! stamp: size, modification and change times, inode. A recipe whose entry
//! is not valid is evaluated again; errors are never cached.
//!
//! The graph built from the entries is kept with them: when every entry is
//! valid and the workspace has exactly those recipes, in that order, with
//! the same layer priorities, the graph is taken as it was (what it is
//! built from is then the same: the entries, the workspace's order and
//! priorities, and the configuration's preferences, which the key covers).
//!
//! Stamps have nanosecond times, so an edit is noticed unless it lands in
//! the same clock tick as the previous write *and* keeps the size, inode
//! and change time: on a file system with coarse timestamps that is git's
//! "racy clean" case, and `--no-cache` is the way out.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::graph::Parts;
use crate::recipe::Recipe;

/// Bumped on any change of what is stored.
const FORMAT: u32 = 3;

/// What a file looked like: enough to notice an edit without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
}

impl Stamp {
    /// The stamp of a file on disk; `None` if it cannot be read (which no
    /// stored stamp equals). grove's embedded files have no stamp and are
    /// covered by the build in the key.
    pub fn of(path: &Path) -> Option<Stamp> {
        std::fs::metadata(path).ok().map(|m| Stamp::from(&m))
    }
}

impl Stamp {
    /// The same, from a `statx` result (what a directory walk takes).
    pub fn from_statx(s: &rustix::fs::Statx) -> Stamp {
        let time = |t: &rustix::fs::StatxTimestamp| (t.tv_sec, i64::from(t.tv_nsec));
        Stamp { len: s.stx_size, mtime: time(&s.stx_mtime), ctime: time(&s.stx_ctime), ino: s.stx_ino }
    }

    /// Whether the file last changed (content or metadata) before `time`
    /// (seconds and nanoseconds since the epoch).
    pub fn changed_before(&self, time: (i64, i64)) -> bool {
        self.mtime < time && self.ctime < time
    }
}

impl From<&std::fs::Metadata> for Stamp {
    fn from(m: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp { len: m.len(), mtime: (m.mtime(), m.mtime_nsec()), ctime: (m.ctime(), m.ctime_nsec()), ino: m.ino() }
    }
}

#[derive(Serialize, Deserialize)]
struct File<'a> {
    format: u32,
    key: [u8; 32],
    /// Every file an entry names (its recipe, appends and every file it
    /// read), once, as bytes (no check that they are text, no copy each).
    #[serde(borrow)]
    files: Vec<(Bytes<'a>, Option<Stamp>)>,
    entries: Vec<Entry>,
    /// The graph built from exactly these entries, in this order, if it
    /// built without errors.
    graph: Option<Parts>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// Indexes into `File::files`.
    recipe: u32,
    appends: Vec<u32>,
    read: Vec<u32>,
    value: Recipe,
}

/// [`File`] as it is written: the same fields in the same order (so the
/// same bytes), with the entries' recipes borrowed, not copied.
#[derive(Serialize)]
struct FileOut<'a> {
    format: u32,
    key: [u8; 32],
    files: Vec<(Bytes<'a>, Option<Stamp>)>,
    entries: Vec<EntryOut<'a>>,
    graph: Option<Parts>,
}

/// [`Entry`] as it is written.
#[derive(Serialize)]
struct EntryOut<'a> {
    recipe: u32,
    appends: Vec<u32>,
    read: Vec<u32>,
    value: &'a Recipe,
}

/// Bytes, stored as bytes and read back without a copy.
#[derive(Clone, Copy)]
pub(crate) struct Bytes<'a>(pub &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Bytes<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de [u8]>::deserialize(d).map(Bytes)
    }
}

/// Paths in one buffer.
#[derive(Default)]
struct Paths {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Paths {
    fn get(&self, i: u32) -> &Path {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Path::new(OsStr::from_bytes(&self.bytes[start..self.ends[i]]))
    }
}

/// A cache file as read, before it is checked.
struct Decoded {
    format: u32,
    key: [u8; 32],
    paths: Paths,
    stamps: Vec<Option<Stamp>>,
    entries: Vec<Entry>,
    graph: Option<Parts>,
}

fn decode(bytes: &[u8]) -> Option<Decoded> {
    let file = postcard::from_bytes::<File>(bytes).ok()?;
    let mut paths = Paths { bytes: Vec::with_capacity(file.files.iter().map(|f| f.0.0.len()).sum()), ends: Vec::new() };
    let mut stamps = Vec::with_capacity(file.files.len());
    for (path, stamp) in file.files {
        paths.bytes.extend_from_slice(path.0);
        paths.ends.push(paths.bytes.len());
        stamps.push(stamp);
    }
    Some(Decoded { format: file.format, key: file.key, paths, stamps, entries: file.entries, graph: file.graph })
}

/// The files an evaluation read.
pub enum Read {
    /// Indexes into the loaded cache's files (an entry reused).
    Kept(Vec<u32>),
    /// Evaluated this run (shared between the configurations of a matrix
    /// that read the same files).
    Paths(std::sync::Arc<[PathBuf]>),
}

/// A loaded cache: the entries still valid.
#[derive(Default)]
pub struct Cache {
    key: [u8; 32],
    paths: Paths,
    stamps: Vec<Option<Stamp>>,
    /// In the file's order; `None` once stale or taken.
    entries: Vec<Option<Entry>>,
    /// Where each entry is, by the recipe's path as bytes (hashing a
    /// `PathBuf` walks its components); made only when an entry is not at
    /// the position asked for.
    index: Option<FxHashMap<OsString, usize>>,
    graph: Option<Parts>,
    /// Entries taken at the position asked for.
    in_place: usize,
    /// Entries dropped because something changed (for the summary).
    pub stale: usize,
    /// Entries valid at load.
    loaded: usize,
}

/// How the run went, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub reused: usize,
    pub evaluated: usize,
}

/// A cache file being read and decoded on another thread: started before
/// the layers are walked (which it does not need), it is ready when the
/// stamps it is checked against are.
pub struct Reading {
    path: PathBuf,
    thread: std::thread::JoinHandle<Option<Decoded>>,
}

impl Reading {
    pub fn start(path: PathBuf) -> Reading {
        let file = path.clone();
        let thread = std::thread::spawn(move || decode(&std::fs::read(file).ok()?));
        Reading { path, thread }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Cache {
    /// The cache `reading` reads, for `key`; an absent, unreadable,
    /// foreign or outdated file is an empty cache (a cache can only save
    /// work). `stamp_of` says what a file looks like now (the workspace
    /// knows most files already; others are looked up).
    pub fn load(reading: Reading, key: [u8; 32], stamp_of: &(dyn Fn(&Path) -> Option<Stamp> + Sync)) -> Cache {
        let mut cache = Cache { key, ..Cache::default() };
        let Some(file) = reading.thread.join().ok().flatten() else { return cache };
        if file.format != FORMAT || file.key != key {
            return cache;
        }
        let paths = &file.paths;
        let fresh: Vec<bool> = (0..file.stamps.len() as u32)
            .into_par_iter()
            .map(|i| file.stamps[i as usize].is_none_or(|s| stamp_of(paths.get(i)) == Some(s)))
            .collect();
        let named = |i: u32| fresh.get(i as usize).copied().unwrap_or(false);
        cache.entries = file
            .entries
            .into_iter()
            .map(|e| (named(e.recipe) && e.appends.iter().chain(&e.read).all(|&i| named(i))).then_some(e))
            .collect();
        cache.loaded = cache.entries.iter().flatten().count();
        cache.stale = cache.entries.len() - cache.loaded;
        (cache.paths, cache.stamps, cache.graph) = (file.paths, file.stamps, file.graph);
        cache
    }

    /// How many entries were valid when the cache was loaded.
    pub fn len(&self) -> usize {
        self.loaded
    }

    pub fn is_empty(&self) -> bool {
        self.loaded == 0
    }

    /// Takes the cached recipe for this file and appends out of the cache,
    /// if still valid, with the files it read; `position` is where the
    /// recipe is in the workspace (where a cache of the same workspace has
    /// it).
    pub fn take(&mut self, position: usize, recipe: &Path, appends: &[PathBuf]) -> Option<(Recipe, Read)> {
        let paths = &self.paths;
        let here = self.entries.get(position).and_then(Option::as_ref).is_some_and(|e| paths.get(e.recipe) == recipe.as_os_str());
        let at = if here {
            position
        } else {
            let entries = &self.entries;
            let index = self.index.get_or_insert_with(|| {
                let recipes = entries.iter().enumerate().filter_map(|(i, e)| Some((paths.get(e.as_ref()?.recipe).as_os_str().to_owned(), i)));
                recipes.collect()
            });
            *index.get(recipe.as_os_str())?
        };
        let kept = &self.entries[at].as_ref()?.appends;
        if kept.len() != appends.len() || kept.iter().zip(appends).any(|(&i, a)| paths.get(i).as_os_str() != a.as_os_str()) {
            return None;
        }
        let entry = self.entries[at].take()?;
        self.in_place += usize::from(here);
        Some((entry.value, Read::Kept(entry.read)))
    }

    /// The graph kept with the entries, when every entry was valid and
    /// taken at its position (the workspace has exactly the recipes the
    /// graph was built from, in that order) and the layers have the same
    /// priorities.
    pub fn take_graph(&mut self, recipes: usize, priorities: &[i64]) -> Option<Parts> {
        let whole = self.stale == 0 && self.in_place == recipes && self.entries.len() == recipes;
        self.graph.take().filter(|g| whole && g.built_with(priorities, recipes))
    }

    /// Writes the cache for `entries` (recipe, appends, what it yielded,
    /// the files it read) and the graph built from them, atomically.
    /// Stamps come from `stamp_of` (for files kept, from the cache, which
    /// found them unchanged); the workspace's were taken before any file
    /// was read, so a file edited during the evaluation is evaluated again
    /// next time.
    pub fn save<'a>(
        &'a self,
        path: &Path,
        entries: impl Iterator<Item = (&'a Path, &'a [PathBuf], &'a Recipe, &'a Read)>,
        graph: Option<Parts>,
        stamp_of: &(dyn Fn(&Path) -> Option<Stamp> + Sync),
    ) -> std::io::Result<()> {
        let mut index: FxHashMap<&OsStr, u32> = FxHashMap::default();
        let mut files: Vec<(Bytes, Option<Stamp>)> = Vec::new();
        let mut out = Vec::new();
        let mut id = |p: &'a Path, stamp: &dyn Fn() -> Option<Stamp>| -> u32 {
            *index.entry(p.as_os_str()).or_insert_with(|| {
                files.push((Bytes(p.as_os_str().as_bytes()), stamp()));
                (files.len() - 1) as u32
            })
        };
        let now = |p: &Path| if crate::project::is_embedded(p) { None } else { stamp_of(p) };
        for (recipe, appends, value, read) in entries {
            let read = match read {
                Read::Kept(ids) => ids.iter().map(|&i| id(self.paths.get(i), &|| self.stamps[i as usize])).collect(),
                Read::Paths(paths) => paths.iter().map(|p| id(p, &|| now(p))).collect(),
            };
            let recipe = id(recipe, &|| now(recipe));
            let appends = appends.iter().map(|p| id(p, &|| now(p))).collect();
            out.push(EntryOut { recipe, appends, read, value });
        }
        let file = FileOut { format: FORMAT, key: self.key, files, entries: out, graph };
        let bytes = postcard::to_stdvec(&file).map_err(std::io::Error::other)?;
        write_atomically(path, &bytes)
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into
/// place: a reader finds the old file or the new one, never a part.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The key of a configuration's cache: grove's build (`build`), the
/// command-line settings, each configuration file's stamp, and the list
/// of the layers' other files (`others`, a digest of their paths).
pub fn key(build: &[u8], settings: &[(&str, &str)], config_files: &[PathBuf], others: &[u8; 32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("grove 2026 evaluation cache key");
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(&FORMAT.to_le_bytes());
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(build);
    for (k, v) in settings {
        field(k.as_bytes());
        field(v.as_bytes());
    }
    for f in config_files {
        field(f.as_os_str().as_encoded_bytes());
        match Stamp::of(f) {
            Some(s) => {
                let (len, (ms, mn), (cs, cn), ino) = (s.len, s.mtime, s.ctime, s.ino);
                for n in [len as i64, ms, mn, cs, cn, ino as i64] {
                    field(&n.to_le_bytes());
                }
            }
            None => field(b"missing"),
        }
    }
    field(others);
    *h.finalize().as_bytes()
}
