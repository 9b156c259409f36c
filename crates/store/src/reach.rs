//! What refs and gc roots reach: commits (and their parents), artifacts,
//! trees, objects and logs. Shared by fsck (what must exist) and gc (what
//! must stay).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::Store;
use crate::error::{Result, StoreError, io_err};
use crate::fsck::Problem;
use crate::id::{CommitId, DrvId, Hash, TreeId};
use crate::refs::GcRoot;

#[derive(Default)]
pub(crate) struct Reachable {
    pub objects: HashSet<Hash>,
    pub trees: HashSet<Hash>,
    pub commits: HashSet<Hash>,
    pub artifacts: HashSet<Hash>,
    pub logs: HashSet<Hash>,
}

/// Marks everything reachable; what cannot be read on the way is a
/// problem (missing or corrupt), and its children stay unmarked.
pub(crate) fn mark(store: &Store) -> Result<(Reachable, Vec<Problem>)> {
    let mut m = Marker {
        store,
        r: Reachable::default(),
        problems: Vec::new(),
    };
    for (name, commit) in store.list_refs()? {
        m.commit(commit, &format!("ref {name}"));
    }
    for (name, root) in store.roots()? {
        let from = format!("gc root {name}");
        match root {
            GcRoot::Tree(t) => m.tree(t, &from),
            GcRoot::Commit(c) => m.commit(c, &from),
            GcRoot::Artifact(a) => m.artifact(a, &from),
        }
    }
    Ok((m.r, m.problems))
}

struct Marker<'s> {
    store: &'s Store,
    r: Reachable,
    problems: Vec<Problem>,
}

impl Marker<'_> {
    fn problem(&mut self, e: StoreError, from: &str) {
        let detail = match &e {
            StoreError::NotFound { .. } => format!("missing, referenced by {from}"),
            e => e.to_string(),
        };
        let name = match e {
            StoreError::NotFound { what, id } => format!("{what} {id}"),
            StoreError::Corrupt { what, path, .. } => format!("{what} {}", path.display()),
            _ => from.to_string(),
        };
        self.problems.push(Problem { name, detail });
    }

    fn commit(&mut self, mut id: CommitId, from: &str) {
        let mut from = from.to_string();
        // Parent chains can be long: a loop, not recursion.
        while self.r.commits.insert(id.0) {
            match self.store.read_commit(&id) {
                Err(e) => return self.problem(e, &from),
                Ok(c) => {
                    let me = format!("commit {id}");
                    self.tree(c.tree, &me);
                    for a in c.artifacts {
                        self.artifact(a, &me);
                    }
                    match c.parent {
                        Some(p) => id = p,
                        None => return,
                    }
                    from = me;
                }
            }
        }
    }

    fn artifact(&mut self, drv: DrvId, from: &str) {
        if !self.r.artifacts.insert(drv.0) {
            return;
        }
        match self.store.artifact(&drv) {
            Err(e) => self.problem(e, from),
            Ok(None) => self.problem(
                StoreError::NotFound {
                    what: "artifact",
                    id: drv.to_hex(),
                },
                from,
            ),
            Ok(Some(a)) => {
                let me = format!("artifact {drv}");
                for o in a.outputs {
                    self.tree(o.tree, &me);
                }
                if let Some(log) = a.log {
                    self.r.logs.insert(log.0);
                }
            }
        }
    }

    fn tree(&mut self, id: TreeId, from: &str) {
        let mut stack = vec![(id, from.to_string())];
        while let Some((id, from)) = stack.pop() {
            if !self.r.trees.insert(id.0) {
                continue;
            }
            match self.store.read_tree(&id) {
                Err(e) => self.problem(e, &from),
                Ok(t) => {
                    for e in t.entries() {
                        match e.subtree() {
                            Some(sub) => stack.push((sub, format!("tree {id}"))),
                            None => {
                                self.r.objects.insert(e.hash);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every file in a fanned-out directory (`dir/ab/<hex><suffix>`), with the
/// hash its name gives (`None` for a name that is not one). Temp files of
/// batches (`.tmp-…`, see [`temp_files`]) are left out.
pub(crate) fn list_hashed(dir: &Path, suffix: &str) -> Result<Vec<(PathBuf, Option<Hash>)>> {
    let mut out = Vec::new();
    for fan in fs::read_dir(dir).map_err(io_err("read the directory", dir))? {
        let fan = fan.map_err(io_err("read the directory", dir))?.path();
        let Ok(entries) = fs::read_dir(&fan) else {
            out.push((fan, None));
            continue;
        };
        let prefix = fan
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for e in entries {
            let path = e.map_err(io_err("read the directory", &fan))?.path();
            if path.file_name().is_some_and(crate::fsutil::is_temp_name) {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let hash = name
                .strip_suffix(suffix)
                .filter(|h| h.starts_with(&prefix) && prefix.len() == 2)
                .and_then(Hash::from_hex);
            out.push((path, hash));
        }
    }
    Ok(out)
}

/// Every temp file of a write in progress, or of one that was killed: the
/// entries of `tmp/`, and the `.tmp-…` files that batches stage beside
/// their destination in `objects/ab/` and `trees/ab/`.
pub(crate) fn temp_files(store: &Store) -> Result<Vec<PathBuf>> {
    let tmp = store.tmp();
    let mut out: Vec<PathBuf> = fs::read_dir(&tmp)
        .map_err(io_err("read the directory", &tmp))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    for dir in ["objects", "trees"] {
        let dir = store.dir(dir);
        for fan in fs::read_dir(&dir).map_err(io_err("read the directory", &dir))? {
            let fan = fan.map_err(io_err("read the directory", &dir))?.path();
            let Ok(entries) = fs::read_dir(&fan) else {
                continue;
            };
            out.extend(
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| crate::fsutil::is_temp_name(&e.file_name()))
                    .map(|e| e.path()),
            );
        }
    }
    Ok(out)
}
