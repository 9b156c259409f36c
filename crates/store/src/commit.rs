//! Commits: a root's tree, its parent, when, why, and the artifacts that
//! made it. Named by the blake3 hash of their canonical record.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use crate::Store;
use crate::error::{Result, StoreError, corrupt, io_err};
use crate::fsutil;
use crate::id::{CommitId, DrvId, Hash, TreeId};
use crate::text;

const MAGIC: &str = "grove-commit 1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub tree: TreeId,
    pub parent: Option<CommitId>,
    pub subject: String,
    /// Seconds since the epoch.
    pub time: u64,
    /// The artifacts composed into the tree; sorted and unique once encoded.
    pub artifacts: Vec<DrvId>,
    /// Free-form metadata; keys are letters, digits and `._-`.
    pub meta: BTreeMap<String, String>,
}

impl Commit {
    /// The canonical record (FORMAT.md, "Commits").
    pub fn encode(&self) -> String {
        let mut out = format!("{MAGIC}\ntree {}\n", self.tree);
        if let Some(p) = &self.parent {
            out.push_str(&format!("parent {p}\n"));
        }
        out.push_str(&format!("time {}\n", self.time));
        let mut artifacts = self.artifacts.clone();
        artifacts.sort();
        artifacts.dedup();
        for a in artifacts {
            out.push_str(&format!("artifact {a}\n"));
        }
        for (k, v) in &self.meta {
            out.push_str(&format!("meta {k} {}\n", text::escape(v)));
        }
        out.push_str(&format!("subject {}\n", text::escape(&self.subject)));
        out
    }

    pub fn id(&self) -> CommitId {
        CommitId(Hash::of(b"", self.encode().as_bytes()))
    }

    fn check_key(key: &str) -> bool {
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    }

    /// Decodes a record, accepting only its canonical form.
    pub fn decode(record: &str) -> Result<Commit, String> {
        let mut tree = None;
        let mut c = Commit {
            tree: TreeId(Hash([0; 32])),
            parent: None,
            subject: String::new(),
            time: 0,
            artifacts: vec![],
            meta: BTreeMap::new(),
        };
        let bad = |k: &str| format!("bad `{k}` line");
        let mut subject = None;
        for (k, v) in text::fields(record, MAGIC)? {
            match k {
                "tree" => tree = Some(TreeId::parse(v).map_err(|_| bad(k))?),
                "parent" => c.parent = Some(CommitId::parse(v).map_err(|_| bad(k))?),
                "time" => c.time = v.parse().map_err(|_| bad(k))?,
                "artifact" => c.artifacts.push(DrvId::parse(v).map_err(|_| bad(k))?),
                "meta" => {
                    let (key, value) = v.split_once(' ').ok_or_else(|| bad(k))?;
                    c.meta.insert(
                        key.to_string(),
                        text::unescape(value).ok_or_else(|| bad(k))?,
                    );
                }
                "subject" => subject = Some(text::unescape(v).ok_or_else(|| bad(k))?),
                _ => return Err(format!("unknown field `{k}`")),
            }
        }
        c.tree = tree.ok_or("no `tree` line")?;
        c.subject = subject.ok_or("no `subject` line")?;
        if c.encode() != record {
            return Err("the record is not in canonical form".into());
        }
        Ok(c)
    }
}

impl Store {
    pub fn commit_path(&self, id: &CommitId) -> PathBuf {
        fsutil::fanout(&self.dir("commits"), &id.to_hex(), "")
    }

    pub fn has_commit(&self, id: &CommitId) -> bool {
        self.commit_path(id).exists()
    }

    /// Stores a commit; its tree, parent and artifacts must be in the store.
    pub fn put_commit(&self, commit: &Commit) -> Result<CommitId> {
        if !self.has_tree(&commit.tree) {
            return Err(StoreError::NotFound {
                what: "tree",
                id: commit.tree.to_hex(),
            });
        }
        if let Some(p) = commit.parent.filter(|p| !self.has_commit(p)) {
            return Err(StoreError::NotFound {
                what: "commit",
                id: p.to_hex(),
            });
        }
        if let Some(a) = commit
            .artifacts
            .iter()
            .find(|a| !self.artifact_path(a).exists())
        {
            return Err(StoreError::NotFound {
                what: "artifact",
                id: a.to_hex(),
            });
        }
        if let Some(k) = commit.meta.keys().find(|k| !Commit::check_key(k)) {
            return Err(StoreError::BadName {
                what: "metadata key",
                name: k.clone(),
                why: "keys are letters, digits and `._-`",
            });
        }
        let id = commit.id();
        let path = self.commit_path(&id);
        if !path.exists() {
            fsutil::write_atomic(&self.tmp(), &path, commit.encode().as_bytes(), 0o444)?;
        }
        Ok(id)
    }

    /// Reads a commit, checking its hash.
    pub fn read_commit(&self, id: &CommitId) -> Result<Commit> {
        let path = self.commit_path(id);
        let bytes = match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    what: "commit",
                    id: id.to_hex(),
                });
            }
            r => r.map_err(io_err("read", &path))?,
        };
        if Hash::of(b"", &bytes) != id.0 {
            return Err(corrupt(
                "commit",
                &path,
                "its record does not hash to its name",
            ));
        }
        let text =
            String::from_utf8(bytes).map_err(|_| corrupt("commit", &path, "it is not UTF-8"))?;
        Commit::decode(&text).map_err(|d| corrupt("commit", &path, d))
    }
}
