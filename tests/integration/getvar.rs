//! The `grove getvar` contract (PRODUCT.md, "Interfaces that must stay
//! stable"): exit 0 with the value and one newline, exit 1 with nothing on
//! stdout, exit 2 with a diagnostic on stderr.

use crate::support::{Run, grove, write};

/// Writes `files` into a fresh directory and runs `grove getvar` there on
/// `recipe.gr`.
fn check(files: &[(&str, &str)], args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), files);
    let mut all = vec!["getvar", "--file", "recipe.gr"];
    all.extend(args);
    grove(dir.path(), &all)
}

#[test]
fn prints_the_value_and_exactly_one_newline() {
    let run = check(&[("recipe.gr", "A = \"  x  \"\n")], &["A"]);
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "  x  \n", ""));
    let run = check(&[("recipe.gr", "do_x() {\n    a\n    b\n}\n")], &["do_x"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "    a\n    b\n\n"));
    let run = check(&[("recipe.gr", "A = \"\"\n")], &["A"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "\n"));
}

#[test]
fn unset_is_exit_1_with_nothing_on_stdout() {
    let run = check(&[("recipe.gr", "A = \"1\"\n")], &["B"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    let run = check(&[("recipe.gr", "A = \"1\"\n")], &["A", "--flag", "doc"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    let run = check(&[("recipe.gr", "A = \"1\"\nunset A\n")], &["A", "--history"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    assert!(run.stderr.contains("del recipe.gr:2"), "{}", run.stderr);
}

#[test]
fn flags() {
    let run = check(&[("recipe.gr", "B = \"b\"\nA[doc] = \"about ${B}\"\n")], &["A", "--flag", "doc"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "about b\n"));
}

#[test]
fn bad_input_is_exit_2_with_file_line_and_column() {
    let run = check(&[("recipe.gr", "A = \"1\"\nB =: \"2\"\n")], &["A"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("recipe.gr:2:3"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `:=`?"), "{}", run.stderr);

    let run = check(&[("recipe.gr", "A = \"${B}\"\nB = \"${A}\"\n")], &["A"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("A → B → A"), "{}", run.stderr);

    let run = check(&[("other.gr", "")], &["A"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("recipe.gr"), "{}", run.stderr);
}

#[test]
fn a_value_that_fails_does_not_hide_the_others() {
    let files = [("recipe.gr", "A = \"${A}\"\nB = \"fine\"\n")];
    assert_eq!(check(&files, &["A"]).code, 2);
    assert_eq!(check(&files, &["B"]).stdout, "fine\n");
}

#[test]
fn not_utf8_is_a_diagnostic() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("recipe.gr"), b"A = \"\xff\"\n").expect("write");
    let run = grove(dir.path(), &["getvar", "--file", "recipe.gr", "A"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
}

#[test]
fn never_reads_outside_the_recipe_directory() {
    let outer = tempfile::tempdir().expect("tempdir");
    write(outer.path(), &[("secret.inc", "SECRET = \"leaked\"\n"), ("layer/recipe.gr", "include ../secret.inc\n")]);
    let run = grove(&outer.path().join("layer"), &["getvar", "--file", "recipe.gr", "SECRET"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("outside_layers"), "{}", run.stderr);

    // A symlink inside the directory that points out of it is just as outside.
    std::os::unix::fs::symlink(outer.path().join("secret.inc"), outer.path().join("layer/link.inc")).expect("symlink");
    std::fs::write(outer.path().join("layer/recipe.gr"), "require link.inc\n").expect("write");
    let run = grove(&outer.path().join("layer"), &["getvar", "--file", "recipe.gr", "SECRET"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("outside_layers"), "{}", run.stderr);
}

#[test]
fn history_shows_every_operation_with_file_and_line() {
    let files = [
        ("recipe.gr", "OVERRIDES = \"debug\"\nrequire flags.inc\nCFLAGS:append = \" -Wall\"\nCFLAGS:debug = \"-O0\"\n"),
        ("flags.inc", "CFLAGS ??= \"-O2\"\n"),
    ];
    let run = check(&files, &["CFLAGS", "--history"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = "#\n# $CFLAGS [3 operations]\n#   set (weak default) flags.inc:1\n#     \"-O2\"\n#   :append recipe.gr:3\n#     \" -Wall\"\n#   override[debug]:set recipe.gr:4\n#     \"-O0\"\n# pre-expansion value:\n#   \"-O0 -Wall\"\nCFLAGS=\"-O0 -Wall\"\n";
    assert_eq!(run.stdout, expected);
}

#[test]
fn json_output() {
    let run = check(&[("recipe.gr", "A = \"x\"\nA += \"y\"\n")], &["A", "--json", "--history"]);
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["value"], "x y");
    assert_eq!(v["history"][1]["op"], "append");
    assert_eq!(v["history"][1]["line"], 2);
    assert_eq!(v["history"][1]["file"], "recipe.gr");
}
