//! `eval`: any UTF-8 text evaluated as a recipe, with includes and classes.
//!
//! The input is split into files on lines of the form `--- NAME`: the text
//! before the first such line is `/l/recipe.gr`, each section after one is
//! the file `/l/NAME` (so `--- a.inc` is found by `require a.inc`, and
//! `--- classes/c.grclass` by `inherit c`). All files live in a `MemLoader`.
//! An odd-length input is evaluated with history recording on.
//!
//! On success every variable is read expanded and unexpanded, and every flag
//! of every variable expanded. On failure the error's labels must lie within
//! the file they point into, on character boundaries, and the error (the
//! first one, for syntax errors) must render as the CLI renders it.
//!
//! Errors are fine; panics, hangs (libFuzzer's -timeout) and huge memory
//! (-rss_limit_mb) are bugs.

#![no_main]

use std::path::{Path, PathBuf};

use grove_eval::{EvalError, MemLoader, Options, Session};
use grove_fuzz::{check_range, check_syntax_error, render};
use grove_syntax::{FileId, SourceMap};
use libfuzzer_sys::fuzz_target;
use miette::Diagnostic;

const RECIPE: &str = "/l/recipe.gr";
const MARKER: &str = "--- ";

/// Splits the input into `(path, text)` files, the recipe first.
fn split(text: &str) -> Vec<(PathBuf, String)> {
    let mut files = vec![(PathBuf::from(RECIPE), String::new())];
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = bare.strip_prefix(MARKER).map(str::trim).filter(|n| !n.is_empty()) {
            files.push((Path::new("/l").join(name), String::new()));
        } else {
            files.last_mut().expect("never empty").1.push_str(line);
        }
    }
    files
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut loader = MemLoader::new();
    for (path, body) in split(text) {
        loader.insert(path, &body);
    }
    let session = Session::new(loader);
    let options = Options { history: text.len() % 2 == 1 };
    match session.evaluate(Path::new(RECIPE), &options) {
        Ok(evaluated) => {
            let store = &evaluated.store;
            let names: Vec<_> = store.names().cloned().collect();
            for name in &names {
                let _ = store.get(name);
                let _ = store.get_unexpanded(name);
                let flags: Vec<_> = store.var(name).map(|v| v.flag_names().cloned().collect()).unwrap_or_default();
                for flag in &flags {
                    let _ = store.get_flag(name, flag);
                }
            }
            let _ = store.overrides();
        }
        Err(error) => check_error(session.sources(), error),
    }
});

fn check_error(sources: &SourceMap, error: EvalError) {
    let source = |file: FileId| {
        let f = sources.get(file).unwrap_or_else(|| panic!("error points into unknown file {file:?}"));
        (f.name(), f.text.clone())
    };
    match error {
        EvalError::Syntax { file, errors, .. } => {
            // Every label is checked; only the first error is rendered, as
            // rendering is costly and the parse target renders every kind.
            let (name, text) = source(file);
            for (i, e) in errors.into_iter().enumerate() {
                check_syntax_error(&text, &e);
                if i == 0 {
                    render(e, Some((name.clone(), text.clone())));
                }
            }
        }
        other => {
            let labels: Vec<_> = other.labels().map(|l| l.collect()).unwrap_or_default();
            let file = other.file();
            assert!(labels.is_empty() || file.is_some(), "labels but no file: {other:?}");
            let src = file.map(source);
            if let Some((_, text)) = &src {
                for label in labels {
                    let (start, end) = (label.offset(), label.offset() + label.len());
                    check_range(text, start, end, &|| format!("label of {other:?}"));
                }
            }
            render(other, src);
        }
    }
}
