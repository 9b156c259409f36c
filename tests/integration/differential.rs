//! grove against BitBake itself: every case in `lang/differential/` holds a
//! recipe and the values BitBake 2.19 gave for it (made by
//! `tests/bitbake/oracle.py`); grove must give the same.

use std::path::{Path, PathBuf};

use grove_eval::{FsLoader, Options, Session};
use serde_json::Value as Json;

/// One disagreement, said so that it can be fixed without rerunning.
fn describe(case: &Path, what: &str, grove: &str, bitbake: &Json) -> String {
    format!("{}: {what}: grove {grove}, bitbake {bitbake}", case.display())
}

/// Evaluates one case with grove and lists every disagreement with BitBake.
fn check(case: &Path) -> Vec<String> {
    let expected: Json = serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).expect("expected.json"))
        .expect("valid json");
    let session = Session::new(FsLoader::new([case.to_path_buf()])).with_search_path([case.to_path_buf()]);
    let evaluated = session.evaluate(&case.join("recipe.gr"), &Options::default());
    let bitbake_error = &expected["parse_error"];
    let store = match (evaluated, bitbake_error.is_null()) {
        (Ok(e), true) => e.store,
        (Err(_), false) => return Vec::new(),
        (Ok(_), false) => return vec![describe(case, "parse", "accepted the file", bitbake_error)],
        (Err(e), true) => return vec![describe(case, "parse", &format!("refused the file ({e})"), &Json::Null)],
    };
    let mut problems = Vec::new();
    let mut compare = |what: &str, got: Result<Option<grove_eval::Value>, grove_eval::ExpandError>, want: &Json| {
        let same = match (&got, want) {
            (Ok(Some(v)), Json::String(s)) => **v == **s,
            (Ok(None), Json::Null) => true,
            (Err(_), Json::Object(o)) => o.contains_key("error"),
            _ => false,
        };
        if !same {
            let shown = match &got {
                Ok(Some(v)) => format!("{:?}", &**v),
                Ok(None) => "unset".to_string(),
                Err(e) => format!("error ({e})"),
            };
            problems.push(describe(case, what, &shown, want));
        }
    };
    for (name, want) in expected["vars"].as_object().expect("vars") {
        compare(name, store.get(name), want);
    }
    for (key, want) in expected["flags"].as_object().expect("flags") {
        let (var, flag) = key.trim_end_matches(']').split_once('[').expect("VAR[flag]");
        compare(key, store.get_flag(var, flag), want);
    }
    problems
}

fn cases(set: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lang/differential").join(set);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    cases
}

/// A case where grove deliberately differs holds a file `grove-differs`
/// saying why (lang/semantics.md lists the differences). It must still
/// differ, so that the note cannot outlive the difference.
fn check_case(case: &Path) -> Vec<String> {
    let problems = check(case);
    if case.join("grove-differs").exists() {
        if problems.is_empty() {
            return vec![format!("{}: grove now agrees with BitBake; remove grove-differs", case.display())];
        }
        return Vec::new();
    }
    problems
}

fn run(set: &str, at_least: usize) {
    let cases = cases(set);
    assert!(cases.len() >= at_least, "expected at least {at_least} cases in lang/differential/{set}, found {}", cases.len());
    let problems: Vec<String> = cases.iter().flat_map(|c| check_case(c)).collect();
    assert!(
        problems.is_empty(),
        "{} disagreement(s) with BitBake in {} cases:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

#[test]
fn bitbake_agrees_on_the_manual_cases() {
    run("manual", 40);
}

#[test]
fn bitbake_agrees_on_the_generated_cases() {
    run("random", 300);
}
