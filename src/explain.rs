//! `grove explain A B [RECIPE]`: why derivations differ between two
//! evaluations — two workspace or layer directories, or two git revisions
//! of the current workspace.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use grove_derive::explain::{self, Change};
use grove_derive::{DeriveError, Project, Workspace};

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::evaluation::{self, Evaluation};
use crate::output::{self, ExplainChange, ExplainEntry};
use crate::render;

#[derive(clap::Args)]
pub struct Args {
    /// The old side: a workspace directory (with grove.conf), a layer
    /// directory, or a git revision of the current workspace's repository.
    #[arg(value_name = "OLD")]
    old: String,

    /// The new side, in the same forms.
    #[arg(value_name = "NEW")]
    new: String,

    /// Explain this recipe only, following the dependencies that changed
    /// under it down to what was edited.
    #[arg(value_name = "RECIPE")]
    recipe: Option<String>,

    #[command(flatten)]
    config: ConfigArgs,

    /// Print JSON: {version, changes: [{name, status, old_id, new_id, own,
    /// edited, inputs}]}.
    #[arg(long)]
    json: bool,
}

/// One side, opened; `_checkout` keeps a git revision's files alive.
struct Side {
    project: Project,
    evaluation: Evaluation,
    _checkout: Option<tempfile::TempDir>,
}

pub fn run(args: Args) -> Outcome {
    let old = match open(&args.old, &args.config) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let new = match open(&args.new, &args.config) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let entries = match compare(&old, &new, args.recipe.as_deref()) {
        Ok(e) => e,
        Err(e) => return render::fail_derive(e),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = serde_json::to_writer_pretty(&mut out, &output::Explain { version: output::VERSION, changes: entries });
        let _ = writeln!(out);
    } else if entries.is_empty() {
        match &args.recipe {
            Some(r) => {
                let graph = &new.evaluation.graph;
                let id = graph.find(r).map(|i| new.evaluation.id(i)).unwrap_or_else(|_| r.clone());
                let _ = writeln!(out, "{id} is the same in both");
            }
            None => {
                let _ = writeln!(out, "no derivation differs");
            }
        }
    } else {
        let _ = print(&mut out, &entries);
    }
    Outcome::Done
}

fn open(side: &str, config: &ConfigArgs) -> Result<Side, Outcome> {
    let (dir, checkout) = if Path::new(side).is_dir() {
        (PathBuf::from(side), None)
    } else {
        let (dir, tmp) = checkout_revision(side, config).map_err(render::fail_derive)?;
        (dir, Some(tmp))
    };
    let workspace = if dir.join(grove_derive::layer::WORKSPACE_FILE).is_file() {
        Workspace::open(Some(&dir.join(grove_derive::layer::WORKSPACE_FILE)), &config.layers)
    } else {
        let mut layers = vec![dir.clone()];
        layers.extend(config.layers.iter().cloned());
        Workspace::open(None, &layers)
    };
    let project = Project::new(workspace.map_err(render::fail_derive)?);
    let configuration = config.configuration().map_err(render::fail_derive)?;
    let evaluation = evaluation::evaluate_in(&project, &configuration, !config.no_cache)?;
    Ok(Side { project, evaluation, _checkout: checkout })
}

fn git(dir: &Path, args: &[&str]) -> Result<String, DeriveError> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output();
    let out = out.map_err(|e| DeriveError::Io { path: dir.to_path_buf(), reason: format!("cannot run git: {e}") })?;
    if !out.status.success() {
        let reason = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(DeriveError::Io { path: dir.to_path_buf(), reason });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// Unpacks revision `rev` of the repository holding the current workspace
/// into a temporary directory; returns where the workspace is in it.
fn checkout_revision(rev: &str, config: &ConfigArgs) -> Result<(PathBuf, tempfile::TempDir), DeriveError> {
    let here = match &config.workspace {
        Some(conf) => conf.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| Workspace::find(&d))
            .and_then(|c| c.parent().map(Path::to_path_buf))
            .ok_or_else(|| DeriveError::Io {
                path: PathBuf::from(rev),
                reason: "is neither a directory nor, outside a workspace, a git revision".into(),
            })?,
    };
    let here = if here.as_os_str().is_empty() { PathBuf::from(".") } else { here };
    let commit = git(&here, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).map_err(|_| {
        DeriveError::Io { path: PathBuf::from(rev), reason: "is neither a directory nor a git revision of this workspace".into() }
    })?;
    let prefix = git(&here, &["rev-parse", "--show-prefix"])?;
    // From a subdirectory, git archive takes only that subdirectory.
    let top = PathBuf::from(git(&here, &["rev-parse", "--show-toplevel"])?);
    let tmp = tempfile::Builder::new().prefix("grove-explain-").tempdir().map_err(|e| DeriveError::Io {
        path: std::env::temp_dir(),
        reason: e.to_string(),
    })?;
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", &commit])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| DeriveError::Io { path: here.clone(), reason: format!("cannot run git archive: {e}") })?;
    let stdout = archive.stdout.take().expect("piped");
    let mut tarball = tar::Archive::new(stdout);
    let unpacked = tarball.unpack(tmp.path());
    // The reader stops at the end-of-archive marker; read the padding that
    // follows, or git dies of SIGPIPE writing it.
    let _ = std::io::copy(&mut tarball.into_inner(), &mut std::io::sink());
    let status = archive.wait();
    if let Err(e) = unpacked {
        return Err(DeriveError::Io { path: tmp.path().to_path_buf(), reason: format!("unpacking {rev}: {e}") });
    }
    if !status.is_ok_and(|s| s.success()) {
        return Err(DeriveError::Io { path: here, reason: format!("git archive {rev} failed") });
    }
    Ok((tmp.path().join(prefix), tmp))
}

/// Every recipe whose derivation differs (or only `recipe` and the changed
/// dependencies under it), own changes first.
fn compare(old: &Side, new: &Side, recipe: Option<&str>) -> Result<Vec<ExplainEntry>, DeriveError> {
    let (go, gn) = (&old.evaluation.graph, &new.evaluation.graph);
    let mut names: Vec<&String> = match recipe {
        Some(r) => {
            let start = gn.find(r).map(|i| &gn.recipes[i].pn).or_else(|_| go.find(r).map(|i| &go.recipes[i].pn))?;
            // The recipe and every dependency under it whose hash changed.
            let mut out = vec![start];
            let mut at = 0;
            while at < out.len() {
                if let (Some(a), Some(b)) = (go.index_of(out[at]), gn.index_of(out[at])) {
                    if go.hashes[a] != gn.hashes[b] {
                        for (j, _) in gn.needs(b) {
                            let name = &gn.recipes[j].pn;
                            if !out.contains(&name) {
                                out.push(name);
                            }
                        }
                    }
                }
                at += 1;
            }
            out
        }
        None => {
            let mut all: Vec<&String> = go.recipes.iter().chain(&gn.recipes).map(|r| &r.pn).collect();
            all.sort();
            all.dedup();
            all
        }
    };
    names.sort();
    let mut own = Vec::new();
    let mut inherited = Vec::new();
    for name in names {
        let entry = match (go.index_of(name), gn.index_of(name)) {
            (Some(a), Some(b)) if go.hashes[a] == gn.hashes[b] => continue,
            (Some(a), Some(b)) => changed(old, new, a, b)?,
            (Some(a), None) => ExplainEntry {
                name: name.clone(),
                status: "removed",
                old_id: Some(old.evaluation.id(a)),
                new_id: None,
                own: Vec::new(),
                edited: Vec::new(),
                inputs: Vec::new(),
            },
            (None, Some(b)) => ExplainEntry {
                name: name.clone(),
                status: "added",
                old_id: None,
                new_id: Some(new.evaluation.id(b)),
                own: Vec::new(),
                edited: Vec::new(),
                inputs: Vec::new(),
            },
            (None, None) => continue,
        };
        if entry.own.is_empty() && entry.status == "changed" { inherited.push(entry) } else { own.push(entry) }
    }
    own.extend(inherited);
    Ok(own)
}

fn changed(old: &Side, new: &Side, a: usize, b: usize) -> Result<ExplainEntry, DeriveError> {
    let (go, gn) = (&old.evaluation.graph, &new.evaluation.graph);
    let name = gn.recipes[b].pn.clone();
    let mut entry = ExplainEntry {
        name: name.clone(),
        status: "changed",
        old_id: Some(old.evaluation.id(a)),
        new_id: Some(new.evaluation.id(b)),
        own: Vec::new(),
        edited: Vec::new(),
        inputs: Vec::new(),
    };
    let hash_of = |g: &grove_derive::Graph, pn: &str| g.index_of(pn).and_then(|i| g.hashes[i]);
    let mut needed: Vec<String> = gn.needs(b).filter(|(_, e)| *e != grove_derive::Edge::Runtime).map(|(j, _)| gn.recipes[j].pn.clone()).collect();
    needed.extend(go.needs(a).filter(|(_, e)| *e != grove_derive::Edge::Runtime).map(|(j, _)| go.recipes[j].pn.clone()));
    needed.sort();
    needed.dedup();
    entry.inputs = needed.into_iter().filter(|n| hash_of(go, n) != hash_of(gn, n)).collect();
    // What the build needs, by name: a need added or dropped changes the
    // hash with nothing else changed (the local part holds no names).
    let needs = |g: &grove_derive::Graph, i: usize| {
        let mut names: Vec<String> = g
            .needs(i)
            .filter_map(|(j, e)| match e {
                grove_derive::Edge::Runtime => None,
                grove_derive::Edge::Base => Some(format!("{} (base)", g.recipes[j].pn)),
                grove_derive::Edge::Build => Some(g.recipes[j].pn.clone()),
            })
            .collect();
        names.sort();
        names
    };
    let (needs_old, needs_new) = (needs(go, a), needs(gn, b));
    let needs_changed = needs_old != needs_new;
    if go.recipes[a].local_hash == gn.recipes[b].local_hash && !needs_changed {
        return Ok(entry);
    }
    let ev_old = old.project.evaluate(&old.project.workspace.recipes[go.recipes[a].file], &old.evaluation.base)?;
    let ev_new = new.project.evaluate(&new.project.workspace.recipes[gn.recipes[b].file], &new.evaluation.base)?;
    let d_old = old.project.extract(go.recipes[a].file, &ev_old)?;
    let d_new = new.project.extract(gn.recipes[b].file, &ev_new)?;
    let mut roots = Vec::new();
    if needs_changed {
        entry.own.push(ExplainChange { what: "needs".to_string(), old: Some(needs_old.join(" ")), new: Some(needs_new.join(" ")) });
        roots.extend(["DEPENDS", "BUILD_BASE"].map(String::from));
    }
    for c in explain::diff(&d_old.local, &d_new.local) {
        let (what, o, n) = match c {
            Change::Field { what, old, new } => (what, old, new),
            Change::Env { name, old, new } => {
                roots.push(name.clone());
                (format!("env {name}"), old, new)
            }
            Change::Task { name, old, new } => (format!("task {name}"), old, new),
            Change::Function { name, old, new } => {
                roots.push(name.clone());
                (format!("function {name}"), old, new)
            }
            Change::Source { name, old, new } => {
                roots.push("SRC_URI".to_string());
                (format!("source {name}"), old, new)
            }
            Change::Runtime { old, new } => ("runtime".to_string(), Some(old.join(" ")), Some(new.join(" "))),
        };
        entry.own.push(ExplainChange { what, old: o, new: n });
    }
    // Task flags reach variables too (`dirs = "${B}"`).
    for t in d_new.local.tasks.iter().chain(&d_old.local.tasks) {
        if entry.own.iter().any(|c| c.what == format!("task {}", t.name)) {
            roots.push(t.name.to_string());
        }
    }
    entry.edited = explain::edited_variables(&ev_old.store, &ev_new.store, &roots)
        .into_iter()
        .filter(|e| !roots.contains(&e.name))
        .map(|e| ExplainChange { what: e.name, old: e.old, new: e.new })
        .collect();
    Ok(entry)
}

fn print(out: &mut impl Write, entries: &[ExplainEntry]) -> std::io::Result<()> {
    for e in entries {
        match e.status {
            "added" => writeln!(out, "{} is new", e.new_id.as_deref().unwrap_or(&e.name))?,
            "removed" => writeln!(out, "{} is gone", e.old_id.as_deref().unwrap_or(&e.name))?,
            _ => {
                writeln!(out, "{}", e.name)?;
                writeln!(out, "  was {}", e.old_id.as_deref().unwrap_or("-"))?;
                writeln!(out, "  now {}", e.new_id.as_deref().unwrap_or("-"))?;
            }
        }
        for c in &e.own {
            writeln!(out, "  {} changed", c.what)?;
            show_values(out, "    ", c.old.as_deref(), c.new.as_deref())?;
        }
        for c in &e.edited {
            writeln!(out, "  because {} was edited", c.what)?;
            show_values(out, "    ", c.old.as_deref(), c.new.as_deref())?;
        }
        if !e.inputs.is_empty() {
            writeln!(out, "  needs what changed: {}", e.inputs.join(", "))?;
        }
    }
    Ok(())
}

/// Old and new values; for multi-line values, only the lines that differ.
fn show_values(out: &mut impl Write, indent: &str, old: Option<&str>, new: Option<&str>) -> std::io::Result<()> {
    let multi = |v: Option<&str>| v.is_some_and(|v| v.trim().contains('\n'));
    if let (Some(a), Some(b)) = (old, new) {
        if !multi(old) && !multi(new) && a.len() + b.len() > 120 {
            // Long one-line values: the words that differ.
            let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split_whitespace().collect(), b.split_whitespace().collect());
            let gone: Vec<&str> = wa.iter().copied().filter(|w| !wb.contains(w)).collect();
            let came: Vec<&str> = wb.iter().copied().filter(|w| !wa.contains(w)).collect();
            if !gone.is_empty() || !came.is_empty() {
                writeln!(out, "{indent}- ... {} ...", gone.join(" "))?;
                return writeln!(out, "{indent}+ ... {} ...", came.join(" "));
            }
        }
    }
    if !multi(old) && !multi(new) {
        writeln!(out, "{indent}- {}", old.map(|v| format!("{:?}", v.trim())).unwrap_or_else(|| "(unset)".into()))?;
        return writeln!(out, "{indent}+ {}", new.map(|v| format!("{:?}", v.trim())).unwrap_or_else(|| "(unset)".into()));
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (old.unwrap_or("").lines().collect(), new.unwrap_or("").lines().collect());
    for l in a.iter().filter(|l| !b.contains(l) && !l.trim().is_empty()).take(10) {
        writeln!(out, "{indent}- {}", l.trim())?;
    }
    for l in b.iter().filter(|l| !a.contains(l) && !l.trim().is_empty()).take(10) {
        writeln!(out, "{indent}+ {}", l.trim())?;
    }
    Ok(())
}
