//! Directory trees as canonical manifests: sorted entries of (name, kind,
//! hash, size), encoded one way only, so two equal trees have one hash
//! (FORMAT.md, "Trees").

use std::fs;
use std::path::PathBuf;

use crate::Store;
use crate::error::{Result, corrupt, io_err};
use crate::fsutil;
use crate::id::{Hash, ObjectId, TreeId};
use crate::object::ObjectKind;

/// The first bytes of every manifest.
pub const TREE_MAGIC: &[u8] = b"grove-tree 1\n";

/// What an entry of a tree is. Its byte in the encoding is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// `f`: a regular file, not executable.
    File,
    /// `x`: an executable regular file.
    Exec,
    /// `l`: a symlink.
    Symlink,
    /// `d`: a subtree.
    Dir,
}

impl EntryKind {
    fn byte(self) -> u8 {
        match self {
            EntryKind::File => b'f',
            EntryKind::Exec => b'x',
            EntryKind::Symlink => b'l',
            EntryKind::Dir => b'd',
        }
    }

    fn from_byte(b: u8) -> Option<EntryKind> {
        Some(match b {
            b'f' => EntryKind::File,
            b'x' => EntryKind::Exec,
            b'l' => EntryKind::Symlink,
            b'd' => EntryKind::Dir,
            _ => return None,
        })
    }

    /// The object kind of a non-directory entry.
    pub fn object_kind(self) -> Option<ObjectKind> {
        match self {
            EntryKind::File => Some(ObjectKind::File),
            EntryKind::Exec => Some(ObjectKind::Exec),
            EntryKind::Symlink => Some(ObjectKind::Symlink),
            EntryKind::Dir => None,
        }
    }

    pub fn of_object(kind: ObjectKind) -> EntryKind {
        match kind {
            ObjectKind::File => EntryKind::File,
            ObjectKind::Exec => EntryKind::Exec,
            ObjectKind::Symlink => EntryKind::Symlink,
        }
    }
}

/// One name in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Raw file-name bytes: never empty, `.` or `..`; no `/` or NUL.
    pub name: Vec<u8>,
    pub kind: EntryKind,
    /// An [`ObjectId`]'s hash, or a [`TreeId`]'s for `Dir`.
    pub hash: Hash,
    /// Bytes of content: a file's length, a symlink target's length, or
    /// for a subtree the sum over everything below it.
    pub size: u64,
}

impl Entry {
    pub fn object(&self) -> Option<ObjectId> {
        (self.kind != EntryKind::Dir).then_some(ObjectId(self.hash))
    }

    pub fn subtree(&self) -> Option<TreeId> {
        (self.kind == EntryKind::Dir).then_some(TreeId(self.hash))
    }
}

/// A directory: entries sorted by name bytes, names unique.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tree {
    entries: Vec<Entry>,
}

/// Why a name cannot be an entry name, if it cannot.
pub fn check_name(name: &[u8]) -> Result<(), &'static str> {
    match name {
        [] => Err("an empty name"),
        b"." | b".." => Err("`.` and `..` are not names"),
        _ if name.contains(&b'/') => Err("a name contains `/`"),
        _ if name.contains(&0) => Err("a name contains a NUL byte"),
        _ if name.len() > 4096 => Err("a name is longer than 4096 bytes"),
        _ => Ok(()),
    }
}

impl Tree {
    /// Sorts the entries; fails on an invalid or repeated name.
    pub fn new(mut entries: Vec<Entry>) -> Result<Tree, String> {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for e in &entries {
            check_name(&e.name)
                .map_err(|why| format!("{why}: `{}`", String::from_utf8_lossy(&e.name)))?;
        }
        if let Some(w) = entries.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(format!(
                "the name `{}` appears twice",
                String::from_utf8_lossy(&w[0].name)
            ));
        }
        Ok(Tree { entries })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Bytes of content in the whole tree.
    pub fn size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }

    /// The canonical encoding: `TREE_MAGIC`, then per entry in name order
    /// the kind byte, the 32 hash bytes, the size as u64 little-endian,
    /// the name length as u32 little-endian, and the name.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TREE_MAGIC.len() + self.entries.len() * 64);
        out.extend_from_slice(TREE_MAGIC);
        for e in &self.entries {
            out.push(e.kind.byte());
            out.extend_from_slice(&e.hash.0);
            out.extend_from_slice(&e.size.to_le_bytes());
            out.extend_from_slice(&(e.name.len() as u32).to_le_bytes());
            out.extend_from_slice(&e.name);
        }
        out
    }

    /// The tree's id: the blake3 hash of its encoding.
    pub fn id(&self) -> TreeId {
        TreeId(Hash::of(b"", &self.encode()))
    }

    /// Decodes a manifest, accepting only the canonical form (so that
    /// decoding then encoding gives back the same bytes).
    pub fn decode(bytes: &[u8]) -> Result<Tree, String> {
        let mut rest = bytes
            .strip_prefix(TREE_MAGIC)
            .ok_or("it does not start with `grove-tree 1`")?;
        let mut entries: Vec<Entry> = Vec::new();
        while !rest.is_empty() {
            if rest.len() < 45 {
                return Err("it ends in the middle of an entry".into());
            }
            let kind = EntryKind::from_byte(rest[0])
                .ok_or_else(|| format!("unknown entry kind byte {}", rest[0]))?;
            let hash = Hash(rest[1..33].try_into().expect("32 bytes"));
            let size = u64::from_le_bytes(rest[33..41].try_into().expect("8 bytes"));
            let len = u32::from_le_bytes(rest[41..45].try_into().expect("4 bytes")) as usize;
            let name = rest
                .get(45..45 + len)
                .ok_or("a name runs past the end")?
                .to_vec();
            check_name(&name)?;
            if entries.last().is_some_and(|last| last.name >= name) {
                return Err("its entries are not in strictly increasing name order".into());
            }
            entries.push(Entry {
                name,
                kind,
                hash,
                size,
            });
            rest = &rest[45 + len..];
        }
        Ok(Tree { entries })
    }
}

impl Store {
    pub fn tree_path(&self, id: &TreeId) -> PathBuf {
        fsutil::fanout(&self.dir("trees"), &id.to_hex(), "")
    }

    pub fn has_tree(&self, id: &TreeId) -> bool {
        self.tree_path(id).exists()
    }

    /// Reads a tree, checking that it hashes to its id.
    pub fn read_tree(&self, id: &TreeId) -> Result<Tree> {
        let path = self.tree_path(id);
        let bytes = match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(crate::StoreError::NotFound {
                    what: "tree",
                    id: id.to_hex(),
                });
            }
            r => r.map_err(io_err("read", &path))?,
        };
        if Hash::of(b"", &bytes) != id.0 {
            return Err(corrupt(
                "tree",
                &path,
                "its manifest does not hash to its name",
            ));
        }
        Tree::decode(&bytes).map_err(|d| corrupt("tree", &path, d))
    }

    /// Stores one tree durably. Its entries' objects and subtrees must
    /// already be in the store; imports go through a batch instead.
    pub fn put_tree(&self, tree: &Tree) -> Result<TreeId> {
        let id = tree.id();
        let path = self.tree_path(&id);
        if !path.exists() {
            fsutil::write_atomic(&self.tmp(), &path, &tree.encode(), 0o444)?;
        }
        Ok(id)
    }
}
