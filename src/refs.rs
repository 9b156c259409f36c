//! `grove ref`: list, show, set and trace refs.

use std::io::IsTerminal;
use std::path::Path;

use grove_store::{Access, CommitId, RefName, Store, StoreError};

use crate::Outcome;
use crate::store_cmd::{done, fail, open, print_json};
use crate::store_output as out;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Every ref and the commit it points at.
    List {
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The commit a ref points at. Exit 1 if the ref does not exist.
    Show { name: String },
    /// Point a ref at a commit, atomically, recording it in the ref's history.
    Set {
        name: String,
        commit: String,
        /// Only if the ref currently points at this commit (`none`: only if
        /// it does not exist yet).
        #[arg(long, value_name = "COMMIT|none")]
        expect: Option<String>,
        #[arg(long, short = 'm', default_value = "set")]
        message: String,
    },
    /// A ref's history, oldest first.
    Log {
        name: String,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(store: Option<&Path>, args: Args) -> Outcome {
    let store = match open(store, Access::Shared) {
        Ok(s) => s,
        Err(o) => return o,
    };
    match args.command {
        Sub::List { json } => list(&store, json),
        Sub::Show { name } => match RefName::parse(&name).and_then(|n| store.read_ref(&n)) {
            Ok(Some(c)) => {
                println!("{c}");
                Outcome::Done
            }
            Ok(None) => {
                // A person at a terminal gets a hint; scripts, the exit code.
                if std::io::stderr().is_terminal() {
                    eprintln!("note: there is no ref {name} (`grove ref list` shows them)");
                }
                Outcome::NotFound
            }
            Err(e) => fail(e),
        },
        Sub::Set {
            name,
            commit,
            expect,
            message,
        } => done(set(&store, &name, &commit, expect.as_deref(), &message)),
        Sub::Log { name, json } => log(&store, &name, json),
    }
}

fn set(
    store: &Store,
    name: &str,
    commit: &str,
    expect: Option<&str>,
    message: &str,
) -> Result<(), StoreError> {
    let name = RefName::parse(name)?;
    let commit = CommitId::parse(commit)?;
    let expect = match expect {
        None => None,
        Some("none") => Some(None),
        Some(c) => Some(Some(CommitId::parse(c)?)),
    };
    store
        .update_ref(&name, &commit, expect, message)
        .map(|_| ())
}

fn list(store: &Store, json: bool) -> Outcome {
    let refs = match store.list_refs() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if json {
        print_json(&out::Refs {
            version: out::VERSION,
            refs: refs
                .iter()
                .map(|(n, c)| out::Ref {
                    name: n.to_string(),
                    commit: c.to_hex(),
                })
                .collect(),
        });
    } else {
        for (n, c) in refs {
            println!("{n} {c}");
        }
    }
    Outcome::Done
}

fn log(store: &Store, name: &str, json: bool) -> Outcome {
    let result = RefName::parse(name).and_then(|n| store.ref_history(&n));
    let entries = match result {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    if json {
        print_json(&out::RefLog {
            version: out::VERSION,
            name: name.to_string(),
            entries: entries
                .into_iter()
                .map(|e| out::RefLogEntry {
                    old: e.old.map(|o| o.to_hex()),
                    new: e.new.to_hex(),
                    time: e.time,
                    message: e.message,
                })
                .collect(),
        });
    } else {
        for e in entries {
            let old = e.old.map_or_else(|| "-".repeat(64), |o| o.to_hex());
            println!("{old} {} {} {}", e.new, e.time, e.message);
        }
    }
    Outcome::Done
}
