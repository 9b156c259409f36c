//! Everything the store can report. Message, code and help live on each
//! variant; the CLI renders them.

use std::io;
use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// One entry of an import that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The entry's name as the archive or directory spells it.
    pub entry: String,
    pub reason: String,
}

#[derive(Debug, Error, Diagnostic)]
pub enum StoreError {
    #[error("`{text}` is not a valid {what} id")]
    #[diagnostic(
        code(grove::store::bad_id),
        help("ids are 64 lowercase hexadecimal digits (a blake3 hash)")
    )]
    BadId { what: &'static str, text: String },

    #[error("cannot {action} {}: {error}", path.display())]
    #[diagnostic(code(grove::store::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        /// Shown in the message, not as a cause, so it is said once.
        error: io::Error,
    },

    #[error("{} refused: {}", from, summary(rejections))]
    #[diagnostic(
        code(grove::store::unsafe_entry),
        help(
            "nothing was imported; entries must stay inside the tree (no absolute paths, no `..`, no symlinks or hard links leading out; absolute symlinks of a sysroot only with --allow-absolute-symlinks) and be files, directories or symlinks (device nodes only with --allow-devices, which skips them)"
        )
    )]
    Unsafe {
        from: String,
        rejections: Vec<Rejection>,
    },

    #[error("{what} {id} is not in the store")]
    #[diagnostic(code(grove::store::not_found))]
    NotFound { what: &'static str, id: String },

    #[error("{what} {} is corrupt: {detail}", path.display())]
    #[diagnostic(
        code(grove::store::corrupt),
        help(
            "run `grove store fsck` to see every damaged object, and `--repair` to drop what cannot be trusted"
        )
    )]
    Corrupt {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },

    #[error("`{name}` is not a valid {what} name: {why}")]
    #[diagnostic(
        code(grove::store::bad_name),
        help(
            "names are `/`-separated components of letters, digits and `._+-`, not starting with `.`"
        )
    )]
    BadName {
        what: &'static str,
        name: String,
        why: &'static str,
    },

    #[error("ref `{name}` points at {found}, not at the expected {expected}")]
    #[diagnostic(
        code(grove::store::ref_moved),
        help("another process updated it first; read it again and retry")
    )]
    RefMoved {
        name: String,
        expected: String,
        found: String,
    },

    #[error("ref `{name}` conflicts with the existing ref `{other}`")]
    #[diagnostic(
        code(grove::store::ref_conflict),
        help("a ref cannot be both a name and a prefix of another name, e.g. `a/b` and `a/b/c`")
    )]
    RefConflict { name: String, other: String },

    #[error("this is not a canonical {what}: {detail}")]
    #[diagnostic(
        code(grove::store::malformed),
        help("trees and commits have exactly one encoding (FORMAT.md); anything else is refused")
    )]
    Malformed { what: &'static str, detail: String },

    #[error("{} is not an archive grove can read: {detail}", path.display())]
    #[diagnostic(
        code(grove::store::bad_archive),
        help(
            "grove reads directories and tar archives, plain or compressed with gzip, bzip2, xz or zstd"
        )
    )]
    BadArchive { path: PathBuf, detail: String },

    #[error("{} does not verify: {detail}", path.display())]
    #[diagnostic(
        code(grove::store::verify),
        help("the file was changed or damaged after export; nothing was imported")
    )]
    Verify { path: PathBuf, detail: String },

    #[error("{} already exists", path.display())]
    #[diagnostic(
        code(grove::store::exists),
        help(
            "check out into a new path (or an empty directory); grove never overwrites a directory's contents"
        )
    )]
    Exists { path: PathBuf },

    #[error("artifact field `{field}` = `{value}` is not allowed: {why}")]
    #[diagnostic(code(grove::store::bad_metadata))]
    BadMetadata {
        field: &'static str,
        value: String,
        why: &'static str,
    },

    #[error("artifact {drv} is already in the store with different content")]
    #[diagnostic(
        code(grove::store::artifact_conflict),
        help(
            "an artifact is written once per derivation; a different build of the same derivation is not reproducible"
        )
    )]
    ArtifactConflict { drv: String },

    #[error("{} is not a grove store: {detail}", path.display())]
    #[diagnostic(
        code(grove::store::format),
        help("point --store at a grove store directory, or at a new path to create one")
    )]
    NotAStore { path: PathBuf, detail: String },

    #[error("{what} needs the store to itself, but it was opened shared")]
    #[diagnostic(
        code(grove::store::needs_exclusive),
        help("open the store with `Access::Exclusive`")
    )]
    NeedsExclusive { what: &'static str },

    #[error("garbage collection stopped: {detail}")]
    #[diagnostic(
        code(grove::store::gc_unsafe),
        help("run `grove store fsck`; gc deletes nothing while what is reachable cannot be read")
    )]
    GcUnsafe { detail: String },
}

fn summary(rejections: &[Rejection]) -> String {
    let mut out = format!(
        "{} unsafe entr{}",
        rejections.len(),
        if rejections.len() == 1 { "y" } else { "ies" }
    );
    for r in rejections.iter().take(20) {
        out.push_str(&format!("\n  `{}`: {}", r.entry, r.reason));
    }
    if rejections.len() > 20 {
        out.push_str(&format!("\n  ... and {} more", rejections.len() - 20));
    }
    out
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Wraps an io error with what was being done and where.
pub(crate) fn io_err(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.into();
    move |error| StoreError::Io {
        action,
        path,
        error,
    }
}

pub(crate) fn corrupt(
    what: &'static str,
    path: impl Into<PathBuf>,
    detail: impl Into<String>,
) -> StoreError {
    StoreError::Corrupt {
        what,
        path: path.into(),
        detail: detail.into(),
    }
}
