//! Layers, appends, configurations and version choice, through
//! `grove getvar -r`.

use std::path::Path;

use crate::support::{grove, write};

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace")
}

#[test]
fn a_recipe_is_evaluated_on_the_configuration_with_its_appends() {
    let dir = example();
    // PN and PV come from the file name; the core layer's recipe sets neither.
    let run = grove(&dir, &["getvar", "-r", "hello", "BP"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "hello-2.10\n"), "{}", run.stderr);
    // The custom layer's hello_%.grappend removes --disable-nls.
    let run = grove(&dir, &["getvar", "-r", "hello", "EXTRA_OECONF"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "\n"), "{}", run.stderr);
    // The workspace file's settings and grove's defaults are there; base is inherited.
    assert_eq!(grove(&dir, &["getvar", "-r", "hello", "VERSION"]).stdout, "3.2\n");
    assert_eq!(grove(&dir, &["getvar", "-r", "hello", "do_install", "--flag", "deps"]).stdout, "do_compile\n");
}

#[test]
fn configuration_axes_feed_overrides() {
    let dir = example();
    let run = grove(&dir, &["getvar", "-r", "hello", "EXTRA_OECONF", "--flavor", "debug"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, " CFLAGS='-O0 -g'\n"), "{}", run.stderr);
    let run = grove(&dir, &["getvar", "-r", "hello", "OVERRIDES", "--arch", "aarch64", "--kind", "sdk"]);
    assert_eq!(run.stdout, "aarch64:sdk:opt:pn-hello:forcevariable\n");
    // The command line wins over an assignment in grove.conf.
    let run = grove(&dir, &["getvar", "-r", "hello", "DISTRO", "--set", "DISTRO=mine"]);
    assert_eq!(run.stdout, "mine\n");
}

#[test]
fn versions_are_chosen_by_preference_then_priority_then_version() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, &[
        ("grove.conf", "LAYERS = \"a b\"\n"),
        ("a/conf/layer.conf", "LAYER_NAME = \"a\"\nLAYER_PRIORITY = \"1\"\n"),
        ("a/recipes/x/zlib_1.2.13.gr", "SUMMARY = \"old\"\n"),
        ("a/recipes/x/zlib_1.3~rc1.gr", "SUMMARY = \"candidate\"\n"),
        ("a/recipes/x/zlib_1.10.gr", "SUMMARY = \"newest\"\n"),
        ("b/conf/layer.conf", "LAYER_NAME = \"b\"\nLAYER_PRIORITY = \"0\"\n"),
        ("b/recipes/x/zlib_9.0.gr", "SUMMARY = \"lower priority layer\"\n"),
    ]);
    let run = grove(root, &["getvar", "-r", "zlib", "SUMMARY"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "newest\n"), "{}", run.stderr);
    let run = grove(root, &["getvar", "-r", "zlib", "PV", "--set", "PREFERRED_VERSION_zlib=1.3%"]);
    assert_eq!(run.stdout, "1.3~rc1\n");
    let run = grove(root, &["getvar", "-r", "zlib", "PV", "--set", "PREFERRED_VERSION_zlib=2.0"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("PREFERRED_VERSION_zlib is `2.0`"), "{}", run.stderr);
}

#[test]
fn layer_and_recipe_mistakes_are_diagnosed() {
    let dir = example();
    let run = grove(&dir, &["getvar", "-r", "helo", "PV"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no recipe provides `helo`") && run.stderr.contains("did you mean `hello`?"), "{}", run.stderr);

    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &[
        ("grove.conf", "LAYERS = \"a\"\n"),
        ("a/conf/layer.conf", "LAYER_NAME = \"a\"\nLAYER_DEPENDS = \"core\"\n"),
    ]);
    let run = grove(tmp.path(), &["getvar", "-r", "x", "PV"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("layer `a` needs layer `core`"), "{}", run.stderr);

    // A syntax error in a layer file points at the file and line.
    write(tmp.path(), &[
        ("grove.conf", "LAYERS = \"b\"\n"),
        ("b/conf/layer.conf", "LAYER_NAME = \"b\"\n"),
        ("b/recipes/x/bad_1.0.gr", "A = \"1\"\nB =: \"2\"\n"),
    ]);
    let run = grove(tmp.path(), &["getvar", "-r", "bad", "A"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad_1.0.gr:2"), "{}", run.stderr);

    // A layer that is not there: the directory beside it whose name is close.
    write(tmp.path(), &[("grove.conf", "LAYERS = \"./bb\"\n")]);
    let run = grove(tmp.path(), &["eval"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("layer ./bb listed in grove.conf does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `./b`?"), "{}", run.stderr);
    write(tmp.path(), &[("grove.conf", "LAYERS = \"elsewhere\"\n")]);
    let run = grove(tmp.path(), &["eval"]);
    assert!(run.stderr.contains("LAYERS paths are relative to grove.conf"), "{}", run.stderr);
    let run = grove(tmp.path(), &["eval", "--workspace", "nope.conf"]);
    assert!(run.stderr.contains("workspace file nope.conf does not exist"), "{}", run.stderr);
    let run = grove(tmp.path(), &["eval", "--workspace", "a"]);
    assert!(run.stderr.contains("workspace file a is not a file"), "{}", run.stderr);
    // The same with --layer, and a directory of layers given for a layer.
    write(tmp.path(), &[("grove.conf", "LAYERS = \"\"\n")]);
    let run = grove(tmp.path(), &["eval", "--layer", "bb"]);
    assert!(run.stderr.contains("layer bb given with --layer does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `b`?"), "{}", run.stderr);
    let run = grove(tmp.path().parent().unwrap(), &["eval", "--layer", &tmp.path().display().to_string()]);
    assert!(run.stderr.contains("is not a layer: it has no conf/layer.conf"), "{}", run.stderr);
    assert!(run.stderr.contains("it holds the layers a, b: give each of them"), "{}", run.stderr);
}
