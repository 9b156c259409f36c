//! Refs (`a/b/c` names pointing at commits) with a history log, updated
//! atomically under a per-ref lock; and gc roots, the other things gc
//! keeps.
//!
//! An update appends `old new time message` to `reflogs/NAME` (flushed),
//! then renames the new `refs/NAME` into place. A process killed between
//! the two leaves a last history line naming a value the ref never took;
//! fsck reports it as an interrupted update and `--repair` drops it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Store;
use crate::error::{Result, StoreError, corrupt, io_err};
use crate::fsutil;
use crate::id::{CommitId, DrvId, Hash, TreeId};
use crate::text;

/// A validated ref name: `/`-separated components of `A-Za-z0-9._+-`, none
/// empty or starting with `.`, at most 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RefName(String);

impl RefName {
    pub fn parse(name: &str) -> Result<RefName> {
        let why = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > 255 {
            Some("it is longer than 255 bytes")
        } else if name.split('/').any(|c| c.is_empty()) {
            Some("it has an empty component")
        } else if name.split('/').any(|c| c.starts_with('.')) {
            Some("a component starts with `.`")
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-/".contains(&b))
        {
            Some("only letters, digits, `._+-` and `/` may appear")
        } else {
            None
        };
        match why {
            Some(why) => Err(StoreError::BadName {
                what: "ref",
                name: name.to_string(),
                why,
            }),
            None => Ok(RefName(name.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RefName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of a ref's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReflogEntry {
    pub old: Option<CommitId>,
    pub new: CommitId,
    pub time: u64,
    pub message: String,
}

const NONE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl ReflogEntry {
    /// The compare-and-swap rule every ref store applies to an update of
    /// `name` from `old` to `new`: an error if `expect` is given and is not
    /// `old`; `None` if the ref already is `new` (nothing to write);
    /// otherwise the history entry to record.
    pub(crate) fn for_update(
        name: &RefName,
        old: Option<CommitId>,
        new: &CommitId,
        expect: Option<Option<CommitId>>,
        message: &str,
    ) -> Result<Option<ReflogEntry>> {
        if let Some(expected) = expect.filter(|e| *e != old) {
            let show = |c: Option<CommitId>| c.map_or("(no ref)".to_string(), |c| c.to_hex());
            return Err(StoreError::RefMoved {
                name: name.to_string(),
                expected: show(expected),
                found: show(old),
            });
        }
        if old == Some(*new) {
            return Ok(None);
        }
        Ok(Some(ReflogEntry {
            old,
            new: *new,
            time: fsutil::now_secs(),
            message: message.to_string(),
        }))
    }

    pub(crate) fn encode(&self) -> String {
        let old = self.old.map_or(NONE.to_string(), |o| o.to_hex());
        format!(
            "{old} {} {} {}\n",
            self.new,
            self.time,
            text::escape(&self.message)
        )
    }

    pub(crate) fn decode(line: &str) -> Option<ReflogEntry> {
        let mut parts = line.splitn(4, ' ');
        let old = parts.next()?;
        let old = if old == NONE {
            None
        } else {
            Some(CommitId::parse(old).ok()?)
        };
        let new = CommitId::parse(parts.next()?).ok()?;
        let time = parts.next()?.parse().ok()?;
        let message = text::unescape(parts.next()?)?;
        Some(ReflogEntry {
            old,
            new,
            time,
            message,
        })
    }
}

/// A thing gc keeps, with everything it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcRoot {
    Tree(TreeId),
    Commit(CommitId),
    Artifact(DrvId),
}

impl GcRoot {
    fn encode(&self) -> String {
        match self {
            GcRoot::Tree(t) => format!("tree {t}\n"),
            GcRoot::Commit(c) => format!("commit {c}\n"),
            GcRoot::Artifact(a) => format!("artifact {a}\n"),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<GcRoot> {
        let (kind, hex) = text.strip_suffix('\n')?.split_once(' ')?;
        let hash = Hash::from_hex(hex)?;
        Some(match kind {
            "tree" => GcRoot::Tree(TreeId(hash)),
            "commit" => GcRoot::Commit(CommitId(hash)),
            "artifact" => GcRoot::Artifact(DrvId(hash)),
            _ => return None,
        })
    }
}

impl Store {
    fn ref_path(&self, name: &RefName) -> PathBuf {
        self.dir("refs").join(name.as_str())
    }

    pub(crate) fn reflog_path(&self, name: &RefName) -> PathBuf {
        self.dir("reflogs").join(name.as_str())
    }

    /// The commit `name` points at, if it exists.
    pub fn read_ref(&self, name: &RefName) -> Result<Option<CommitId>> {
        let path = self.ref_path(name);
        match fs::read_to_string(&path) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
            Err(e) => Err(io_err("read", &path)(e)),
            Ok(text) => parse_ref(&text)
                .map(Some)
                .ok_or_else(|| corrupt("ref", &path, "it does not hold one commit id")),
        }
    }

    /// Points `name` at `new`. With `expect`, only if the ref currently has
    /// that value (`Some(None)`: only if it does not exist yet). Returns the
    /// old value.
    pub fn update_ref(
        &self,
        name: &RefName,
        new: &CommitId,
        expect: Option<Option<CommitId>>,
        message: &str,
    ) -> Result<Option<CommitId>> {
        if !self.has_commit(new) {
            return Err(StoreError::NotFound {
                what: "commit",
                id: new.to_hex(),
            });
        }
        let _lock = self.lock_item(
            &format!("ref-{}", Hash::of(b"ref\0", name.as_str().as_bytes())),
            &format!("ref {name}"),
        )?;
        self.check_ref_conflict(name)?;
        let old = self.read_ref(name)?;
        let Some(entry) = ReflogEntry::for_update(name, old, new, expect, message)? else {
            return Ok(old);
        };
        let log = self.reflog_path(name);
        fs::create_dir_all(log.parent().expect("reflogs/NAME has a parent"))
            .map_err(io_err("create", &log))?;
        // Lines of earlier updates that were killed before their rename go
        // first, so that the history only ever tells what happened.
        if let (Some(value), Ok(text)) = (old, fs::read_to_string(&log)) {
            if let Some(keep) = settled_len(&text, value).ok().filter(|k| *k < text.len()) {
                fsutil::write_atomic(&self.tmp(), &log, &text.as_bytes()[..keep], 0o644)?;
            }
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(io_err("open", &log))?;
        f.write_all(entry.encode().as_bytes())
            .map_err(io_err("append to", &log))?;
        f.sync_all().map_err(io_err("flush", &log))?;
        fsutil::write_atomic(
            &self.tmp(),
            &self.ref_path(name),
            format!("{new}\n").as_bytes(),
            0o644,
        )?;
        Ok(old)
    }

    /// `a/b` and `a/b/c` cannot both be refs.
    fn check_ref_conflict(&self, name: &RefName) -> Result<()> {
        let refs = self.dir("refs");
        let mut prefix = PathBuf::new();
        let comps: Vec<&str> = name.as_str().split('/').collect();
        for c in &comps[..comps.len() - 1] {
            prefix.push(c);
            if refs.join(&prefix).is_file() {
                return Err(StoreError::RefConflict {
                    name: name.to_string(),
                    other: prefix.display().to_string(),
                });
            }
        }
        if self.ref_path(name).is_dir() {
            let other = self
                .list_refs()?
                .into_iter()
                .map(|(n, _)| n)
                .find(|n| n.as_str().starts_with(&format!("{name}/")));
            return Err(StoreError::RefConflict {
                name: name.to_string(),
                other: other.map_or(format!("{name}/..."), |n| n.to_string()),
            });
        }
        Ok(())
    }

    /// Every ref and its commit, sorted by name.
    pub fn list_refs(&self) -> Result<Vec<(RefName, CommitId)>> {
        let mut out = Vec::new();
        let root = self.dir("refs");
        let mut files = Vec::new();
        walk_files(&root, &root, &mut files)?;
        for rel in files {
            let Ok(name) = RefName::parse(&rel) else {
                continue;
            };
            if let Some(c) = self.read_ref(&name)? {
                out.push((name, c));
            }
        }
        out.sort();
        Ok(out)
    }

    /// A ref's history, oldest first. A last line cut short by a crash is
    /// left out.
    pub fn ref_history(&self, name: &RefName) -> Result<Vec<ReflogEntry>> {
        let path = self.reflog_path(name);
        let text = match fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            r => r.map_err(io_err("read", &path))?,
        };
        let mut out = Vec::new();
        for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            out.push(ReflogEntry::decode(&line[..line.len() - 1]).ok_or_else(|| {
                corrupt("reflog", &path, format!("bad line `{}`", line.trim_end()))
            })?);
        }
        Ok(out)
    }

    fn root_path(&self, name: &str) -> Result<PathBuf> {
        RefName::parse(name).map_err(|_| StoreError::BadName {
            what: "gc root",
            name: name.to_string(),
            why: "names are letters, digits and `._+-`, `/`-separated",
        })?;
        Ok(self.dir("roots").join(name))
    }

    /// Declares a gc root: gc keeps `root` and everything it reaches.
    pub fn set_root(&self, name: &str, root: GcRoot) -> Result<()> {
        let exists = match root {
            GcRoot::Tree(t) => self.has_tree(&t),
            GcRoot::Commit(c) => self.has_commit(&c),
            GcRoot::Artifact(a) => self.artifact_path(&a).exists(),
        };
        if !exists {
            let (what, id) = match root {
                GcRoot::Tree(t) => ("tree", t.0),
                GcRoot::Commit(c) => ("commit", c.0),
                GcRoot::Artifact(a) => ("artifact", a.0),
            };
            return Err(StoreError::NotFound {
                what,
                id: id.to_hex(),
            });
        }
        fsutil::write_atomic(
            &self.tmp(),
            &self.root_path(name)?,
            root.encode().as_bytes(),
            0o644,
        )
    }

    /// Removes a gc root; whether it existed.
    pub fn remove_root(&self, name: &str) -> Result<bool> {
        let path = self.root_path(name)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("remove", &path)(e)),
        }
    }

    /// Every gc root, sorted by name.
    pub fn roots(&self) -> Result<Vec<(String, GcRoot)>> {
        let root = self.dir("roots");
        let mut files = Vec::new();
        walk_files(&root, &root, &mut files)?;
        let mut out = Vec::new();
        for rel in files {
            let path = root.join(&rel);
            let text = fs::read_to_string(&path).map_err(io_err("read", &path))?;
            let r = GcRoot::decode(&text).ok_or_else(|| {
                corrupt(
                    "gc root",
                    &path,
                    "it does not name one tree, commit or artifact",
                )
            })?;
            out.push((rel, r));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// How much of a reflog is settled history, given the ref's `value`: the
/// lines up to the last one that set `value`. What follows (a torn line,
/// lines of updates killed between the append and the rename) never took
/// effect. `Err` when a complete line does not parse, or when no line
/// set the value.
pub(crate) fn settled_len(text: &str, value: CommitId) -> Result<usize, String> {
    let mut end = 0;
    let mut settled = None;
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let entry = ReflogEntry::decode(&line[..line.len() - 1])
            .ok_or_else(|| format!("bad line `{}`", line.trim_end()))?;
        end += line.len();
        if entry.new == value {
            settled = Some(end);
        }
    }
    settled.ok_or_else(|| format!("no line sets the ref's value {value}"))
}

pub(crate) fn parse_ref(text: &str) -> Option<CommitId> {
    CommitId::parse(text.strip_suffix('\n')?).ok()
}

/// Paths of the files below `dir`, relative to `base`, `/`-separated.
pub(crate) fn walk_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        r => r.map_err(io_err("read the directory", dir))?,
    };
    for e in entries {
        let e = e.map_err(io_err("read the directory", dir))?;
        let path = e.path();
        if e.file_type().map_err(io_err("read", &path))?.is_dir() {
            walk_files(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}
