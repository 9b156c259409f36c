//! The reference implementation of the storage roles: everything in
//! memory, as simple as the contracts allow, so that the conformance
//! suite is checked against something obviously right, and tests of code
//! above the store can run without a directory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::error::{Result, StoreError, corrupt};
use crate::id::{CommitId, Hash};
use crate::refs::{RefName, ReflogEntry};
use crate::role::{BlobKind, ContentStore, RefStore};

#[derive(Default)]
pub struct MemoryStore {
    blobs: Mutex<HashMap<(BlobKind, Hash), Vec<u8>>>,
    /// Each ref's value and history.
    refs: Mutex<BTreeMap<RefName, (CommitId, Vec<ReflogEntry>)>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Changes a stored blob's bytes behind the store's back (what a bad
    /// disk or a bad server does), for tests of the "never wrong bytes"
    /// contract. Whether the blob was there.
    pub fn damage(&self, kind: BlobKind, id: &Hash, change: impl FnOnce(&mut Vec<u8>)) -> bool {
        let mut blobs = self.blobs.lock().expect("no panics while held");
        blobs.get_mut(&(kind, *id)).map(change).is_some()
    }
}

impl ContentStore for MemoryStore {
    fn put(&self, kind: BlobKind, bytes: &[u8]) -> Result<Hash> {
        kind.check(bytes)?;
        let id = kind.id(bytes);
        let mut blobs = self.blobs.lock().expect("no panics while held");
        let good = blobs.get(&(kind, id)).is_some_and(|b| kind.id(b) == id);
        if !good {
            blobs.insert((kind, id), bytes.to_vec());
        }
        Ok(id)
    }

    fn get(&self, kind: BlobKind, id: &Hash) -> Result<Option<Vec<u8>>> {
        let blobs = self.blobs.lock().expect("no panics while held");
        match blobs.get(&(kind, *id)) {
            None => Ok(None),
            Some(b) if kind.id(b) == *id => Ok(Some(b.clone())),
            Some(_) => Err(corrupt(
                kind.what(),
                format!("memory:{id}"),
                "its content does not hash to its name",
            )),
        }
    }

    fn contains(&self, kind: BlobKind, id: &Hash) -> Result<bool> {
        let blobs = self.blobs.lock().expect("no panics while held");
        Ok(blobs.contains_key(&(kind, *id)))
    }
}

impl RefStore for MemoryStore {
    fn read_ref(&self, name: &RefName) -> Result<Option<CommitId>> {
        let refs = self.refs.lock().expect("no panics while held");
        Ok(refs.get(name).map(|(c, _)| *c))
    }

    fn update_ref(
        &self,
        name: &RefName,
        new: &CommitId,
        expect: Option<Option<CommitId>>,
        message: &str,
    ) -> Result<Option<CommitId>> {
        if !self.contains(BlobKind::Commit, &new.0)? {
            return Err(StoreError::NotFound {
                what: "commit",
                id: new.to_hex(),
            });
        }
        let mut refs = self.refs.lock().expect("no panics while held");
        let prefix = |a: &RefName, b: &RefName| b.as_str().starts_with(&format!("{a}/"));
        if let Some(other) = refs.keys().find(|o| prefix(o, name) || prefix(name, o)) {
            return Err(StoreError::RefConflict {
                name: name.to_string(),
                other: other.to_string(),
            });
        }
        let old = refs.get(name).map(|(c, _)| *c);
        let Some(entry) = ReflogEntry::for_update(name, old, new, expect, message)? else {
            return Ok(old);
        };
        let slot = refs.entry(name.clone()).or_insert((*new, Vec::new()));
        slot.0 = *new;
        slot.1.push(entry);
        Ok(old)
    }

    fn list_refs(&self) -> Result<Vec<(RefName, CommitId)>> {
        let refs = self.refs.lock().expect("no panics while held");
        Ok(refs.iter().map(|(n, (c, _))| (n.clone(), *c)).collect())
    }

    fn ref_history(&self, name: &RefName) -> Result<Vec<ReflogEntry>> {
        let refs = self.refs.lock().expect("no panics while held");
        Ok(refs.get(name).map(|(_, h)| h.clone()).unwrap_or_default())
    }
}
