//! `grove checkout`: materialize a tree (named by id, commit or ref) as a
//! directory of hardlinks to the store.

use std::path::{Path, PathBuf};

use grove_store::Access;

use crate::Outcome;
use crate::store_cmd::{fail, open, print_json, resolve_tree};
use crate::store_output as out;

#[derive(clap::Args)]
pub struct Args {
    /// A tree id, a commit id, or a ref name.
    #[arg(value_name = "TREE|REF")]
    what: String,
    /// Where to put it; must not exist yet (or be an empty directory).
    dir: PathBuf,
    /// Print a versioned JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(store: Option<&Path>, args: Args) -> Outcome {
    let s = match open(store, Access::Shared) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let result = resolve_tree(&s, &args.what)
        .and_then(|tree| s.checkout(&tree, &args.dir).map(|r| (tree, r)));
    let (tree, report) = match result {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if args.json {
        print_json(&out::Checkout {
            version: out::VERSION,
            tree: tree.to_hex(),
            path: args.dir.display().to_string(),
            dirs: report.dirs,
            files: report.files,
            copied: report.copied,
        });
    }
    Outcome::Done
}
