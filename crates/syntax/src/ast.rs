//! The syntax tree: one [`Stmt`] per logical line or function block.
//!
//! Names and values are kept exactly as written (after line joining); `${...}`
//! inside them is expanded only by the evaluator, at use time.

use std::sync::Arc;

use crate::names::KeywordAt;
use crate::span::Span;

/// A parsed file: its statements, in order.
#[derive(Debug, Default, Clone)]
pub struct File {
    pub stmts: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    /// The whole statement, from its first to its last character.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    /// `[export] VAR[flag] op "value"`
    Assign(Assign),
    /// `export VAR`
    Export { var: Arc<str> },
    /// `unset VAR` or `unset VAR[flag]`
    Unset { var: Arc<str>, flag: Option<Arc<str>> },
    /// `include FILES`, `require FILES`, `include_all FILES` (names expanded at evaluation).
    Include { kind: IncludeKind, files: Arc<str>, files_span: Span },
    /// `inherit CLASSES` or `inherit_defer CLASSES` (names expanded at evaluation).
    Inherit { classes: Arc<str>, classes_span: Span, deferred: bool },
    /// `NAME() { ... }`: a shell function, kept as text.
    Function(Function),
    /// `EXPORT_FUNCTIONS do_a do_b`
    ExportFunctions { names: Vec<Arc<str>> },
    /// `addtask TASKS [after ...] [before ...]`
    AddTask { tasks: Arc<str>, after: Arc<str>, before: Arc<str> },
    /// `deltask TASKS`
    DelTask { tasks: Arc<str> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeKind {
    /// `include`: a missing file is silently skipped.
    Include,
    /// `require`: a missing file is an error.
    Require,
    /// `include_all`: the file is included from every layer that has it.
    IncludeAll,
}

impl IncludeKind {
    pub fn keyword(self) -> &'static str {
        match self {
            IncludeKind::Include => "include",
            IncludeKind::Require => "require",
            IncludeKind::IncludeAll => "include_all",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Assign {
    /// `export` written before the name.
    pub export: bool,
    /// The key as written, e.g. `CFLAGS:append:debug` or `${PN}-extra`.
    pub var: Arc<str>,
    pub var_span: Span,
    /// Where `var` ends in `:append`, `:prepend` or `:remove`, if it does.
    pub keyword: Option<KeywordAt>,
    pub flag: Option<Arc<str>>,
    pub op: AssignOp,
    /// The text between the quotes, byte-exact.
    pub value: Arc<str>,
    pub value_span: Span,
}

/// The assignment operators, as BitBake defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `?=`: set only if the variable has no value yet (immediate).
    Default,
    /// `??=`: weak default, used only if nothing else sets the variable.
    WeakDefault,
    /// `:=`: expand the value now.
    Immediate,
    /// `+=`: append with a space.
    Append,
    /// `=+`: prepend with a space.
    Prepend,
    /// `.=`: append without a space.
    DotAppend,
    /// `=.`: prepend without a space.
    DotPrepend,
}

impl AssignOp {
    pub const ALL: [AssignOp; 8] = [
        AssignOp::Immediate,
        AssignOp::WeakDefault,
        AssignOp::Default,
        AssignOp::Append,
        AssignOp::Prepend,
        AssignOp::DotPrepend,
        AssignOp::DotAppend,
        AssignOp::Set,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignOp::Set => "=",
            AssignOp::Default => "?=",
            AssignOp::WeakDefault => "??=",
            AssignOp::Immediate => ":=",
            AssignOp::Append => "+=",
            AssignOp::Prepend => "=+",
            AssignOp::DotAppend => ".=",
            AssignOp::DotPrepend => "=.",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Function {
    /// The name as written, e.g. `do_install` or `do_install:append`.
    pub name: Arc<str>,
    pub name_span: Span,
    /// Where `name` ends in `:append`, `:prepend` or `:remove`, if it does.
    pub keyword: Option<KeywordAt>,
    /// The body: every line between the braces, each right-trimmed, each
    /// ending in a newline.
    pub body: Arc<str>,
    /// Written with the `fakeroot` keyword.
    pub fakeroot: bool,
}
