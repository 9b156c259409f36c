//! `grove gc`: remove what no ref or gc root reaches.

use std::path::Path;

use grove_store::Access;

use crate::Outcome;
use crate::store_cmd::{fail, open, print_json};
use crate::store_output as out;

#[derive(clap::Args)]
pub struct Args {
    /// Report what would be removed and the space it would free; remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print a versioned JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(store: Option<&Path>, args: Args) -> Outcome {
    let access = if args.dry_run {
        Access::Shared
    } else {
        Access::Exclusive
    };
    let store = match open(store, access) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let report = match store.gc(args.dry_run) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if args.json {
        print_json(&out::Gc {
            version: out::VERSION,
            dry_run: report.dry_run,
            removed: report.removed,
            temp_files: report.temp_files,
            freed_bytes: report.freed,
            kept: report.kept,
        });
    } else {
        let verb = if report.dry_run {
            "would remove"
        } else {
            "removed"
        };
        println!(
            "{verb} {} objects and records and {} temporary files, {} freed; kept {}",
            report.removed,
            report.temp_files,
            human_bytes(report.freed),
            report.kept
        );
    }
    Outcome::Done
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
