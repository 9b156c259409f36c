//! `parse`: any UTF-8 text through `grove_syntax::parse`.
//!
//! Checks, beyond "does not panic, hang or blow up":
//! - every label of every error (primary and secondary) lies within the
//!   text, on character boundaries;
//! - every statement span, and every span inside a statement (name, value,
//!   include files, inherited classes, function name), lies within the text,
//!   on character boundaries, inside its statement's span, in the parse's
//!   file;
//! - statements come in file order and do not overlap;
//! - the first error of each kind renders with miette's graphical handler,
//!   as the CLI renders it.

#![no_main]

use std::sync::Arc;

use grove_fuzz::{check_range, check_syntax_error, render};
use grove_syntax::ast::StmtKind;
use grove_syntax::{FileId, Span};
use libfuzzer_sys::fuzz_target;

const FILE: FileId = FileId(3);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parse = grove_syntax::parse(FILE, text);
    assert_eq!(parse.file, FILE);

    for error in &parse.errors {
        check_syntax_error(text, error);
    }

    let mut previous_end = 0u32;
    for stmt in &parse.ast.stmts {
        let what = || format!("{:?}", stmt.kind);
        check_span(text, stmt.span, &what);
        assert!(stmt.span.start >= previous_end, "statement overlaps the one before it: {}", what());
        previous_end = stmt.span.end;
        let inner: Vec<Span> = match &stmt.kind {
            StmtKind::Assign(a) => vec![a.var_span, a.value_span],
            StmtKind::Include { files_span, .. } => vec![*files_span],
            StmtKind::Inherit { classes_span, .. } => vec![*classes_span],
            StmtKind::Function(f) => vec![f.name_span],
            _ => vec![],
        };
        for span in inner {
            check_span(text, span, &what);
            assert!(
                span.start >= stmt.span.start && span.end <= stmt.span.end,
                "inner span {span:?} outside statement span {:?}: {}",
                stmt.span,
                what()
            );
        }
    }

    // Rendering is most of the cost (textwrap), so render the first error of
    // each kind only: every variant's label and help still get rendered.
    if !parse.errors.is_empty() {
        let source: Arc<str> = text.into();
        let mut seen = Vec::new();
        for error in parse.errors {
            let kind = std::mem::discriminant(&error);
            if !seen.contains(&kind) {
                seen.push(kind);
                render(error, Some(("recipe.gr".to_string(), source.clone())));
            }
        }
    }
});

fn check_span(text: &str, span: Span, what: &dyn Fn() -> String) {
    assert_eq!(span.file, FILE, "span in the wrong file: {}", what());
    check_range(text, span.start as usize, span.end as usize, what);
}
