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
