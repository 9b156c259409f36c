//! Diagnostics, rendered only here, at the edge: errors carry spans, and
//! this module attaches the source text they point into.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use grove_eval::EvalError;
use grove_syntax::{FileId, SourceFile, SourceMap};
use miette::{Diagnostic, MietteHandlerOpts, NamedSource, Report};

/// Colour and Unicode only on a terminal, never when `NO_COLOR` is set, so
/// piped output and snapshots are plain and stable.
pub fn install_hook() {
    let fancy = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = miette::set_hook(Box::new(move |_| {
        let opts = MietteHandlerOpts::new().terminal_links(false).width(100);
        // Off a terminal, lines are not wrapped: a path in a message stays
        // whole for scripts, and output does not depend on path lengths.
        let opts = if fancy {
            opts.color(true).unicode(true)
        } else {
            opts.color(false).unicode(false).wrap_lines(false)
        };
        Box::new(opts.build())
    }));
}

/// How a path is shown: relative to the current directory when inside it.
pub fn display_path(path: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = path.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    path.display().to_string()
}

/// Finds the source file an error's span points into.
type Lookup<'a> = &'a dyn Fn(FileId) -> Option<Arc<SourceFile>>;

fn report<E: Diagnostic + Send + Sync + 'static>(error: E, sources: Lookup<'_>, file: Option<FileId>) -> Report {
    let report = Report::new(error);
    match file.and_then(sources) {
        Some(f) => report.with_source_code(NamedSource::new(display_path(&f.path), f.text.clone())),
        None => report,
    }
}

/// Renders an evaluation error (every syntax error of a file, if that is
/// what it is) as text for stderr.
pub fn eval_error(sources: &SourceMap, error: EvalError) -> String {
    eval_error_in(&|id| sources.get(id), error)
}

fn eval_error_in(sources: Lookup<'_>, error: EvalError) -> String {
    match error {
        EvalError::Syntax { path, file, errors } => {
            let mut out = String::new();
            let count = errors.len();
            for e in errors {
                out.push_str(&format!("{:?}\n", report(e, sources, Some(file))));
            }
            if count > 1 {
                out.push_str(&format!("{count} syntax errors in {}\n", display_path(&path)));
            }
            out
        }
        other => {
            let file = other.file();
            format!("{:?}\n", report(other, sources, file))
        }
    }
}

/// Prints a layer, configuration or derivation error on stderr; the
/// failure outcome to return.
pub fn fail_derive(error: grove_derive::DeriveError) -> crate::Outcome {
    let text = derive_text(error);
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    crate::Outcome::Failed
}

/// A derivation error rendered, source attached.
pub fn derive_text(error: grove_derive::DeriveError) -> String {
    match error {
        grove_derive::DeriveError::Eval { error, source_file, .. } => {
            eval_error_in(&|id| source_file.clone().filter(|f| f.id == id), *error)
        }
        // The host path is what the message is about: shown as it is,
        // whatever directory grove runs in (only the place is made relative).
        grove_derive::DeriveError::HostPath { place, what, host } => {
            let place = relative_paths(&place);
            format!("{:?}\n", Report::new(grove_derive::DeriveError::HostPath { place, what, host }))
        }
        other => relative_paths(&format!("{:?}\n", Report::new(other))),
    }
}

/// `text` with every path inside the current directory shown relative to
/// it, as [`display_path`] shows them: errors of the derivation name
/// files by the paths the loader holds, which are absolute.
fn relative_paths(text: &str) -> String {
    match std::env::current_dir() {
        Ok(cwd) if cwd.as_os_str().len() > 1 => strip_dir(text, &format!("{}/", cwd.display())),
        _ => text.to_string(),
    }
}

/// `text` without the prefix `dir` (which ends in `/`) wherever a path
/// starts with it: at the start of the text or after a byte that cannot
/// be part of a path name (a space, a quote, a bracket, ...), so that a
/// longer path holding `dir` inside it stays whole.
fn strip_dir(text: &str, dir: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (at, _) in text.match_indices(dir) {
        let before = text[..at].chars().last();
        if before.is_none_or(|c| !(c.is_alphanumeric() || "/._-~".contains(c))) {
            out.push_str(&text[from..at]);
            from = at + dir.len();
        }
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::strip_dir;

    #[test]
    fn paths_in_the_current_directory_are_shown_relative() {
        let dir = "/w/ws/";
        assert_eq!(strip_dir("/w/ws/a.gr:3:1: no", dir), "a.gr:3:1: no");
        assert_eq!(strip_dir("looked in: /w/ws/a, /w/ws/b", dir), "looked in: a, b");
        assert_eq!(strip_dir("(`/w/ws/x`)", dir), "(`x`)");
        // A path that only holds the directory inside it stays whole, as
        // does a sibling whose name starts alike.
        assert_eq!(strip_dir("/v/w/ws/a and /w/ws2/b", dir), "/v/w/ws/a and /w/ws2/b");
        assert_eq!(strip_dir("no path here", dir), "no path here");
    }
}
