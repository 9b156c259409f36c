//! The store's two storage roles as traits, so that the same code (and the
//! same conformance suite, `conformance.rs`) runs on the local directory
//! ([`Store`]), on the in-memory reference implementation
//! ([`MemoryStore`](crate::MemoryStore)), and later on a shared cache
//! (S3-compatible or plain HTTP object storage) or a Remote Execution API
//! CAS.
//!
//! * [`ContentStore`]: blobs named by the hash of their content: file
//!   objects, tree manifests, commit records, build logs. Immutable; a put
//!   is idempotent; a get never returns bytes that do not hash to the id
//!   asked for (it fails instead). This is what an S3 bucket or an REAPI
//!   `ContentAddressableStorage` can hold.
//! * [`RefStore`]: mutable names pointing at commits, updated by
//!   compare-and-swap, with their history. This needs a single writer per
//!   name (a lock, or a conditional write such as S3's `If-Match`).
//!
//! Artifact records (written once per derivation, under a lock) are a
//! third role, write-once by key, that stays on the local store for now.
//!
//! Ids are blake3 (FORMAT.md). REAPI servers name blobs by SHA-256: an
//! adapter for one keeps a side index from SHA-256 to blake3 id, filled
//! when an object leaves the machine (FORMAT.md, "A SHA-256 side index"),
//! so no id and no encoding here changes.

use crate::Store;
use crate::commit::Commit;
use crate::error::{Result, StoreError};
use crate::id::{CommitId, Hash, LogId, ObjectId, TreeId};
use crate::object::ObjectKind;
use crate::refs::{RefName, ReflogEntry};
use crate::tree::Tree;

/// What a blob is: it decides how its id is computed from its bytes and
/// what bytes are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobKind {
    /// A file object: content (or a symlink's target).
    Object(ObjectKind),
    /// A canonical tree manifest.
    Tree,
    /// A canonical commit record.
    Commit,
    /// A build log's text.
    Log,
}

impl BlobKind {
    /// The id of a blob of this kind with these bytes (FORMAT.md).
    pub fn id(self, bytes: &[u8]) -> Hash {
        match self {
            BlobKind::Object(kind) => kind.id(bytes).0,
            BlobKind::Tree | BlobKind::Commit => Hash::of(b"", bytes),
            BlobKind::Log => Hash::of(crate::log::LOG_DOMAIN, bytes),
        }
    }

    /// Refuses bytes that are not in the one canonical form of this kind
    /// (trees and commits); anything is a valid object or log.
    pub fn check(self, bytes: &[u8]) -> Result<()> {
        let why = match self {
            BlobKind::Tree => Tree::decode(bytes).err(),
            BlobKind::Commit => match std::str::from_utf8(bytes) {
                Ok(text) => Commit::decode(text).err(),
                Err(_) => Some("it is not UTF-8".to_string()),
            },
            BlobKind::Object(_) | BlobKind::Log => None,
        };
        match why {
            Some(detail) => Err(StoreError::Malformed {
                what: self.what(),
                detail,
            }),
            None => Ok(()),
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            BlobKind::Object(_) => "object",
            BlobKind::Tree => "tree",
            BlobKind::Commit => "commit",
            BlobKind::Log => "log",
        }
    }
}

/// Blobs named by their content's hash.
pub trait ContentStore: Send + Sync {
    /// Stores `bytes` as a blob of `kind` and returns its id; storing the
    /// same bytes again is a no-op. Trees and commits must be canonical
    /// ([`BlobKind::check`]); an implementation may also refuse a record
    /// naming something it does not hold (the local store does), so put
    /// what is named first.
    fn put(&self, kind: BlobKind, bytes: &[u8]) -> Result<Hash>;

    /// The bytes of a blob, `None` if it is not stored. Never bytes that
    /// do not hash to `id`: damaged content is an error.
    fn get(&self, kind: BlobKind, id: &Hash) -> Result<Option<Vec<u8>>>;

    fn contains(&self, kind: BlobKind, id: &Hash) -> Result<bool>;
}

/// Names pointing at commits, changed by compare-and-swap, with history.
pub trait RefStore: Send + Sync {
    fn read_ref(&self, name: &RefName) -> Result<Option<CommitId>>;

    /// Points `name` at `new`, a commit this store holds. With `expect`,
    /// only if the ref has that value now (`Some(None)`: only if it does
    /// not exist), else [`StoreError::RefMoved`]. `a/b` and `a/b/c` cannot
    /// both exist ([`StoreError::RefConflict`]). Returns the old value.
    fn update_ref(
        &self,
        name: &RefName,
        new: &CommitId,
        expect: Option<Option<CommitId>>,
        message: &str,
    ) -> Result<Option<CommitId>>;

    /// Every ref, sorted by name.
    fn list_refs(&self) -> Result<Vec<(RefName, CommitId)>>;

    /// The ref's updates, oldest first; each line's old value is the one
    /// before's new value.
    fn ref_history(&self, name: &RefName) -> Result<Vec<ReflogEntry>>;
}

impl ContentStore for Store {
    fn put(&self, kind: BlobKind, bytes: &[u8]) -> Result<Hash> {
        kind.check(bytes)?;
        Ok(match kind {
            BlobKind::Object(k) => self.put_object(k, bytes)?.0,
            BlobKind::Tree => self.put_tree(&Tree::decode(bytes).expect("checked"))?.0,
            BlobKind::Commit => {
                let text = std::str::from_utf8(bytes).expect("checked");
                self.put_commit(&Commit::decode(text).expect("checked"))?.0
            }
            BlobKind::Log => self.put_log(bytes)?.0,
        })
    }

    fn get(&self, kind: BlobKind, id: &Hash) -> Result<Option<Vec<u8>>> {
        if !ContentStore::contains(self, kind, id)? {
            return Ok(None);
        }
        let bytes = match kind {
            BlobKind::Object(k) => {
                let (found, bytes) = self.read_object(&ObjectId(*id))?;
                if found != k {
                    return Ok(None);
                }
                bytes
            }
            BlobKind::Tree => self.read_tree(&TreeId(*id))?.encode(),
            BlobKind::Commit => self.read_commit(&CommitId(*id))?.encode().into_bytes(),
            BlobKind::Log => self.read_log(&LogId(*id))?,
        };
        Ok(Some(bytes))
    }

    fn contains(&self, kind: BlobKind, id: &Hash) -> Result<bool> {
        Ok(match kind {
            BlobKind::Object(_) => self.has_object(&ObjectId(*id)),
            BlobKind::Tree => self.has_tree(&TreeId(*id)),
            BlobKind::Commit => self.has_commit(&CommitId(*id)),
            BlobKind::Log => self.has_log(&LogId(*id)),
        })
    }
}

impl RefStore for Store {
    fn read_ref(&self, name: &RefName) -> Result<Option<CommitId>> {
        Store::read_ref(self, name)
    }

    fn update_ref(
        &self,
        name: &RefName,
        new: &CommitId,
        expect: Option<Option<CommitId>>,
        message: &str,
    ) -> Result<Option<CommitId>> {
        Store::update_ref(self, name, new, expect, message)
    }

    fn list_refs(&self) -> Result<Vec<(RefName, CommitId)>> {
        Store::list_refs(self)
    }

    fn ref_history(&self, name: &RefName) -> Result<Vec<ReflogEntry>> {
        Store::ref_history(self, name)
    }
}
