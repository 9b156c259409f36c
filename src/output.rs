//! `--json` output: dedicated, versioned structs, so internal types stay
//! free to change. Bump `VERSION` on any incompatible change.

use serde::Serialize;

pub const VERSION: u32 = 1;

/// `grove getvar --json`.
#[derive(Serialize)]
pub struct GetVar {
    pub version: u32,
    pub variable: String,
    pub flag: Option<String>,
    pub value: String,
    /// Present with `--history`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

/// One operation that shaped a value.
#[derive(Serialize)]
pub struct HistoryEntry {
    /// BitBake's name for it: `set`, `set?`, `append`, `:append[foo]`,
    /// `override[foo]:set`, `del`, ...
    pub op: String,
    pub flag: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    /// The value as written.
    pub detail: String,
}

/// `grove eval --json`.
#[derive(Serialize)]
pub struct Eval {
    pub version: u32,
    pub configurations: Vec<EvalConfiguration>,
}

/// One configuration's derivations.
#[derive(Serialize)]
pub struct EvalConfiguration {
    pub series: String,
    pub flavor: String,
    pub arch: String,
    pub kind: String,
    pub derivations: Vec<Derivation>,
}

/// One recipe in one configuration.
#[derive(Serialize)]
pub struct Derivation {
    pub name: String,
    pub version: String,
    /// `name-version-flavor-arch-<16 hex digits>`; without the hash when skipped.
    pub id: String,
    /// The full derivation hash (64 hex digits); null when skipped.
    pub hash: Option<String>,
    /// `ready`, `held` or `skipped`.
    pub state: &'static str,
    /// Why it is held or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a held recipe: the recipe whose hold it inherits (itself if its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
    pub file: String,
    pub provides: Vec<String>,
    /// Build-time needs (`BUILD_BASE` and `DEPENDS`) as resolved.
    pub depends: Vec<Dependency>,
    /// Runtime needs (`RDEPENDS`) as resolved recipe names.
    pub rdepends: Vec<String>,
}

#[derive(Serialize)]
pub struct Dependency {
    pub name: String,
    /// `base` or `build`.
    pub role: &'static str,
    pub hash: Option<String>,
}

/// `grove show --json`.
#[derive(Serialize)]
pub struct Show {
    pub version: u32,
    pub derivation: Derivation,
    /// The hash of what the recipe alone says (its derivation hash adds
    /// its dependencies' hashes).
    pub local_hash: String,
    pub appends: Vec<String>,
    pub variables: Vec<Variable>,
    pub sources: Vec<ShowSource>,
    pub environment: Vec<Variable>,
    pub tasks: Vec<ShowTask>,
    pub functions: Vec<Variable>,
}

#[derive(Serialize)]
pub struct Variable {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct ShowSource {
    /// `file`, `url` or `git`.
    pub kind: &'static str,
    pub name: String,
    /// What names it in the hash: `blake3:…`, `sha256:…` or `git:…`.
    pub identity: String,
    /// The local file found, or the URL.
    pub origin: String,
    pub params: Vec<Variable>,
}

#[derive(Serialize)]
pub struct ShowTask {
    pub name: String,
    pub after: Vec<String>,
    pub flags: Vec<Variable>,
}

/// `grove graph --format json`.
#[derive(Serialize)]
pub struct Graph {
    pub version: u32,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

#[derive(Serialize)]
pub struct GraphNode {
    pub name: String,
    pub id: String,
    pub hash: Option<String>,
    pub state: &'static str,
}

#[derive(Serialize)]
pub struct GraphEdge {
    /// The recipe that needs.
    pub from: String,
    /// The recipe needed.
    pub to: String,
    /// `base`, `build` or `runtime`.
    pub kind: &'static str,
}

/// `grove why --json`.
#[derive(Serialize)]
pub struct Why {
    pub version: u32,
    /// The chain from the first recipe to the second, both included; each
    /// step says how it needs the next.
    pub path: Vec<WhyStep>,
}

#[derive(Serialize)]
pub struct WhyStep {
    pub name: String,
    /// How this recipe needs the next one; null on the last step.
    pub needs_next_as: Option<&'static str>,
}

/// `grove explain --json`.
#[derive(Serialize)]
pub struct Explain {
    pub version: u32,
    /// Recipes whose derivation differs, the ones whose own inputs changed first.
    pub changes: Vec<ExplainEntry>,
}

#[derive(Serialize)]
pub struct ExplainEntry {
    pub name: String,
    /// `changed`, `added` or `removed`.
    pub status: &'static str,
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    /// What differs in the recipe's own derivation: `what` is `version`,
    /// `env NAME`, `task NAME`, `function NAME`, `source NAME`, `needs`
    /// (the recipes its build needs, by name), ...
    pub own: Vec<ExplainChange>,
    /// Variables whose written values differ and that the changed parts reach.
    pub edited: Vec<ExplainChange>,
    /// Dependencies whose hashes changed.
    pub inputs: Vec<String>,
}

#[derive(Serialize)]
pub struct ExplainChange {
    pub what: String,
    pub old: Option<String>,
    pub new: Option<String>,
}
