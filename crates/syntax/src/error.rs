//! Everything the parser can report. Each variant carries its own message,
//! code, label and help; rendering happens only at the edge.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A syntax error in one file. The file is known to whoever holds the
/// [`crate::Parse`] the error came from.
#[derive(Debug, Clone, Error, Diagnostic, PartialEq, Eq)]
pub enum SyntaxError {
    #[error("this line is not a statement grove understands")]
    #[diagnostic(code(grove::parse::unparsed_line), help("{hint}"))]
    UnparsedLine {
        #[label("expected an assignment, a function or a directive")]
        at: SourceSpan,
        hint: String,
    },

    #[error("unknown operator `{op}`")]
    #[diagnostic(code(grove::parse::unknown_operator), help("{hint}"))]
    UnknownOperator {
        op: String,
        #[label("not an assignment operator")]
        at: SourceSpan,
        hint: String,
    },

    #[error("the value of `{var}` is not quoted")]
    #[diagnostic(
        code(grove::parse::unquoted_value),
        help("values are written between quotes: {var} {op} \"{suggestion}\"")
    )]
    UnquotedValue {
        var: String,
        op: String,
        suggestion: String,
        #[label("expected `\"` or `'` here")]
        at: SourceSpan,
    },

    #[error("text after the closing quote")]
    #[diagnostic(code(grove::parse::text_after_value), help("{hint}"))]
    TextAfterValue {
        #[label("nothing may follow the value on its line")]
        at: SourceSpan,
        hint: String,
    },

    #[error("the value has no closing `{quote}`")]
    #[diagnostic(
        code(grove::parse::unterminated_value),
        help("close the value with `{quote}`; to continue it on the next line, end this line with `\\`")
    )]
    UnterminatedValue {
        quote: char,
        #[label("value starts here")]
        at: SourceSpan,
    },

    #[error("the value holds two `{quote}` of its own between its quotes")]
    #[diagnostic(
        code(grove::parse::ambiguous_quotes),
        help("quote this value with {other} instead, e.g. VAR = {other}a {quote}quoted{quote} word{other}")
    )]
    AmbiguousQuotes {
        quote: char,
        other: char,
        #[label("this value")]
        at: SourceSpan,
    },

    #[error("statements must start at the beginning of the line")]
    #[diagnostic(
        code(grove::parse::leading_whitespace),
        help("remove the indentation; to continue a long value, end the previous line with `\\`")
    )]
    LeadingWhitespace {
        #[label("indentation")]
        at: SourceSpan,
    },

    #[error("assignment without a variable name")]
    #[diagnostic(code(grove::parse::empty_name), help("write the variable's name before the operator"))]
    EmptyVariableName {
        #[label("name expected before this operator")]
        at: SourceSpan,
    },

    #[error("`{found}` uses the old override syntax")]
    #[diagnostic(
        code(grove::parse::old_override_syntax),
        help("overrides are separated by `:` now: write `{suggestion}`")
    )]
    OldOverrideSyntax {
        found: String,
        suggestion: String,
        #[label("`_{keyword}` here")]
        at: SourceSpan,
        keyword: String,
    },

    #[error("a comment inside a value continued with `\\`")]
    #[diagnostic(
        code(grove::parse::comment_in_continuation),
        help("move the comment above the statement; a continued value cannot hold comments")
    )]
    CommentInContinuation {
        #[label("this comment")]
        at: SourceSpan,
        #[label("in the value that starts here")]
        statement: SourceSpan,
    },

    #[error("a comment line ends with `\\` and continues into a statement")]
    #[diagnostic(
        code(grove::parse::continued_comment),
        help("remove the trailing `\\` from the comment, or comment out every line of the statement")
    )]
    ContinuedComment {
        #[label("this comment continues onto the next line")]
        at: SourceSpan,
    },

    #[error("the last line ends with `\\` but nothing follows")]
    #[diagnostic(code(grove::parse::dangling_continuation), help("remove the trailing `\\` or finish the statement"))]
    DanglingContinuation {
        #[label("continued here")]
        at: SourceSpan,
    },

    #[error("function `{name}` is never closed")]
    #[diagnostic(
        code(grove::parse::unclosed_function),
        help("end the function with a line holding only `}}`, at the start of the line")
    )]
    UnclosedFunction {
        name: String,
        #[label("opened here")]
        at: SourceSpan,
    },

    #[error("{what} is not allowed: grove recipes are metadata only")]
    #[diagnostic(code(grove::parse::scripting), help("{hint}"))]
    Scripting {
        what: &'static str,
        #[label("{what}")]
        at: SourceSpan,
        hint: &'static str,
    },

    #[error("`{keyword}` is not supported by grove")]
    #[diagnostic(code(grove::parse::unsupported), help("{hint}"))]
    Unsupported {
        keyword: &'static str,
        #[label("here")]
        at: SourceSpan,
        hint: &'static str,
    },
}

impl SyntaxError {
    /// The primary location of the error.
    pub fn at(&self) -> SourceSpan {
        use SyntaxError::*;
        match self {
            UnparsedLine { at, .. }
            | UnknownOperator { at, .. }
            | UnquotedValue { at, .. }
            | TextAfterValue { at, .. }
            | UnterminatedValue { at, .. }
            | AmbiguousQuotes { at, .. }
            | LeadingWhitespace { at }
            | EmptyVariableName { at }
            | OldOverrideSyntax { at, .. }
            | CommentInContinuation { at, .. }
            | ContinuedComment { at }
            | DanglingContinuation { at }
            | UnclosedFunction { at, .. }
            | Scripting { at, .. }
            | Unsupported { at, .. } => *at,
        }
    }
}
