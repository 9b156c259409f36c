//! grove's content-addressed store: file objects named by their blake3
//! hash, canonical tree manifests, artifacts indexed by derivation, build
//! logs, commits, refs with history, locks, fsck, gc, import, export and
//! checkout. Synchronous; rayon where hashing many files pays.
//!
//! The on-disk layout and every canonical encoding are written down in
//! `FORMAT.md` beside this crate.

mod artifact;
mod checkout;
mod commit;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod export;
mod fsck;
mod fsutil;
mod gc;
mod id;
mod import;
mod lock;
mod log;
mod memory;
mod object;
mod reach;
mod refs;
mod role;
mod text;
mod tree;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

pub use artifact::{Artifact, Output};
pub use checkout::CheckoutReport;
pub use commit::Commit;
pub use error::{Rejection, Result, StoreError};
pub use export::ImportedArtifact;
pub use fsck::{FsckReport, Problem};
pub use gc::GcReport;
pub use id::{CommitId, DrvId, Hash, LogId, ObjectId, TreeId};
pub use import::{ImportOptions, Imported};
pub use lock::{Access, Event, Lock, Observer};
pub use memory::MemoryStore;
pub use object::ObjectKind;
pub use refs::{GcRoot, RefName, ReflogEntry};
pub use role::{BlobKind, ContentStore, RefStore};
pub use tree::{Entry, EntryKind, Tree};

use error::io_err;

/// The first line of `STORE_FILE`; changes when the layout does.
const FORMAT_LINE: &str = "grove-store 1";
const STORE_FILE: &str = "grove-store";
const DIRS: &[&str] = &[
    "objects",
    "trees",
    "commits",
    "artifacts",
    "logs",
    "refs",
    "reflogs",
    "roots",
    "locks",
    "tmp",
];

/// A store directory, opened. Holds the store lock (shared or exclusive)
/// for as long as it lives.
pub struct Store {
    root: PathBuf,
    observer: Option<Observer>,
    access: Access,
    _lock: Lock,
}

impl Store {
    /// Opens (creating it if needed) the store at `root` for normal work.
    pub fn open(root: &Path) -> Result<Store> {
        Store::open_with(root, Access::Shared, None)
    }

    /// Opens the store with the given access; `observer` hears about every
    /// lock this store waits for, including the store lock itself.
    pub fn open_with(root: &Path, access: Access, observer: Option<Observer>) -> Result<Store> {
        init(root)?;
        let what = match access {
            Access::Shared => "the store (gc or repair is running)",
            Access::Exclusive => "the store (other grove processes are using it)",
        };
        let lock = lock::acquire(&root.join("lock"), access, what, observer.as_ref())?;
        Ok(Store {
            root: root.to_path_buf(),
            observer,
            access,
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    pub(crate) fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub(crate) fn observer(&self) -> Option<&Observer> {
        self.observer.as_ref()
    }

    /// Takes the named per-item lock (`artifact-…`, `ref-…`), reporting a
    /// wait through the observer.
    pub(crate) fn lock_item(&self, file: &str, what: &str) -> Result<Lock> {
        lock::acquire(
            &self.dir("locks").join(file),
            Access::Exclusive,
            what,
            self.observer(),
        )
    }
}

/// Creates the layout if it is missing; checks the format line if not.
fn init(root: &Path) -> Result<()> {
    let marker = root.join(STORE_FILE);
    match fs::read_to_string(&marker) {
        Ok(text) if text.lines().next() == Some(FORMAT_LINE) => return Ok(()),
        Ok(text) => {
            return Err(StoreError::NotAStore {
                path: root.to_path_buf(),
                detail: format!("unknown format `{}`", text.lines().next().unwrap_or("")),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("read", &marker)(e)),
    }
    if root.exists()
        && fs::read_dir(root)
            .map_err(io_err("read", root))?
            .next()
            .is_some()
        && !root.join("objects").is_dir()
    {
        return Err(StoreError::NotAStore {
            path: root.to_path_buf(),
            detail: "the directory is not empty and has no `grove-store` file".into(),
        });
    }
    for d in DIRS {
        let p = root.join(d);
        fs::create_dir_all(&p).map_err(io_err("create", &p))?;
    }
    let tmp = root.join("tmp");
    fsutil::write_atomic(&tmp, &marker, format!("{FORMAT_LINE}\n").as_bytes(), 0o644)
}
