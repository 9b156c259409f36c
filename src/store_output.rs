//! `--json` output of the store commands: dedicated, versioned structs, so
//! the store's internal types stay free to change. Bump `VERSION` on any
//! incompatible change.

use serde::Serialize;

pub const VERSION: u32 = 1;

/// `grove store add --json`.
#[derive(Serialize)]
pub struct Added {
    pub version: u32,
    pub tree: String,
    pub files: u64,
    pub bytes: u64,
    pub new_objects: u64,
    /// Device nodes and FIFOs skipped under `--allow-devices`.
    pub skipped: Vec<Rejected>,
}

#[derive(Serialize)]
pub struct Rejected {
    pub entry: String,
    pub reason: String,
}

/// `grove store fsck --json`.
#[derive(Serialize)]
pub struct Fsck {
    pub version: u32,
    pub clean: bool,
    pub objects: u64,
    pub trees: u64,
    pub commits: u64,
    pub artifacts: u64,
    pub logs: u64,
    pub refs: u64,
    pub problems: Vec<Problem>,
    pub temp_files: u64,
    pub interrupted_updates: Vec<String>,
    pub unreachable: u64,
    pub incomplete: Vec<String>,
    pub repaired: Vec<String>,
}

#[derive(Serialize)]
pub struct Problem {
    pub name: String,
    pub detail: String,
}

/// `grove gc --json`.
#[derive(Serialize)]
pub struct Gc {
    pub version: u32,
    pub dry_run: bool,
    pub removed: u64,
    pub temp_files: u64,
    pub freed_bytes: u64,
    pub kept: u64,
}

/// `grove checkout --json`.
#[derive(Serialize)]
pub struct Checkout {
    pub version: u32,
    pub tree: String,
    pub path: String,
    pub dirs: u64,
    pub files: u64,
    pub copied: u64,
}

/// `grove store commit --json`.
#[derive(Serialize)]
pub struct Committed {
    pub version: u32,
    pub commit: String,
    pub tree: String,
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
}

/// `grove artifact show --json` and `grove artifact add --json`.
#[derive(Serialize)]
pub struct ArtifactOut {
    pub version: u32,
    /// False when the artifact was already in the store (`add`).
    pub new: bool,
    pub artifact: Artifact,
}

#[derive(Serialize)]
pub struct Artifact {
    pub derivation: String,
    pub recipe: String,
    pub version: String,
    pub series: String,
    pub flavor: String,
    pub arch: String,
    pub origin: String,
    pub built: u64,
    pub log: Option<String>,
    pub outputs: Vec<ArtifactOutput>,
}

#[derive(Serialize)]
pub struct ArtifactOutput {
    pub name: String,
    pub tree: String,
    pub size: u64,
}

/// `grove artifact export --json`.
#[derive(Serialize)]
pub struct Exported {
    pub version: u32,
    pub files: Vec<String>,
}

/// `grove artifact import --json`: one per file.
#[derive(Serialize)]
pub struct Imported {
    pub version: u32,
    pub derivation: String,
    pub output: String,
    pub tree: String,
    pub missing_outputs: Vec<String>,
    pub recorded: bool,
}

/// `grove ref list --json`.
#[derive(Serialize)]
pub struct Refs {
    pub version: u32,
    pub refs: Vec<Ref>,
}

#[derive(Serialize)]
pub struct Ref {
    pub name: String,
    pub commit: String,
}

/// `grove ref log --json`.
#[derive(Serialize)]
pub struct RefLog {
    pub version: u32,
    pub name: String,
    pub entries: Vec<RefLogEntry>,
}

#[derive(Serialize)]
pub struct RefLogEntry {
    pub old: Option<String>,
    pub new: String,
    pub time: u64,
    pub message: String,
}
