//! Everything evaluation can report. Message, code, label and help live on
//! each variant; the CLI attaches the source text when it renders them.

use std::path::PathBuf;

use grove_syntax::{FileId, SyntaxError};
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// Why a value could not be expanded.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{kind}")]
pub struct ExpandError {
    /// The variable whose expansion failed.
    pub var: String,
    pub kind: ExpandErrorKind,
}

impl ExpandError {
    pub fn new(var: &str, kind: ExpandErrorKind) -> ExpandError {
        ExpandError { var: var.to_string(), kind }
    }
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ExpandErrorKind {
    #[error("the value refers to the variable it is the value of")]
    SelfReference,
    #[error("variables refer to each other in a cycle: {}", chain.join(" → "))]
    Cycle { chain: Vec<String> },
    #[error("variables refer to each other more than {} levels deep: {} → ...", crate::lookup::MAX_DEPTH, chain.iter().take(5).cloned().collect::<Vec<_>>().join(" → "))]
    TooDeep { chain: Vec<String> },
    #[error("the expanded value grows past {} MiB", limit >> 20)]
    TooLarge { limit: usize },
    #[error("expanding this recipe's values produces more than {} MiB", limit >> 20)]
    TooMuchExpansion { limit: usize },
    #[error("OVERRIDES has {count} entries, more than the {limit} grove accepts")]
    TooManyOverrides { count: usize, limit: usize },
    #[error("the expansion does not settle")]
    DoesNotSettle,
    #[error("OVERRIDES changes its own value: `{first}` before overrides apply, `{second}` after")]
    UnstableOverrides { first: String, second: String },
}

impl ExpandErrorKind {
    pub fn help(&self) -> &'static str {
        match self {
            ExpandErrorKind::SelfReference => {
                "to extend a value use `+=`, `:append` or `:=` (which expands the old value first)"
            }
            ExpandErrorKind::Cycle { .. } => "break the cycle: one of these variables must not refer to the next",
            ExpandErrorKind::TooDeep { .. } => "flatten the chain of variables referring to variables",
            ExpandErrorKind::TooLarge { .. } => "a variable is probably referenced many times over through nested variables",
            ExpandErrorKind::TooMuchExpansion { .. } => {
                "variables are probably referenced many times over through nested variables"
            }
            ExpandErrorKind::TooManyOverrides { .. } => "OVERRIDES lists the active overrides, usually a few dozen",
            ExpandErrorKind::DoesNotSettle => "the value keeps producing new `${...}` references",
            ExpandErrorKind::UnstableOverrides { .. } => {
                "OVERRIDES must not be changed by its own overrides; set it once, from plain variables"
            }
        }
    }
}

/// An error while evaluating a file, with where it happened.
#[derive(Debug, Clone, Error, Diagnostic)]
pub enum EvalError {
    /// The file (or one it includes) has syntax errors; each is its own
    /// diagnostic, all in `file`.
    #[error("{} syntax error{} in {}", errors.len(), if errors.len() == 1 { "" } else { "s" }, path.display())]
    #[diagnostic(code(grove::parse))]
    Syntax { path: PathBuf, file: FileId, errors: Vec<SyntaxError> },

    #[error("cannot read {}: {reason}", path.display())]
    #[diagnostic(code(grove::eval::read), help("{help}"))]
    Read {
        path: PathBuf,
        reason: String,
        help: String,
        file: Option<FileId>,
        #[label("read here")]
        at: Option<SourceSpan>,
    },

    #[error("required file `{name}` not found")]
    #[diagnostic(code(grove::eval::missing_require), help("{help}"))]
    MissingRequire {
        name: String,
        help: String,
        file: FileId,
        #[label("required here")]
        at: SourceSpan,
    },

    #[error("class `{name}` not found")]
    #[diagnostic(code(grove::eval::missing_class), help("{help}"))]
    MissingClass {
        name: String,
        help: String,
        file: FileId,
        #[label("inherited here")]
        at: SourceSpan,
    },

    #[error("`{}` is outside the directories grove may read", path.display())]
    #[diagnostic(
        code(grove::eval::outside_layers),
        help("recipes may only read files inside their layers ({allowed}); move the file there or add its layer")
    )]
    OutsideLayers {
        path: PathBuf,
        allowed: String,
        file: FileId,
        #[label("refers to it here")]
        at: SourceSpan,
    },

    #[error("`{}` includes itself: {}", chain.last().map(String::as_str).unwrap_or(""), chain.join(" → "))]
    #[diagnostic(code(grove::eval::include_cycle), help("remove one of these includes"))]
    IncludeCycle {
        chain: Vec<String>,
        file: FileId,
        #[label("includes it again here")]
        at: SourceSpan,
    },

    #[error("includes nest more than {limit} deep")]
    #[diagnostic(code(grove::eval::include_too_deep), help("files including files including files...: flatten the includes"))]
    IncludeTooDeep {
        limit: usize,
        file: FileId,
        #[label("the include that goes one level too deep")]
        at: SourceSpan,
    },

    /// `at` is where `shown` was set: the variable expanded, or the one
    /// that closes a cycle (see [`crate::DataStore::locate`]).
    #[error("cannot expand `{}`: {}", expand.var, expand.kind)]
    #[diagnostic(code(grove::eval::expansion), help("{}", expand.kind.help()))]
    Expand {
        expand: ExpandError,
        shown: Box<str>,
        file: Option<FileId>,
        #[label("`{shown}` is set here")]
        at: Option<SourceSpan>,
    },

    #[error("EXPORT_FUNCTIONS outside a class")]
    #[diagnostic(
        code(grove::eval::export_functions_outside_class),
        help("EXPORT_FUNCTIONS makes CLASS_do_x the default do_x; it belongs in a .grclass file")
    )]
    ExportFunctionsOutsideClass {
        file: FileId,
        #[label("here")]
        at: SourceSpan,
    },

    #[error("class `{class}` has `-` in its name and exports shell function `{function}`")]
    #[diagnostic(
        code(grove::eval::class_name_dash),
        help("`{class}_{function}` cannot be a shell function name; rename the class without `-`")
    )]
    ClassNameWithDash {
        class: String,
        function: String,
        file: FileId,
        #[label("exported here")]
        at: SourceSpan,
    },

    #[error("evaluation stores more than {} MiB of values", limit >> 20)]
    #[diagnostic(
        code(grove::eval::too_much_data),
        help("a value probably grows with every inclusion of a file included many times over")
    )]
    TooMuchData {
        limit: usize,
        file: FileId,
        #[label("while evaluating this")]
        at: SourceSpan,
    },

    #[error("evaluation exceeded {limit} statements")]
    #[diagnostic(
        code(grove::eval::too_many_statements),
        help("files are probably included many times over; include each once")
    )]
    TooManyStatements {
        limit: usize,
        file: FileId,
        #[label("while evaluating this")]
        at: SourceSpan,
    },
}

impl EvalError {
    /// The file the primary label points into.
    pub fn file(&self) -> Option<FileId> {
        use EvalError::*;
        match self {
            Syntax { file, .. } => Some(*file),
            Read { file, .. } | Expand { file, .. } => *file,
            MissingRequire { file, .. }
            | MissingClass { file, .. }
            | OutsideLayers { file, .. }
            | IncludeCycle { file, .. }
            | IncludeTooDeep { file, .. }
            | ExportFunctionsOutsideClass { file, .. }
            | ClassNameWithDash { file, .. }
            | TooMuchData { file, .. }
            | TooManyStatements { file, .. } => Some(*file),
        }
    }
}
