//! `fsck`: re-hash every object and record, check that everything a
//! record names exists, find what interrupted writes left behind, and
//! count what nothing reaches. `repair` (with the store to itself) drops
//! temp files, interrupted ref-history lines and whatever is corrupt, so
//! that adding the same content again heals the store.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Result, StoreError};
use crate::id::{CommitId, DrvId, Hash, LogId, ObjectId, TreeId};
use crate::lock::Access;
use crate::reach::{self, Reachable, list_hashed};
use crate::refs::{RefName, parse_ref, settled_len, walk_files};
use crate::tree::Tree;
use crate::{Store, fsutil, object};

/// Something wrong with the store's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What it is about: `tree <id>`, `object <path>`, `ref <name>`.
    pub name: String,
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.detail)
    }
}

#[derive(Debug, Clone, Default)]
pub struct FsckReport {
    pub objects: u64,
    pub trees: u64,
    pub commits: u64,
    pub artifacts: u64,
    pub logs: u64,
    pub refs: u64,
    /// Corruption: the store is clean when this is empty.
    pub problems: Vec<Problem>,
    /// Files left in `tmp/` by writes that did not finish (harmless;
    /// `repair` and gc remove them).
    pub temp_files: u64,
    /// Refs whose last history line names a value the ref never took
    /// (a process was killed mid-update; harmless, `repair` drops it).
    pub interrupted_updates: Vec<String>,
    /// Complete objects and records that no ref or gc root reaches (gc
    /// removes them).
    pub unreachable: u64,
    /// Unreachable records naming something missing: what a gc that was
    /// interrupted leaves (harmless; `repair` and gc remove them).
    pub incomplete: Vec<String>,
    /// What `repair` did.
    pub repaired: Vec<String>,
}

impl FsckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    pub fn fsck(&self, repair: bool) -> Result<FsckReport> {
        if repair && self.access != Access::Exclusive {
            return Err(StoreError::NeedsExclusive {
                what: "fsck --repair",
            });
        }
        // Removing an incomplete tree can leave its parent incomplete:
        // repair goes round until nothing more is removed.
        let mut repaired = Vec::new();
        for _ in 0..64 {
            let mut report = self.fsck_once(repair)?;
            let again = repair && !report.incomplete.is_empty();
            repaired.append(&mut report.repaired);
            if !again {
                report.repaired = repaired;
                return Ok(report);
            }
        }
        self.fsck_once(false)
    }

    fn fsck_once(&self, repair: bool) -> Result<FsckReport> {
        let (reach, _) = reach::mark(self)?;
        let mut f = Fsck {
            store: self,
            reach,
            repair,
            report: FsckReport::default(),
            damaged: HashSet::new(),
        };
        let objects = f.objects()?;
        let trees = f.trees(&objects)?;
        let artifacts = f.artifacts(&trees)?;
        let commits = f.commits(&trees, &artifacts)?;
        f.refs(&commits)?;
        f.roots(&trees, &commits, &artifacts)?;
        f.temp()?;
        let r = &f.reach;
        let existing =
            objects.len() + trees.len() + commits.len() + artifacts.len() + f.report.logs as usize;
        let reached =
            r.objects.len() + r.trees.len() + r.commits.len() + r.artifacts.len() + r.logs.len();
        f.report.unreachable = existing.saturating_sub(reached) as u64;
        Ok(f.report)
    }
}

/// What re-hashing an object file found.
enum Check {
    Good,
    /// Written in place by a writer that has not finished (or was killed).
    Unfinished,
    Bad(String),
}

fn unfinished(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o7777 == object::UNFINISHED)
}

/// A tree read back (with its hash), or why it could not be.
type ReadTree = Result<(Hash, Tree), String>;

struct Fsck<'s> {
    store: &'s Store,
    /// What refs and gc roots reach, marked first.
    reach: Reachable,
    repair: bool,
    report: FsckReport,
    /// Corrupt files already reported, so references to them are not
    /// reported again as missing.
    damaged: HashSet<Hash>,
}

impl Fsck<'_> {
    fn problem(&mut self, name: String, detail: impl Into<String>) {
        let detail = detail.into();
        // Writers work while fsck reads (only repair has the store to
        // itself): something written after it was listed is not missing.
        if detail.starts_with("missing") && self.exists_now(&name) {
            return;
        }
        self.report.problems.push(Problem { name, detail });
    }

    /// Something `from` names is missing: damage if `from` is reachable;
    /// if not, `from` is incomplete unreachable data (an interrupted gc
    /// removed part of it), which `repair` removes.
    fn missing(&mut self, from: (&'static str, Hash), name: String, detail: String) {
        let (what, hash) = from;
        let reachable = match what {
            "tree" => self.reach.trees.contains(&hash),
            "artifact" => self.reach.artifacts.contains(&hash),
            _ => self.reach.commits.contains(&hash),
        };
        if reachable || self.exists_now(&name) {
            return self.problem(name, detail);
        }
        let label = format!("{what} {hash}");
        if self.report.incomplete.contains(&label) {
            return;
        }
        self.report.incomplete.push(label.clone());
        if self.repair {
            let path = match what {
                "tree" => self.store.tree_path(&TreeId(hash)),
                "artifact" => self.store.artifact_path(&DrvId(hash)),
                _ => self.store.commit_path(&CommitId(hash)),
            };
            if fsutil::remove_any(&path).is_ok() {
                self.report
                    .repaired
                    .push(format!("removed incomplete unreachable {label}"));
            }
        }
    }

    /// Whether `what <hash>` is in the store now.
    fn exists_now(&self, name: &str) -> bool {
        let Some((what, hash)) = name.split_once(' ') else {
            return false;
        };
        let Some(h) = Hash::from_hex(hash) else {
            return false;
        };
        match what {
            "object" => self.store.has_object(&ObjectId(h)),
            "tree" => self.store.has_tree(&TreeId(h)),
            "commit" => self.store.has_commit(&CommitId(h)),
            "artifact" => self.store.artifact_path(&DrvId(h)).exists(),
            "log" => self.store.has_log(&LogId(h)),
            _ => false,
        }
    }

    /// Records a corrupt file and, repairing, removes it.
    fn corrupt(&mut self, what: &str, path: &Path, detail: String) {
        self.problem(format!("{what} {}", path.display()), detail);
        if self.repair && fsutil::remove_any(path).is_ok() {
            self.report
                .repaired
                .push(format!("removed corrupt {what} {}", path.display()));
        }
    }

    fn objects(&mut self) -> Result<HashSet<Hash>> {
        let listed = list_hashed(&self.store.dir("objects"), "")?;
        let checked: Vec<(PathBuf, Option<Hash>, Check)> = listed
            .into_par_iter()
            .map(|(path, hash)| {
                let check = match hash {
                    None => Check::Bad("not an object's name".to_string()),
                    Some(_) if unfinished(&path) => Check::Unfinished,
                    Some(h) => match object::hash_object_file(&path) {
                        Ok(id) if id == ObjectId(h) => Check::Good,
                        Ok(_) => Check::Bad("its content does not hash to its name".to_string()),
                        Err(e) => Check::Bad(e.to_string()),
                    },
                };
                (path, hash, check)
            })
            .collect();
        let mut good = HashSet::new();
        let mut unfinished_writes = 0;
        for (path, hash, check) in checked {
            match (hash, check) {
                (Some(h), Check::Good) => {
                    good.insert(h);
                }
                // A write in place that was killed midway (or is still
                // going on): harmless while nothing names it.
                (Some(h), Check::Unfinished) if !self.reach.objects.contains(&h) => {
                    unfinished_writes += 1;
                    if self.repair {
                        let _ = fsutil::remove_any(&path);
                    }
                }
                (h, Check::Unfinished) => {
                    self.damaged.extend(h);
                    self.corrupt("object", &path, "its write never finished".into());
                }
                (h, Check::Bad(e)) => {
                    self.damaged.extend(h);
                    self.corrupt("object", &path, e);
                }
                (None, Check::Good) => unreachable!("a file without a hash name is not good"),
            }
        }
        self.report.temp_files += unfinished_writes;
        if self.repair && unfinished_writes > 0 {
            self.report.repaired.push(format!(
                "removed {unfinished_writes} objects whose writes were interrupted"
            ));
        }
        self.report.objects = good.len() as u64;
        Ok(good)
    }

    fn trees(&mut self, objects: &HashSet<Hash>) -> Result<HashSet<Hash>> {
        let listed = list_hashed(&self.store.dir("trees"), "")?;
        let read: Vec<(PathBuf, ReadTree)> = listed
            .into_par_iter()
            .map(|(path, hash)| {
                let r = match hash {
                    None => Err("not a tree's name".to_string()),
                    Some(h) => self
                        .store
                        .read_tree(&TreeId(h))
                        .map(|t| (h, t))
                        .map_err(|e| e.to_string()),
                };
                (path, r)
            })
            .collect();
        let mut good = HashSet::new();
        let mut parsed = Vec::new();
        for (path, r) in read {
            match r {
                Ok((h, t)) => {
                    good.insert(h);
                    parsed.push((h, t));
                }
                Err(e) => self.corrupt("tree", &path, e),
            }
        }
        for (h, t) in &parsed {
            for e in t.entries() {
                let (what, present) = match e.subtree() {
                    Some(_) => ("tree", good.contains(&e.hash)),
                    None => ("object", objects.contains(&e.hash)),
                };
                if !present && !self.damaged.contains(&e.hash) {
                    self.missing(
                        ("tree", *h),
                        format!("{what} {}", e.hash),
                        format!("missing, referenced by tree {h}"),
                    );
                }
            }
        }
        self.report.trees = good.len() as u64;
        Ok(good)
    }

    fn artifacts(&mut self, trees: &HashSet<Hash>) -> Result<HashSet<Hash>> {
        let mut good = HashSet::new();
        for (path, hash) in list_hashed(&self.store.dir("artifacts"), "")? {
            let Some(h) = hash else {
                self.corrupt("artifact", &path, "not an artifact's name".into());
                continue;
            };
            match self.store.artifact(&DrvId(h)) {
                Ok(Some(a)) => {
                    good.insert(h);
                    for o in &a.outputs {
                        if !trees.contains(&o.tree.0) {
                            self.missing(
                                ("artifact", h),
                                format!("tree {}", o.tree),
                                format!("missing, referenced by artifact {h}"),
                            );
                        }
                    }
                    if let Some(log) = a.log.filter(|l| !self.store.has_log(l)) {
                        self.missing(
                            ("artifact", h),
                            format!("log {log}"),
                            format!("missing, referenced by artifact {h}"),
                        );
                    }
                }
                Ok(None) => {}
                Err(e) => self.corrupt("artifact", &path, e.to_string()),
            }
        }
        for (path, hash) in list_hashed(&self.store.dir("logs"), ".zst")? {
            match hash.map(|h| self.store.read_log(&LogId(h))) {
                Some(Ok(_)) => self.report.logs += 1,
                Some(Err(e)) => self.corrupt("log", &path, e.to_string()),
                None => self.corrupt("log", &path, "not a log's name".into()),
            }
        }
        self.report.artifacts = good.len() as u64;
        Ok(good)
    }

    fn commits(
        &mut self,
        trees: &HashSet<Hash>,
        artifacts: &HashSet<Hash>,
    ) -> Result<HashSet<Hash>> {
        let mut good = HashSet::new();
        let mut parents = Vec::new();
        for (path, hash) in list_hashed(&self.store.dir("commits"), "")? {
            let Some(h) = hash else {
                self.corrupt("commit", &path, "not a commit's name".into());
                continue;
            };
            match self.store.read_commit(&CommitId(h)) {
                Ok(c) => {
                    good.insert(h);
                    if !trees.contains(&c.tree.0) {
                        self.missing(
                            ("commit", h),
                            format!("tree {}", c.tree),
                            format!("missing, referenced by commit {h}"),
                        );
                    }
                    for a in c.artifacts.iter().filter(|a| !artifacts.contains(&a.0)) {
                        self.missing(
                            ("commit", h),
                            format!("artifact {a}"),
                            format!("missing, referenced by commit {h}"),
                        );
                    }
                    parents.extend(c.parent.map(|p| (p, h)));
                }
                Err(e) => self.corrupt("commit", &path, e.to_string()),
            }
        }
        for (p, child) in parents {
            if !good.contains(&p.0) {
                self.missing(
                    ("commit", child),
                    format!("commit {p}"),
                    format!("missing, the parent of commit {child}"),
                );
            }
        }
        self.report.commits = good.len() as u64;
        Ok(good)
    }

    fn refs(&mut self, commits: &HashSet<Hash>) -> Result<()> {
        let base = self.store.dir("refs");
        let mut names = Vec::new();
        walk_files(&base, &base, &mut names)?;
        for rel in names {
            let path = base.join(&rel);
            let value = fs::read_to_string(&path).ok().and_then(|t| parse_ref(&t));
            let (Ok(name), Some(value)) = (RefName::parse(&rel), value) else {
                self.problem(format!("ref {rel}"), "not a valid ref file");
                continue;
            };
            self.report.refs += 1;
            if !commits.contains(&value.0) {
                self.problem(
                    format!("commit {value}"),
                    format!("missing, the value of ref {name}"),
                );
            }
            self.reflog(&name, value)?;
        }
        Ok(())
    }

    /// The reflog of a ref must end with the ref's value; a torn last line
    /// or a last line the ref never took are interrupted updates.
    fn reflog(&mut self, name: &RefName, value: CommitId) -> Result<()> {
        let path = self.store.reflog_path(name);
        let Ok(text) = fs::read_to_string(&path) else {
            return Ok(());
        };
        let keep = match settled_len(&text, value) {
            Ok(keep) => keep,
            Err(why) => {
                self.problem(format!("reflog {name}"), why);
                return Ok(());
            }
        };
        if keep < text.len() {
            self.report.interrupted_updates.push(name.to_string());
            if self.repair {
                let tmp = self.store.tmp();
                fsutil::write_atomic(&tmp, &path, &text.as_bytes()[..keep], 0o644)?;
                self.report.repaired.push(format!(
                    "dropped the history lines of interrupted updates of ref {name}"
                ));
            }
        }
        Ok(())
    }

    fn roots(
        &mut self,
        trees: &HashSet<Hash>,
        commits: &HashSet<Hash>,
        artifacts: &HashSet<Hash>,
    ) -> Result<()> {
        match self.store.roots() {
            Err(e) => self.problem("gc roots".into(), e.to_string()),
            Ok(roots) => {
                for (name, root) in roots {
                    let (what, hash, set) = match root {
                        crate::GcRoot::Tree(t) => ("tree", t.0, trees),
                        crate::GcRoot::Commit(c) => ("commit", c.0, commits),
                        crate::GcRoot::Artifact(a) => ("artifact", a.0, artifacts),
                    };
                    if !set.contains(&hash) {
                        self.problem(
                            format!("{what} {hash}"),
                            format!("missing, named by gc root {name}"),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn temp(&mut self) -> Result<()> {
        let entries = reach::temp_files(self.store)?;
        self.report.temp_files += entries.len() as u64;
        if self.repair && !entries.is_empty() {
            for e in &entries {
                let _ = fsutil::remove_any(e);
            }
            self.report.repaired.push(format!(
                "removed {} temporary files left by interrupted writes",
                entries.len()
            ));
        }
        Ok(())
    }
}
