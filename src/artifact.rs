//! `grove artifact`: record a derivation's outputs, show them, export them
//! as deterministic `tar.zst` files and import such files back.

use std::io::Write;
use std::path::{Path, PathBuf};

use grove_store::{Access, Artifact, DrvId, ImportOptions, Output, Store, StoreError};

use crate::Outcome;
use crate::store_cmd::{fail, now, open, print_json};
use crate::store_output as out;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

/// What an artifact records about its build.
#[derive(clap::Args)]
struct Meta {
    #[arg(long)]
    recipe: String,
    #[arg(long = "recipe-version", value_name = "VERSION")]
    version: String,
    /// The release series, e.g. 3.2.
    #[arg(long)]
    series: String,
    #[arg(long, default_value = "opt")]
    flavor: String,
    #[arg(long, default_value = std::env::consts::ARCH)]
    arch: String,
    #[arg(long, default_value = "local")]
    origin: String,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Record the outputs of a derivation (each a directory or tarball).
    ///
    /// Done once per derivation: under the derivation's lock, and only if no
    /// other process recorded it first (then that one is shown).
    Add {
        /// The derivation's id (64 hex digits).
        drv: String,
        /// An output `NAME=PATH`; repeatable (runtime, devel, debug, ...).
        #[arg(long = "output", value_name = "NAME=PATH", required = true)]
        outputs: Vec<String>,
        #[command(flatten)]
        meta: Meta,
        /// The build log (stored compressed).
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
        /// Let in symlinks with absolute targets (an output that is a
        /// sysroot); never followed.
        #[arg(long)]
        allow_absolute_symlinks: bool,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show an artifact. Exit 1 if the derivation has none.
    Show {
        drv: String,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the build log of a derivation. Exit 1 if there is none.
    Log { drv: String },
    /// Write one deterministic tar.zst per output into DIR.
    ///
    /// Entries sorted, mtime from SOURCE_DATE_EPOCH (or 0), uid/gid 0; the
    /// file name carries the metadata, a manifest inside names the content.
    Export {
        drv: String,
        #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
        dir: PathBuf,
        /// Print a versioned JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Import exported tar.zst files, verifying each against its manifest.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Let in symlinks with absolute targets (an artifact that is a
        /// sysroot); never followed.
        #[arg(long)]
        allow_absolute_symlinks: bool,
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
    let result =
        match args.command {
            Sub::Add {
                drv,
                outputs,
                meta,
                log,
                allow_absolute_symlinks,
                json,
            } => {
                let options = ImportOptions {
                    allow_absolute_symlinks,
                    ..ImportOptions::default()
                };
                add(&store, &drv, &outputs, meta, log.as_deref(), &options, json)
            }
            Sub::Show { drv, json } => show(&store, &drv, json),
            Sub::Log { drv } => DrvId::parse(&drv)
                .and_then(|d| store.log_of(&d))
                .map(|log| match log {
                    Some(text) => {
                        let _ = std::io::stdout().write_all(&text);
                        Outcome::Done
                    }
                    None => Outcome::NotFound,
                }),
            Sub::Export { drv, dir, json } => export(&store, &drv, &dir, json),
            Sub::Import {
                files,
                allow_absolute_symlinks,
                json,
            } => {
                let options = ImportOptions {
                    allow_absolute_symlinks,
                    ..ImportOptions::default()
                };
                import(&store, &files, &options, json)
            }
        };
    result.unwrap_or_else(fail)
}

fn add(
    store: &Store,
    drv: &str,
    outputs: &[String],
    meta: Meta,
    log: Option<&Path>,
    options: &ImportOptions,
    json: bool,
) -> Result<Outcome, StoreError> {
    let drv = DrvId::parse(drv)?;
    let mut parsed = Vec::new();
    for o in outputs {
        let (name, path) = o.split_once('=').ok_or_else(|| StoreError::BadMetadata {
            field: "output",
            value: o.clone(),
            why: "outputs are given as NAME=PATH",
        })?;
        parsed.push((name.to_string(), PathBuf::from(path)));
    }
    let (artifact, new) = store.artifact_or_insert_with(&drv, |store| {
        let log = match log {
            Some(path) => {
                let text = std::fs::read(path).map_err(|error| StoreError::Io {
                    action: "read",
                    path: path.to_path_buf(),
                    error,
                })?;
                Some(store.put_log(&text)?)
            }
            None => None,
        };
        let mut outputs = Vec::new();
        for (name, path) in &parsed {
            let imported = store.import_path(path, options)?;
            outputs.push(Output {
                name: name.clone(),
                tree: imported.tree,
                size: imported.bytes,
            });
        }
        Ok(Artifact {
            drv,
            recipe: meta.recipe,
            version: meta.version,
            series: meta.series,
            flavor: meta.flavor,
            arch: meta.arch,
            origin: meta.origin,
            built: now(),
            log,
            outputs,
        })
    })?;
    if !new && !json {
        eprintln!("grove: artifact {drv} was already in the store");
    }
    print_artifact(&artifact, new, json);
    Ok(Outcome::Done)
}

fn show(store: &Store, drv: &str, json: bool) -> Result<Outcome, StoreError> {
    match store.artifact(&DrvId::parse(drv)?)? {
        Some(a) => {
            print_artifact(&a, false, json);
            Ok(Outcome::Done)
        }
        None => Ok(Outcome::NotFound),
    }
}

fn print_artifact(a: &Artifact, new: bool, json: bool) {
    if json {
        print_json(&out::ArtifactOut {
            version: out::VERSION,
            new,
            artifact: out::Artifact {
                derivation: a.drv.to_hex(),
                recipe: a.recipe.clone(),
                version: a.version.clone(),
                series: a.series.clone(),
                flavor: a.flavor.clone(),
                arch: a.arch.clone(),
                origin: a.origin.clone(),
                built: a.built,
                log: a.log.map(|l| l.to_hex()),
                outputs: a
                    .outputs
                    .iter()
                    .map(|o| out::ArtifactOutput {
                        name: o.name.clone(),
                        tree: o.tree.to_hex(),
                        size: o.size,
                    })
                    .collect(),
            },
        });
    } else {
        println!(
            "{} {} {}-{}-{}-{} ({})",
            a.drv, a.recipe, a.version, a.series, a.flavor, a.arch, a.origin
        );
        for o in &a.outputs {
            println!("  {} {} {}", o.name, o.tree, crate::gc::human_bytes(o.size));
        }
    }
}

fn export(store: &Store, drv: &str, dir: &Path, json: bool) -> Result<Outcome, StoreError> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let files = store.export_artifact(&DrvId::parse(drv)?, dir, epoch)?;
    if json {
        print_json(&out::Exported {
            version: out::VERSION,
            files: files.iter().map(|f| f.display().to_string()).collect(),
        });
    } else {
        for f in files {
            println!("{}", f.display());
        }
    }
    Ok(Outcome::Done)
}

fn import(
    store: &Store,
    files: &[PathBuf],
    options: &ImportOptions,
    json: bool,
) -> Result<Outcome, StoreError> {
    for f in files {
        let i = store.import_artifact_with(f, options)?;
        if json {
            print_json(&out::Imported {
                version: out::VERSION,
                derivation: i.drv.to_hex(),
                output: i.output,
                tree: i.tree.to_hex(),
                missing_outputs: i.missing,
                recorded: i.recorded,
            });
        } else {
            println!("{} {} {}", i.drv, i.output, i.tree);
            if !i.missing.is_empty() {
                eprintln!(
                    "grove: artifact {} still lacks the outputs {}; import their files too",
                    i.drv,
                    i.missing.join(", ")
                );
            }
        }
    }
    Ok(Outcome::Done)
}
