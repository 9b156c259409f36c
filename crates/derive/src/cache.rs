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
//! Stamps have nanosecond times, so an edit is noticed unless it lands in
//! the same clock tick as the previous write *and* keeps the size, inode
//! and change time: on a file system with coarse timestamps that is git's
//! "racy clean" case, and `--no-cache` is the way out.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::recipe::Recipe;

/// Bumped on any change of what is stored.
const FORMAT: u32 = 1;

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
struct File {
    format: u32,
    key: [u8; 32],
    /// Every file any entry read, once.
    files: Vec<(PathBuf, Option<Stamp>)>,
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    recipe: PathBuf,
    appends: Vec<PathBuf>,
    /// Indexes into `File::files`.
    read: Vec<u32>,
    value: Recipe,
}

/// A loaded cache: the entries still valid, by recipe path.
#[derive(Default)]
pub struct Cache {
    key: [u8; 32],
    /// By the recipe's path as bytes (hashing a `PathBuf` walks its
    /// components, which showed in profiles).
    valid: FxHashMap<OsString, (Vec<PathBuf>, Recipe, Vec<PathBuf>)>,
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

impl Cache {
    /// Reads the cache at `path` for `key`; an absent, unreadable, foreign
    /// or outdated file is an empty cache (a cache can only save work).
    /// `stamp_of` says what a file looks like now (the workspace knows most
    /// files already; others are looked up).
    pub fn load(path: &Path, key: [u8; 32], stamp_of: &(dyn Fn(&Path) -> Option<Stamp> + Sync)) -> Cache {
        let mut cache = Cache { key, ..Cache::default() };
        let Ok(bytes) = std::fs::read(path) else { return cache };
        let Ok(file) = postcard::from_bytes::<File>(&bytes) else { return cache };
        if file.format != FORMAT || file.key != key {
            return cache;
        }
        let fresh: Vec<bool> = file.files.par_iter().map(|(p, s)| s.is_none_or(|s| stamp_of(p) == Some(s))).collect();
        for e in file.entries {
            if e.read.iter().all(|&i| fresh.get(i as usize).copied().unwrap_or(false)) {
                let read = e.read.iter().map(|&i| file.files[i as usize].0.clone()).collect();
                cache.valid.insert(e.recipe.into_os_string(), (e.appends, e.value, read));
                cache.loaded += 1;
            } else {
                cache.stale += 1;
            }
        }
        cache
    }

    /// How many entries were valid when the cache was loaded.
    pub fn len(&self) -> usize {
        self.loaded
    }

    pub fn is_empty(&self) -> bool {
        self.loaded == 0
    }

    /// The cached recipe for this file and appends, if still valid.
    /// Takes the cached recipe for this file and appends out of the cache,
    /// if still valid, with the files it read.
    pub fn take(&mut self, recipe: &Path, appends: &[PathBuf]) -> Option<(Recipe, Vec<PathBuf>)> {
        let (a, _, _) = self.valid.get(recipe.as_os_str())?;
        if a.as_slice() != appends {
            return None;
        }
        self.valid.remove(recipe.as_os_str()).map(|(_, r, read)| (r, read))
    }

    /// Writes the cache for `entries` (recipe, appends, what it yielded,
    /// the files it read) atomically: a temporary file renamed into place.
    /// Stamps come from `stamp_of`; the workspace's were taken before any
    /// file was read, so a file edited during the evaluation is evaluated
    /// again next time.
    pub fn save(
        &self,
        path: &Path,
        entries: &[(PathBuf, Vec<PathBuf>, Recipe, Vec<PathBuf>)],
        stamp_of: &(dyn Fn(&Path) -> Option<Stamp> + Sync),
    ) -> std::io::Result<()> {
        let mut index: FxHashMap<&std::ffi::OsStr, u32> = FxHashMap::default();
        let mut files: Vec<(PathBuf, Option<Stamp>)> = Vec::new();
        let mut out = Vec::with_capacity(entries.len());
        for (recipe, appends, value, read) in entries {
            let mut ids = Vec::with_capacity(read.len());
            for p in read {
                let id = *index.entry(p.as_os_str()).or_insert_with(|| {
                    let stamp = if crate::project::is_embedded(p) { None } else { stamp_of(p) };
                    files.push((p.clone(), stamp));
                    (files.len() - 1) as u32
                });
                ids.push(id);
            }
            out.push(Entry { recipe: recipe.clone(), appends: appends.clone(), read: ids, value: value.clone() });
        }
        let file = File { format: FORMAT, key: self.key, files, entries: out };
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
