//! The language corpus: every `lang/corpus/**/*.gr` says in its header what
//! must happen, and this one test checks it through `grove getvar` and
//! snapshots what a user would see.
//!
//! Header lines:
//! - `# expect: VAR = "json string"` (or `VAR[flag] = ...`): exit 0, that value
//! - `# expect: VAR unset`: exit 1, nothing on stdout
//! - `# expect: VAR error`: exit 2, a diagnostic
//! - `# expect-error: CODE`: the file does not evaluate; the diagnostic has CODE

use std::path::Path;

use crate::support::grove;

enum Expect {
    Value { var: String, flag: Option<String>, value: String },
    Unset { var: String, flag: Option<String> },
    Error { var: String, flag: Option<String> },
    FileError { code: String },
}

fn split_name(name: &str) -> (String, Option<String>) {
    match name.split_once('[') {
        Some((v, f)) => (v.to_string(), Some(f.trim_end_matches(']').to_string())),
        None => (name.to_string(), None),
    }
}

fn expectations(text: &str) -> Vec<Expect> {
    let mut out = Vec::new();
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(code) = line.strip_prefix("# expect-error: ") {
            out.push(Expect::FileError { code: code.trim().to_string() });
        } else if let Some(rest) = line.strip_prefix("# expect: ") {
            if let Some((name, json)) = rest.split_once(" = ") {
                let (var, flag) = split_name(name.trim());
                let value: String = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("bad expectation {rest:?}: {e}"));
                out.push(Expect::Value { var, flag, value });
            } else if let Some(name) = rest.strip_suffix(" unset") {
                let (var, flag) = split_name(name.trim());
                out.push(Expect::Unset { var, flag });
            } else if let Some(name) = rest.strip_suffix(" error") {
                let (var, flag) = split_name(name.trim());
                out.push(Expect::Error { var, flag });
            } else {
                panic!("cannot read expectation {rest:?}");
            }
        }
    }
    out
}

fn getvar(path: &Path, var: &str, flag: &Option<String>) -> crate::support::Run {
    let dir = path.parent().expect("corpus files live in a directory");
    let name = path.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
    let mut args = vec!["getvar", "--file", name, var];
    if let Some(f) = flag {
        args.extend(["--flag", f.as_str()]);
    }
    grove(dir, &args)
}

fn label(var: &str, flag: &Option<String>) -> String {
    match flag {
        Some(f) => format!("{var}[{f}]"),
        None => var.to_string(),
    }
}

#[test]
fn corpus() {
    insta::glob!("../../lang/corpus", "**/*.gr", |path| {
        let text = std::fs::read_to_string(path).expect("readable");
        let expects = expectations(&text);
        assert!(!expects.is_empty(), "{} has no `# expect` line", path.display());
        let mut report = String::new();
        let mut file_error: Option<String> = None;
        for e in &expects {
            match e {
                Expect::Value { var, flag, value } => {
                    let run = getvar(path, var, flag);
                    assert_eq!((run.code, run.stdout.as_str()), (0, format!("{value}\n").as_str()), "{}: {}\n{}", path.display(), label(var, flag), run.stderr);
                    report.push_str(&format!("{} = {:?}\n", label(var, flag), value));
                }
                Expect::Unset { var, flag } => {
                    let run = getvar(path, var, flag);
                    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}: {} should be unset\n{}", path.display(), label(var, flag), run.stderr);
                    report.push_str(&format!("{} unset\n", label(var, flag)));
                }
                Expect::Error { var, flag } => {
                    let run = getvar(path, var, flag);
                    assert_eq!(run.code, 2, "{}: {} should not expand", path.display(), label(var, flag));
                    assert!(run.stdout.is_empty());
                    report.push_str(&format!("{} error:\n{}\n", label(var, flag), run.stderr));
                }
                Expect::FileError { code } => {
                    let run = file_error.get_or_insert_with(|| {
                        let run = getvar(path, "A", &None);
                        assert_eq!(run.code, 2, "{} should not evaluate", path.display());
                        assert!(run.stdout.is_empty());
                        run.stderr
                    });
                    assert!(run.contains(code.as_str()), "{}: expected {code} in:\n{run}", path.display());
                }
            }
        }
        if let Some(stderr) = file_error {
            report.push_str(&stderr);
        }
        let root = env!("CARGO_MANIFEST_DIR");
        insta::with_settings!({ filters => vec![(root, "[ROOT]")] }, {
            insta::assert_snapshot!(report);
        });
    });
}
