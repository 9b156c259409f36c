//! The ingest cache: which object each file of a directory was, keyed by
//! what `lstat` says of it (device, inode, size, mode, mtime and ctime in
//! nanoseconds), so that re-importing an unchanged tree costs a `stat` per
//! file instead of a read and a hash. One file per imported directory,
//! `cache/ingest/<hash of its absolute path>`; losing or damaging it only
//! costs time (it is read only if it parses whole).
//!
//! Like git's index, an entry is trusted only if the file was last changed
//! over a second before the cache was written: a file changed twice within
//! the file system's timestamp granularity could otherwise look unchanged.

use std::collections::HashMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::Store;
use crate::fsutil;
use crate::id::{Hash, ObjectId};
use crate::object::ObjectKind;

const MAGIC: &[u8] = b"grove-ingest-cache 1\n";
/// Bytes of one entry after its path: dev, ino, size, mtime, ctime (8
/// each), mode (4), kind (1), hash (32).
const FIXED: usize = 5 * 8 + 4 + 1 + 32;
const SLACK_NS: i64 = 1_000_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    ctime: i64,
    mode: u32,
}

impl Stat {
    /// From what `statat`/`fstat` said. The field types differ between
    /// targets, hence the casts.
    #[allow(clippy::unnecessary_cast)]
    pub fn from_raw(s: &rustix::fs::Stat) -> Stat {
        Stat {
            dev: s.st_dev as u64,
            ino: s.st_ino as u64,
            size: s.st_size as u64,
            mtime: s.st_mtime as i64 * 1_000_000_000 + s.st_mtime_nsec as i64,
            ctime: s.st_ctime as i64 * 1_000_000_000 + s.st_ctime_nsec as i64,
            mode: s.st_mode as u32,
        }
    }

    #[cfg(test)]
    pub fn of(m: &fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
            mtime: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
            ctime: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
            mode: m.mode(),
        }
    }
}

type Entry = (Stat, ObjectKind, ObjectId);

/// The cache of one directory: what the last import saw, and what this
/// import sees (saved once the import is in place).
pub(crate) struct Cache {
    file: Option<PathBuf>,
    old: HashMap<Vec<u8>, Entry>,
    new: Mutex<Vec<(Vec<u8>, Entry)>>,
}

impl Cache {
    /// No cache: every file is read.
    pub fn none() -> Cache {
        Cache {
            file: None,
            old: HashMap::new(),
            new: Mutex::default(),
        }
    }

    pub fn load(store: &Store, root: &Path) -> Cache {
        let Ok(abs) = fs::canonicalize(root) else {
            return Cache::none();
        };
        let key = Hash::of(b"grove/ingest-cache\0", abs.as_os_str().as_bytes());
        let file = store.dir("cache").join("ingest").join(key.to_hex());
        let old = fs::read(&file)
            .ok()
            .and_then(|b| decode(&b))
            .unwrap_or_default();
        Cache {
            file: Some(file),
            old,
            new: Mutex::default(),
        }
    }

    /// Whether the last import saw a file at `rel`.
    pub fn knows(&self, rel: &[u8]) -> bool {
        self.old.contains_key(rel)
    }

    /// The object a file was, if the cache may be believed.
    pub fn lookup(&self, rel: &[u8], stat: &Stat) -> Option<(ObjectKind, ObjectId)> {
        self.old
            .get(rel)
            .filter(|(s, ..)| s == stat)
            .map(|(_, k, id)| (*k, *id))
    }

    pub fn record(&self, rel: Vec<u8>, stat: Stat, kind: ObjectKind, id: ObjectId) {
        if self.file.is_some() {
            self.new
                .lock()
                .expect("no panics while held")
                .push((rel, (stat, kind, id)));
        }
    }

    /// Writes what this import saw. Not flushed: it is only a cache.
    pub fn save(self, store: &Store) {
        let Some(file) = self.file else { return };
        let written = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let entries = self.new.into_inner().expect("no panics while held");
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + entries.len() * (FIXED + 48));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&written.to_le_bytes());
        for (rel, (s, kind, id)) in entries {
            // A file changed in the last second may change again unseen.
            if s.mtime.max(s.ctime) > written - SLACK_NS {
                continue;
            }
            out.extend_from_slice(&(rel.len() as u32).to_le_bytes());
            out.extend_from_slice(&rel);
            for v in [s.dev, s.ino, s.size, s.mtime as u64, s.ctime as u64] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&s.mode.to_le_bytes());
            out.push(match kind {
                ObjectKind::File => b'f',
                ObjectKind::Exec => b'x',
                ObjectKind::Symlink => b'l',
            });
            out.extend_from_slice(&id.0.0);
        }
        let tmp = fsutil::temp_path(&store.tmp(), "cache");
        let _ = fs::create_dir_all(file.parent().expect("cache/ingest/KEY has a parent"));
        if fs::write(&tmp, &out)
            .and_then(|()| fs::rename(&tmp, &file))
            .is_err()
        {
            let _ = fs::remove_file(&tmp);
        }
    }
}

fn decode(bytes: &[u8]) -> Option<HashMap<Vec<u8>, Entry>> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    rest.get(..8)?;
    rest = &rest[8..];
    let mut out = HashMap::new();
    while !rest.is_empty() {
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let rel = rest.get(4..4 + len)?.to_vec();
        let b = rest.get(4 + len..4 + len + FIXED)?;
        let stat = Stat {
            dev: u64_at(b, 0),
            ino: u64_at(b, 8),
            size: u64_at(b, 16),
            mtime: u64_at(b, 24) as i64,
            ctime: u64_at(b, 32) as i64,
            mode: u32::from_le_bytes(b[40..44].try_into().ok()?),
        };
        let kind = match b[44] {
            b'f' => ObjectKind::File,
            b'x' => ObjectKind::Exec,
            _ => return None,
        };
        let id = ObjectId(Hash(b[45..77].try_into().ok()?));
        out.insert(rel, (stat, kind, id));
        rest = &rest[4 + len + FIXED..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Access, ImportOptions};

    #[test]
    fn an_unchanged_file_is_not_read_again_and_a_changed_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("store"), Access::Exclusive, None).unwrap();
        let src = dir.path().join("src");
        fs::create_dir(&src).unwrap();
        fs::write(src.join("old"), "settled").unwrap();
        fs::write(src.join("gone"), "x").unwrap();
        // Older than the cache's one-second slack.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        fs::write(src.join("new"), "just written").unwrap();
        let first = store.import_path(&src, &ImportOptions::default()).unwrap();

        let cache = Cache::load(&store, &src);
        let stat = |name: &str| Stat::of(&fs::symlink_metadata(src.join(name)).unwrap());
        assert_eq!(
            cache.lookup(b"old", &stat("old")),
            Some((ObjectKind::File, ObjectKind::File.id(b"settled")))
        );
        assert_eq!(
            cache.lookup(b"new", &stat("new")),
            None,
            "changed within the last second: not trusted"
        );

        // The same size, other bytes: a new stat, so read again.
        fs::write(src.join("old"), "SETTLED").unwrap();
        assert_eq!(cache.lookup(b"old", &stat("old")), None);
        fs::remove_file(src.join("gone")).unwrap();
        let second = store.import_path(&src, &ImportOptions::default()).unwrap();
        assert_ne!(second.tree, first.tree);
        let names: Vec<_> = store
            .read_tree(&second.tree)
            .unwrap()
            .entries()
            .iter()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names, [b"new".to_vec(), b"old".to_vec()]);
        let old = store.read_tree(&second.tree).unwrap().entries()[1].clone();
        assert_eq!(old.hash, ObjectKind::File.id(b"SETTLED").0);

        // A damaged cache file costs only time.
        let file = Cache::load(&store, &src).file.unwrap();
        fs::write(&file, b"grove-ingest-cache 1\ntruncated").unwrap();
        assert!(Cache::load(&store, &src).old.is_empty());
        assert_eq!(
            store
                .import_path(&src, &ImportOptions::default())
                .unwrap()
                .tree,
            second.tree
        );
    }
}
