//! Evaluator tests. `eval` and `var` are the one entry point they share, so
//! the API can change without rewriting them.

use std::path::Path;

use crate::{DataStore, EvalError, MemLoader, Options, Session};

/// Evaluates `recipe` (at `/l/recipe.gr`) beside the given extra files.
fn eval_with(recipe: &str, files: &[(&str, &str)]) -> Result<DataStore, EvalError> {
    let mut loader = MemLoader::new().with("/l/recipe.gr", recipe);
    for (p, t) in files {
        loader.insert(Path::new("/l").join(p), t);
    }
    let session = Session::new(loader);
    session.evaluate(Path::new("/l/recipe.gr"), &Options::default()).map(|e| e.store)
}

fn eval(recipe: &str) -> DataStore {
    match eval_with(recipe, &[]) {
        Ok(d) => d,
        Err(e) => panic!("evaluation failed: {e:?}"),
    }
}

fn var(d: &DataStore, name: &str) -> Option<String> {
    d.get(name).expect("expands").map(|v| v.to_string())
}

fn flag(d: &DataStore, name: &str, flag: &str) -> Option<String> {
    d.get_flag(name, flag).expect("expands").map(|v| v.to_string())
}

#[test]
fn operators() {
    let d = eval("A = \"a\"\nA += \"b\"\nA =+ \"c\"\nA .= \"d\"\nA =. \"e\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("ec a bd"));
    let d = eval("A ?= \"1\"\nA ?= \"2\"\nB ??= \"1\"\nB ??= \"2\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("1"));
    assert_eq!(var(&d, "B").as_deref(), Some("2"));
    let d = eval("A ??= \"x\"\nA += \"y\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some(" y"));
    let d = eval("A ??= \"x\"\nA:append = \"y\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("xy"));
}

#[test]
fn lazy_and_immediate_expansion() {
    let d = eval("B = \"1\"\nA = \"${B}\"\nC := \"${B}\"\nB = \"2\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("2"));
    assert_eq!(var(&d, "C").as_deref(), Some("1"));
    let d = eval("A = \"B\"\nB = \"C\"\nC = \"done\"\nX = \"${${${A}}}\"\nY = \"${value_of_${A}}\"\nvalue_of_B = \"v\"\n");
    assert_eq!(var(&d, "X").as_deref(), Some("done"));
    assert_eq!(var(&d, "Y").as_deref(), Some("v"));
    let d = eval("A = \"${UNSET} $B ${B\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("${UNSET} $B ${B"));
}

#[test]
fn recursion_is_an_error_not_a_crash() {
    let d = eval("A = \"${B}\"\nB = \"${A}\"\nC = \"${C}\"\n");
    assert!(d.get("A").is_err());
    assert!(d.get("B").is_err());
    assert!(d.get("C").is_err());
    let chain = (0..1000).map(|i| format!("V{i} = \"${{V{}}}\"\n", i + 1)).collect::<String>();
    assert!(eval(&chain).get("V0").is_err());
}

#[test]
fn a_cycle_is_shown_where_it_closes() {
    let text = "T = \"${A}\"\nA = \"${B}\"\nB = \"${A}\"\nC = \"${C}\"\n";
    let d = eval(text);
    // The line (from 0) of the statement shown, and the variable named there.
    let shown = |var: &str| match d.locate(d.get(var).unwrap_err(), var) {
        EvalError::Expand { shown, at: Some(at), .. } => (text[..at.offset()].matches('\n').count(), shown.to_string()),
        e => panic!("{e:?}"),
    };
    // Read through `T`, the loop is still at `A`, where it closes.
    assert_eq!(shown("T"), (1, "A".to_string()));
    assert_eq!(shown("B"), (2, "B".to_string()));
    assert_eq!(shown("C"), (3, "C".to_string()));
    // Met while finalizing: a key holding `${...}`, and OVERRIDES.
    for text in ["X = \"1\"\nKA = \"${KB}\"\nKB = \"${KA}\"\nFOO_${KA} = \"1\"\n", "X = \"1\"\nMYO = \"${OVERRIDES}\"\nOVERRIDES .= \":${MYO}\"\n"] {
        match eval_with(text, &[]) {
            Err(EvalError::Expand { shown, at: Some(at), .. }) => {
                let line = text[..at.offset()].matches('\n').count();
                let statement = text.lines().nth(line).unwrap();
                assert!(statement.starts_with(&format!("{shown} ")), "{shown} is not set by {statement}");
                assert!(!statement.starts_with("FOO_"), "{statement}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn overrides_and_conditional_operations() {
    let d = eval("OVERRIDES = \"a:b\"\nA = \"base\"\nA:a = \"a\"\nA:b = \"b\"\nA:append = \" app\"\nA:append:c = \" no\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("b app"));
    let d = eval("OVERRIDES = \"foo\"\nA = \"a\"\nA:foo:append = \"x\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("x"));
    let d = eval("A = \"a b c b\"\nA:remove = \"b\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("a  c "));
    let d = eval("OVERRIDES = \"foo\"\nA:foo = \"x\"\nunset A\nA = \"y\"\n");
    assert_eq!(var(&d, "A").as_deref(), Some("y"));
}

#[test]
fn flags_export_unset() {
    let d = eval("A = \"1\"\nA[doc] ??= \"w\"\nA[doc] += \"z\"\nexport B = \"v\"\nexport C\nD[x] = \"1\"\nunset D[x]\n");
    assert_eq!(flag(&d, "A", "doc").as_deref(), Some(" z"));
    assert_eq!(flag(&d, "B", "export").as_deref(), Some("1"));
    assert_eq!(flag(&d, "C", "export").as_deref(), Some("1"));
    assert_eq!(var(&d, "C"), None);
    assert_eq!(flag(&d, "D", "x"), None);
}

#[test]
fn functions_classes_and_export_functions() {
    let class = "foo_do_build() {\n    make\n}\nEXPORT_FUNCTIONS do_build\nFOO = \"1\"\n";
    let d = eval_with("inherit foo\ninherit foo\ndo_x() {\n  echo hi  \n}\ndo_x:append() {\n  more\n}\n", &[("classes/foo.grclass", class)]).unwrap();
    assert_eq!(var(&d, "do_x").as_deref(), Some("  echo hi\n  more\n"));
    assert_eq!(flag(&d, "do_x", "func").as_deref(), Some("1"));
    assert_eq!(var(&d, "do_build").as_deref(), Some("    # Export function set\n    foo_do_build\n"));
    assert_eq!(var(&d, "FOO").as_deref(), Some("1"));
}

#[test]
fn includes() {
    let d = eval_with("include missing.inc\nrequire a.inc\nB = \"${A}\"\n", &[("a.inc", "A = \"from a\"\n")]).unwrap();
    assert_eq!(var(&d, "B").as_deref(), Some("from a"));
    assert!(matches!(eval_with("require nope.inc\n", &[]), Err(EvalError::MissingRequire { .. })));
    assert!(matches!(
        eval_with("require a.inc\n", &[("a.inc", "require b.inc\n"), ("b.inc", "require a.inc\n")]),
        Err(EvalError::IncludeCycle { .. })
    ));
    assert!(matches!(eval_with("inherit autotool\n", &[]), Err(EvalError::MissingClass { .. })));
}

#[test]
fn keys_are_expanded_at_the_end() {
    let d = eval("P = \"B\"\n${P}_X = \"v\"\n");
    assert_eq!(var(&d, "B_X").as_deref(), Some("v"));
}

#[test]
fn the_standard_library_evaluates() {
    let d = eval("PN = \"hello\"\nPV = \"2.10\"\ninherit base autotools\n");
    assert!(var(&d, "do_configure").unwrap().contains("autotools_do_configure"));
    assert!(var(&d, "autotools_do_configure").unwrap().contains("--prefix=/usr"));
    assert_eq!(var(&d, "S").as_deref(), Some("/build/hello-2.10"));
}

/// Recipes found by fuzzing that stay under each per-value limit yet would
/// multiply work or memory; each must end in an error, quickly.
#[test]
fn hostile_recipes_are_bounded() {
    use crate::ExpandErrorKind;

    // `:=` doubling a value at every line.
    let doubling: String = std::iter::once("A0 := \"xxxxxxxxxxxxxxxx\"\n".to_string())
        .chain((1..40).map(|i| format!("A{i} := \"${{A{}}}${{A{}}}\"\n", i - 1, i - 1)))
        .collect();
    assert!(eval_with(&doubling, &[]).is_err());

    // Files included 32 times over, four deep, appending at the bottom.
    let fan = |inc: &str| (0..32).map(|_| format!("include {inc}\n")).collect::<String>();
    let files = [("a.inc", fan("b.inc")), ("b.inc", fan("c.inc")), ("c.inc", fan("d.inc")), ("d.inc", "A += \"0123456789\"\n".into())];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    assert!(matches!(eval_with(&fan("a.inc"), &files), Err(EvalError::TooMuchData { .. } | EvalError::TooManyStatements { .. })));

    // Many variables each expanding to the same 16 MiB value.
    let mut big: String = std::iter::once("A0 = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n".to_string())
        .chain((1..20).map(|i| format!("A{i} = \"${{A{}}}${{A{}}}\"\n", i - 1, i - 1)))
        .collect();
    big.extend((0..64).map(|i| format!("B{i} = \"x${{A19}}\"\n")));
    let d = eval(&big);
    let errors = (0..64).filter_map(|i| d.get(&format!("B{i}")).err()).collect::<Vec<_>>();
    assert!(errors.iter().any(|e| matches!(e.kind, ExpandErrorKind::TooMuchExpansion { .. } | ExpandErrorKind::TooLarge { .. })));

    // An OVERRIDES of millions of entries.
    let mut overrides: String = std::iter::once(format!("O0 = \"{}\"\n", "a:".repeat(32)))
        .chain((1..18).map(|i| format!("O{i} = \"${{O{}}}${{O{}}}\"\n", i - 1, i - 1)))
        .collect();
    overrides.push_str("OVERRIDES = \"${O17}\"\n");
    assert!(matches!(eval_with(&overrides, &[]), Err(EvalError::Expand { .. })));
}

#[test]
fn unexpanded_reads_do_not_expand_the_variable() {
    // BitBake's getVar(name, False) does not expand: a function may replace
    // a value that would not expand.
    let d = eval("do_x = \"${do_x}\"\ndo_x() {\n    echo\n}\n");
    assert_eq!(var(&d, "do_x").as_deref(), Some("    echo\n"));
}

#[test]
fn the_file_loader_never_reads_through_a_symlink_out_of_its_roots() {
    use crate::{FsLoader, LoadError, Loader, Probe};
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "s").unwrap();
    std::fs::write(root.path().join("inside.gr"), "A = \"1\"\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("link.gr")).unwrap();
    let loader = FsLoader::new([root.path().to_path_buf()]);
    let real = root.path().canonicalize().unwrap();
    // The fast path: a probed, canonical path.
    let Probe::File(inside) = loader.probe(&real.join("inside.gr")) else { panic!("inside.gr is there") };
    assert_eq!(loader.read_bytes(&inside).unwrap(), b"A = \"1\"\n");
    // A symlink out, probed or read directly, is refused either way.
    assert!(matches!(loader.probe(&real.join("link.gr")), Probe::Forbidden(_)));
    assert_eq!(loader.read_bytes(&real.join("link.gr")), Err(LoadError::Forbidden));
    // A file that became a symlink after it was probed is not followed.
    std::fs::remove_file(&inside).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), &inside).unwrap();
    assert_eq!(loader.read_bytes(&inside), Err(LoadError::Forbidden));
}

#[test]
fn a_root_is_a_whole_directory_not_a_prefix_of_names() {
    use crate::{FsLoader, LoadError, Loader, Probe};
    let top = tempfile::tempdir().unwrap();
    let top = top.path().canonicalize().unwrap();
    let (root, sibling) = (top.join("layer"), top.join("layer-private"));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&sibling).unwrap();
    std::fs::write(root.join("a.inc"), "A = \"1\"\n").unwrap();
    std::fs::write(sibling.join("secret.inc"), "S = \"1\"\n").unwrap();
    let loader = FsLoader::new([root.clone()]);
    assert_eq!(loader.probe(&root.join("a.inc")), Probe::File(root.join("a.inc")));
    // `layer-private` starts with the bytes of `layer`, but is not in it.
    assert!(matches!(loader.probe(&sibling.join("secret.inc")), Probe::Forbidden(_)));
    assert_eq!(loader.read_bytes(&sibling.join("secret.inc")), Err(LoadError::Forbidden));
    // Nor is a path that climbs out with `..`, however it is spelled.
    let climbing = root.join("../layer-private/secret.inc");
    assert!(matches!(loader.probe(&climbing), Probe::Forbidden(_)));
    assert_eq!(loader.read_bytes(&climbing), Err(LoadError::Forbidden));
}

#[test]
fn a_listing_answers_for_its_directories_and_defers_the_rest() {
    use std::ffi::OsStr;
    use std::sync::Arc;

    use crate::{FsLoader, Kind, Listing, Loader, Probe};
    let root = tempfile::tempdir().unwrap();
    let real = root.path().canonicalize().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "s").unwrap();
    std::fs::create_dir(real.join("sub")).unwrap();
    std::fs::write(real.join("a.inc"), "A = \"1\"\n").unwrap();
    std::fs::write(real.join("sub/b.inc"), "B = \"1\"\n").unwrap();
    std::os::unix::fs::symlink(real.join("a.inc"), real.join("alias.inc")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), real.join("out.inc")).unwrap();
    let mut listing = Listing::default();
    let top = [("sub", Kind::Dir), ("out.inc", Kind::Other), ("a.inc", Kind::File), ("alias.inc", Kind::Other)];
    listing.add_dir(&real, top.map(|(n, k)| (OsStr::new(n), k)));
    let sub = listing.add_dir(&real.join("sub"), [(OsStr::new("b.inc"), Kind::File)]);
    // Each entry has an index, in name order within its directory.
    assert_eq!(listing.entry(&real.join("sub/b.inc")), Some(sub));
    assert_eq!(listing.entry(&real.join("a.inc")), Some(0));
    assert_eq!(listing.entry(&real.join("sub")).map(|i| listing.kind(i)), Some(Kind::Dir));
    assert_eq!(listing.entry(&real.join("sub/none.inc")), None);
    let loader = FsLoader::new([real.clone()]).with_listing(Arc::new(listing));

    assert_eq!(loader.probe(&real.join("sub/b.inc")), Probe::File(real.join("sub/b.inc")));
    assert_eq!(loader.read_bytes(&real.join("sub/b.inc")).unwrap(), b"B = \"1\"\n");
    // Symlinks are looked up for real: followed inside, refused out.
    assert_eq!(loader.probe(&real.join("alias.inc")), Probe::File(real.join("a.inc")));
    assert!(matches!(loader.probe(&real.join("out.inc")), Probe::Forbidden(_)));
    // What the listing does not have is not there, in a file or in a
    // directory that does not exist.
    std::fs::write(real.join("late.inc"), "").unwrap();
    assert_eq!(loader.probe(&real.join("late.inc")), Probe::Missing);
    assert_eq!(loader.probe(&real.join("nodir/c.inc")), Probe::Missing);
    // Dot files are never listed: the file system answers.
    std::fs::write(real.join(".hidden.inc"), "").unwrap();
    assert_eq!(loader.probe(&real.join(".hidden.inc")), Probe::File(real.join(".hidden.inc")));
}

#[test]
fn a_detached_store_reads_the_same_and_shares_no_value() {
    let d = eval(
        "A = \"${B} a\"\nB ??= \"b\"\nA:append:x = \" more\"\nOVERRIDES = \"x\"\nC:x = \"cx\"\nA[doc] = \"flag\"\ndo_t() {\n    echo\n}\naddtask t\n",
    );
    let copy = d.detached();
    for name in ["A", "B", "C", "do_t", "OVERRIDES"] {
        assert_eq!(var(&copy, name), var(&d, name), "{name}");
    }
    assert_eq!(flag(&copy, "A", "doc"), flag(&d, "A", "doc"));
    assert_eq!(copy.tasks(), d.tasks());
    let raw = |s: &DataStore| s.get_raw("A").expect("A is set");
    assert!(!std::sync::Arc::ptr_eq(&raw(&copy), &raw(&d)), "values are copied, not shared");
}

#[test]
fn parent_dir_is_path_parent() {
    use crate::loader::parent_dir;
    let paths = [
        "", "/", ".", "..", "a", "/a", "a/b", "/a/b/c.gr", "./a", "a/.", "/.", "/..", "a/..", "a//b", "a/b/", "a/./b", "/a/./b", "./.", "é/ü",
    ];
    for p in paths {
        assert_eq!(parent_dir(Path::new(p)), Path::new(p).parent(), "{p:?}");
    }
}
