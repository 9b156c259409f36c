//! `grove store`: adding trees, checking and repairing the store, making
//! commits, declaring gc roots; and what every store command shares:
//! where the store is, opening it, and how its errors become exit codes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use grove_store::{
    Access, Commit, CommitId, DrvId, Event, GcRoot, ImportOptions, RefName, Store, StoreError,
    TreeId,
};

use grove_eval::{FsLoader, Options, Session};

use crate::Outcome;
use crate::store_output as out;

/// The store a command works on: `--store`, else `$GROVE_STORE`, else
/// `GROVE_STORE` in the workspace's `grove.conf` (relative to it), else
/// `$XDG_DATA_HOME/grove/store`, else `~/.local/share/grove/store`.
/// `Err` when grove.conf cannot be evaluated (a diagnostic was printed).
pub fn store_path(flag: Option<&Path>) -> Result<PathBuf, Outcome> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("GROVE_STORE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let conf = std::env::current_dir()
        .ok()
        .and_then(|d| grove_derive::Workspace::find(&d));
    if let Some(conf) = conf {
        let dir = conf.parent().map_or(PathBuf::from("."), Path::to_path_buf);
        let session = Session::new(FsLoader::new([dir.clone()]));
        let value = session
            .evaluate(&conf, &Options { history: false })
            .and_then(|e| {
                let value = e.store.get("GROVE_STORE").map_err(|x| e.store.locate(x, "GROVE_STORE"))?;
                Ok(value.map(|v| v.trim().to_string()))
            });
        match value {
            Ok(Some(v)) if !v.is_empty() => return Ok(dir.join(v)),
            Ok(_) => {}
            Err(e) => {
                eprint!("{}", crate::render::eval_error(session.sources(), e));
                return Err(Outcome::Failed);
            }
        }
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share")
        });
    Ok(data.join("grove/store"))
}

/// Opens the store; a wait for a lock is reported on stderr. `Err` holds
/// the outcome of a failure already reported.
pub fn open(flag: Option<&Path>, access: Access) -> Result<Store, Outcome> {
    let observer: grove_store::Observer = Arc::new(|e: &Event| {
        if let Event::Waiting { lock } = e {
            eprintln!("grove: waiting for the lock on {lock}");
        }
    });
    Store::open_with(&store_path(flag)?, access, Some(observer)).map_err(fail)
}

/// Prints a store error as a diagnostic; the one place store errors
/// become outcomes: something named that is not there exits 1, anything
/// else 2.
pub fn fail(error: StoreError) -> Outcome {
    let outcome = match error {
        StoreError::NotFound { .. } => Outcome::NotFound,
        _ => Outcome::Failed,
    };
    eprintln!("{:?}", miette::Report::new(error));
    outcome
}

pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output structs serialize")
    );
}

/// `SOURCE_DATE_EPOCH` if set, else now: the time recorded in commits and
/// builds, so that reproducible runs record the same.
pub fn now() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
}

/// A tree named directly, or through a commit id or a ref.
pub fn resolve_tree(store: &Store, what: &str) -> Result<TreeId, StoreError> {
    if let Ok(t) = TreeId::parse(what) {
        if store.has_tree(&t) {
            return Ok(t);
        }
        let c = CommitId(t.0);
        if store.has_commit(&c) {
            return Ok(store.read_commit(&c)?.tree);
        }
        return Err(StoreError::NotFound {
            what: "tree or commit",
            id: what.to_string(),
        });
    }
    let name = RefName::parse(what)?;
    let commit = store.read_ref(&name)?.ok_or(StoreError::NotFound {
        what: "ref",
        id: what.to_string(),
    })?;
    Ok(store.read_commit(&commit)?.tree)
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Add a directory or a tar archive (plain, gz, bz2, xz, zst) as a tree
    /// and print its id.
    ///
    /// Entries that would lead out of the tree (absolute paths, `..`,
    /// symlinks or hard links leading out, paths through symlinks) and
    /// device nodes are refused, each by name, and nothing is imported.
    /// Absolute symlinks are refused unless --allow-absolute-symlinks.
    Add {
        /// A directory, or a tar archive (compression is recognized by content).
        path: PathBuf,
        /// Skip device nodes, FIFOs and sockets (reported) instead of refusing.
        #[arg(long)]
        allow_devices: bool,
        /// Let in symlinks with absolute targets (a base sysroot's
        /// `/usr/lib/libz.so -> /usr/lib/libz.so.1`): stored as they are,
        /// never followed, checked from the tree's root.
        #[arg(long)]
        allow_absolute_symlinks: bool,
        /// Hand the directory over: its files become the store's objects
        /// (read-only, hardlinked, no copy) and the directory is removed.
        #[arg(long)]
        consume: bool,
        /// Also declare the tree a gc root with this name.
        #[arg(long, value_name = "NAME")]
        root: Option<String>,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash every object and record, check every reference, report what
    /// interrupted writes left.
    ///
    /// Exit status: 0 when no data is damaged (leftovers of interrupted
    /// writes are reported, not counted as damage); 2 when some is.
    Fsck {
        /// Remove temp files, interrupted ref-history lines and damaged
        /// objects (so that adding the same content again heals the store).
        #[arg(long)]
        repair: bool,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Record a commit of a tree, optionally moving a ref to it.
    Commit {
        /// The tree (id) committed.
        tree: String,
        #[arg(long, short = 'm', value_name = "TEXT")]
        subject: String,
        /// The parent commit; defaults to the ref's current commit with --ref.
        #[arg(long, value_name = "COMMIT")]
        parent: Option<String>,
        /// An artifact (derivation id) that went into the tree; repeatable.
        #[arg(long = "artifact", value_name = "DRV")]
        artifacts: Vec<String>,
        /// Metadata `KEY=VALUE`; repeatable.
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// Point this ref at the new commit (only if nobody moved it meanwhile).
        #[arg(long = "ref", value_name = "NAME")]
        ref_name: Option<String>,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Declare a gc root: gc keeps it and everything it reaches.
    Root {
        name: String,
        #[arg(value_parser = ["tree", "commit", "artifact"])]
        kind: String,
        id: String,
    },
    /// Remove a gc root.
    Unroot { name: String },
}

pub fn run(store: Option<&Path>, args: Args) -> Outcome {
    let access = match &args.command {
        Sub::Fsck { repair: true, .. } => Access::Exclusive,
        _ => Access::Shared,
    };
    let store = match open(store, access) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match args.command {
        Sub::Add {
            path,
            allow_devices,
            allow_absolute_symlinks,
            consume,
            root,
            json,
        } => add(
            &store,
            &path,
            &ImportOptions {
                allow_devices,
                allow_absolute_symlinks,
                consume,
            },
            root,
            json,
        ),
        Sub::Fsck { repair, json } => fsck(&store, repair, json),
        Sub::Commit {
            tree,
            subject,
            parent,
            artifacts,
            meta,
            ref_name,
            json,
        } => commit(
            &store, &tree, subject, parent, &artifacts, &meta, ref_name, json,
        ),
        Sub::Root { name, kind, id } => done(root(&store, &name, &kind, &id)),
        Sub::Unroot { name } => match store.remove_root(&name) {
            Ok(true) => Outcome::Done,
            Ok(false) => fail(StoreError::NotFound {
                what: "gc root",
                id: name,
            }),
            Err(e) => fail(e),
        },
    }
}

pub fn done(r: Result<(), StoreError>) -> Outcome {
    r.map_or_else(fail, |()| Outcome::Done)
}

fn add(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    root: Option<String>,
    json: bool,
) -> Outcome {
    let imported = match store.import_path(path, options) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    if let Some(name) = root {
        if let Err(e) = store.set_root(&name, GcRoot::Tree(imported.tree)) {
            return fail(e);
        }
    }
    for s in &imported.skipped {
        eprintln!("grove: skipped `{}`: {}", s.entry, s.reason);
    }
    if json {
        print_json(&out::Added {
            version: out::VERSION,
            tree: imported.tree.to_hex(),
            files: imported.files,
            bytes: imported.bytes,
            new_objects: imported.new_objects,
            skipped: imported
                .skipped
                .into_iter()
                .map(|r| out::Rejected {
                    entry: r.entry,
                    reason: r.reason,
                })
                .collect(),
        });
    } else {
        println!("{}", imported.tree);
    }
    Outcome::Done
}

fn fsck(store: &Store, repair: bool, json: bool) -> Outcome {
    let report = match store.fsck(repair) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if json {
        print_json(&out::Fsck {
            version: out::VERSION,
            clean: report.is_clean(),
            objects: report.objects,
            trees: report.trees,
            commits: report.commits,
            artifacts: report.artifacts,
            logs: report.logs,
            refs: report.refs,
            problems: report
                .problems
                .iter()
                .map(|p| out::Problem {
                    name: p.name.clone(),
                    detail: p.detail.clone(),
                })
                .collect(),
            temp_files: report.temp_files,
            interrupted_updates: report.interrupted_updates.clone(),
            unreachable: report.unreachable,
            incomplete: report.incomplete.clone(),
            repaired: report.repaired.clone(),
        });
    } else {
        println!(
            "checked {} objects, {} trees, {} artifacts, {} logs, {} commits, {} refs",
            report.objects,
            report.trees,
            report.artifacts,
            report.logs,
            report.commits,
            report.refs
        );
        for p in &report.problems {
            println!("damaged: {p}");
        }
        if report.temp_files > 0 {
            println!(
                "{} temporary files left by interrupted writes (removed by --repair or gc)",
                report.temp_files
            );
        }
        for r in &report.interrupted_updates {
            println!(
                "ref {r}: an interrupted update left a last history line (dropped by --repair)"
            );
        }
        for r in &report.incomplete {
            println!(
                "{r}: unreachable and incomplete, left by an interrupted gc (removed by --repair or gc)"
            );
        }
        if report.unreachable > 0 {
            println!(
                "{} unreachable objects and records (removed by gc)",
                report.unreachable
            );
        }
        for r in &report.repaired {
            println!("repaired: {r}");
        }
        println!(
            "{}",
            if report.is_clean() {
                "clean"
            } else {
                "DAMAGED"
            }
        );
    }
    if report.is_clean() {
        Outcome::Done
    } else {
        Outcome::Failed
    }
}

#[allow(clippy::too_many_arguments)]
fn commit(
    store: &Store,
    tree: &str,
    subject: String,
    parent: Option<String>,
    artifacts: &[String],
    meta: &[String],
    ref_name: Option<String>,
    json: bool,
) -> Outcome {
    let result = (|| {
        let tree = TreeId::parse(tree)?;
        let ref_name = ref_name.map(|r| RefName::parse(&r)).transpose()?;
        let current = match &ref_name {
            Some(r) => store.read_ref(r)?,
            None => None,
        };
        let parent = match parent {
            Some(p) => Some(CommitId::parse(&p)?),
            None => current,
        };
        let mut m = std::collections::BTreeMap::new();
        for kv in meta {
            let (k, v) = kv.split_once('=').ok_or_else(|| StoreError::BadName {
                what: "metadata",
                name: kv.clone(),
                why: "metadata is given as KEY=VALUE",
            })?;
            m.insert(k.to_string(), v.to_string());
        }
        let artifacts = artifacts
            .iter()
            .map(|a| DrvId::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        let c = Commit {
            tree,
            parent,
            subject: subject.clone(),
            time: now(),
            artifacts,
            meta: m,
        };
        let id = store.put_commit(&c)?;
        if let Some(r) = &ref_name {
            store.update_ref(r, &id, Some(current), &format!("commit: {subject}"))?;
        }
        Ok((id, tree, ref_name))
    })();
    let (id, tree, ref_name) = match result {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if json {
        print_json(&out::Committed {
            version: out::VERSION,
            commit: id.to_hex(),
            tree: tree.to_hex(),
            ref_name: ref_name.map(|r| r.to_string()),
        });
    } else {
        println!("{id}");
    }
    Outcome::Done
}

fn root(store: &Store, name: &str, kind: &str, id: &str) -> Result<(), StoreError> {
    let root = match kind {
        "tree" => GcRoot::Tree(TreeId::parse(id)?),
        "commit" => GcRoot::Commit(CommitId::parse(id)?),
        _ => GcRoot::Artifact(DrvId::parse(id)?),
    };
    store.set_root(name, root)
}
