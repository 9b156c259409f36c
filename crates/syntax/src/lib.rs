//! grove's recipe language, up to the syntax tree.
//!
//! `parse` turns the text of one recipe, class or include file into a
//! [`ast::File`] plus every [`SyntaxError`] found; it never fails and never
//! stops early. Nothing here evaluates anything: `${...}` stays as written.

pub mod ast;
mod diagnose;
pub mod error;
pub mod names;
mod parser;
pub mod span;
mod syntax;

pub use diagnose::{closest, suggest_operator};
pub use error::SyntaxError;
pub use names::{Keyword, KeywordAt, split_keyword};
pub use parser::{Parse, parse};
pub use span::{FileId, SourceFile, SourceMap, Span};
pub use syntax::{find_byte, find_inline_python, has_byte, is_space, is_var_char, rfind_byte, words};

#[cfg(test)]
mod tests;
