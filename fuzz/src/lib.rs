//! Helpers shared by the fuzz targets in `fuzz_targets/`.

use std::sync::Arc;

use grove_syntax::SyntaxError;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, Report};

/// Panics unless `start..end` is a valid, non-reversed range of `text` whose
/// ends fall on character boundaries (so `&text[start..end]` works).
pub fn check_range(text: &str, start: usize, end: usize, what: &dyn Fn() -> String) {
    assert!(start <= end, "span {start}..{end} is reversed: {}", what());
    assert!(end <= text.len(), "span {start}..{end} ends past the text ({} bytes): {}", text.len(), what());
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "span {start}..{end} splits a character: {}",
        what()
    );
}

/// Checks every label of a syntax error against the text it points into.
pub fn check_syntax_error(text: &str, error: &SyntaxError) {
    let labels: Vec<_> = error.labels().map(|l| l.collect()).unwrap_or_default();
    assert!(!labels.is_empty(), "syntax error without a label: {error:?}");
    for label in labels {
        let (start, end) = (label.offset(), label.offset() + label.len());
        check_range(text, start, end, &|| format!("label of {error:?}"));
    }
}

/// Renders a diagnostic the way the CLI does (miette's graphical handler,
/// no colour, 100 columns), with the text of the file it points into.
pub fn render<E: Diagnostic + Send + Sync + 'static>(error: E, source: Option<(String, Arc<str>)>) -> String {
    let report = Report::new(error);
    let report = match source {
        Some((name, text)) => report.with_source_code(NamedSource::new(name, text)),
        None => report,
    };
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let mut out = String::new();
    handler.render_report(&mut out, report.as_ref()).expect("rendering into a String cannot fail");
    out
}
