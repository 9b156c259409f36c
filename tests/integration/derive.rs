//! Derivations and their hashes, the graph, providers and the control
//! lists, through `grove eval`, `show`, `graph` and `why`.
//!
//! The hash tests follow one pattern: derive a small workspace, change one
//! thing, derive again, and say whether the hash must move.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{Run, grove, write};

const CONF: &str = "LAYERS = \"layer\"\n";
const LAYER: &str = "LAYER_NAME = \"main\"\nLAYER_PRIORITY = \"1\"\n";
const ZLIB: &str = "\
# zlib
SUMMARY = \"compression\"
SRC_URI = \"file://zlib.tar\"
inherit make
";
const APP: &str = "\
SUMMARY = \"an application\"
HOMEPAGE = \"https://example.org\"
DEPENDS = \"zlib\"
SRC_URI = \"https://example.org/app-${PV}.tar.gz;sha256sum=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"
export CFLAGS = \"-O2\"
EXTRA = \"--with-zlib\"
do_configure() {
    ./configure ${EXTRA}
}
inherit make
";

/// A workspace with zlib and app (which needs zlib).
fn workspace(root: &Path) {
    write(
        root,
        &[
            ("grove.conf", CONF),
            ("layer/conf/layer.conf", LAYER),
            ("layer/recipes/libs/zlib_1.3.gr", ZLIB),
            ("layer/recipes/libs/files/zlib.tar", "zlib sources"),
            ("layer/recipes/apps/app_1.0.gr", APP),
        ],
    );
}

fn eval(root: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["eval", "--json"];
    args.extend_from_slice(extra);
    grove(root, &args)
}

/// Every recipe's derivation hash in a successful `grove eval --json`.
fn hashes_of(run: &Run) -> BTreeMap<String, String> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    v["configurations"][0]["derivations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap().to_string(), d["hash"].as_str().unwrap_or("skipped").to_string()))
        .collect()
}

/// Every recipe's derivation hash in the workspace at `root`.
fn hashes(root: &Path) -> BTreeMap<String, String> {
    hashes_of(&eval(root, &[]))
}

/// Derives the workspace, applies `change`, derives again.
fn before_after(change: impl FnOnce(&Path)) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    let before = hashes(tmp.path());
    change(tmp.path());
    (before, hashes(tmp.path()))
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

const APP_FILE: &str = "layer/recipes/apps/app_1.0.gr";

/// A named edit of a workspace.
type Change = (&'static str, Box<dyn FnOnce(&Path)>);

#[test]
fn what_a_build_cannot_observe_leaves_the_hash_alone() {
    let changes: Vec<Change> = vec![
        ("a comment", Box::new(|r| edit(r, APP_FILE, "SUMMARY", "# a new comment\nSUMMARY"))),
        ("blank lines and spacing", Box::new(|r| edit(r, APP_FILE, "EXTRA = ", "\n\nEXTRA   =   "))),
        ("SUMMARY", Box::new(|r| edit(r, APP_FILE, "an application", "the application"))),
        ("HOMEPAGE", Box::new(|r| edit(r, APP_FILE, "https://example.org\"", "https://example.com\""))),
        ("DESCRIPTION", Box::new(|r| edit(r, APP_FILE, "SUMMARY", "DESCRIPTION = \"long text\"\nSUMMARY"))),
        ("an unreferenced variable", Box::new(|r| edit(r, APP_FILE, "SUMMARY", "UNUSED = \"x\"\nSUMMARY"))),
        ("the download URL (the checksum names it)", Box::new(|r| edit(r, APP_FILE, "example.org/app", "mirror.example/app"))),
        ("a weak default that loses", Box::new(|r| edit(r, APP_FILE, "EXTRA = ", "EXTRA ??= \"other\"\nEXTRA = "))),
    ];
    for (what, change) in changes {
        let (before, after) = before_after(change);
        assert_eq!(before, after, "changing {what} changed a hash");
    }
}

#[test]
fn what_a_build_can_observe_changes_the_hash_and_what_needs_it() {
    let app_only: Vec<Change> = vec![
        ("a task body", Box::new(|r| edit(r, APP_FILE, "./configure", "./configure --verbose"))),
        ("a variable a task references", Box::new(|r| edit(r, APP_FILE, "--with-zlib", "--without-zlib"))),
        ("an exported variable", Box::new(|r| edit(r, APP_FILE, "-O2", "-O3"))),
        ("a task flag", Box::new(|r| edit(r, APP_FILE, "inherit make", "inherit make\ndo_compile[dirs] = \"/build/x\""))),
        ("a pinned checksum", Box::new(|r| edit(r, APP_FILE, "sha256sum=a", "sha256sum=b"))),
        ("the version", Box::new(|r| fs::rename(r.join(APP_FILE), r.join("layer/recipes/apps/app_1.1.gr")).unwrap())),
        ("a forced rebuild", Box::new(|r| edit(r, "grove.conf", "LAYERS", "FORCE_REBUILD[app] = \"2026-11-23\"\nLAYERS"))),
        ("the architecture", Box::new(|r| edit(r, "grove.conf", "LAYERS", "ARCH = \"aarch64\"\nLAYERS"))),
    ];
    for (what, change) in app_only {
        let (before, after) = before_after(change);
        assert_ne!(before["app"], after["app"], "changing {what} left app's hash alone");
        if what != "the architecture" {
            assert_eq!(before["zlib"], after["zlib"], "changing {what} changed zlib's hash");
        }
    }
    // A dependency's change reaches what needs it.
    let (before, after) = before_after(|r| fs::write(r.join("layer/recipes/libs/files/zlib.tar"), "new sources").unwrap());
    assert_ne!(before["zlib"], after["zlib"]);
    assert_ne!(before["app"], after["app"], "app did not notice that zlib changed");
}

#[test]
fn hashes_do_not_depend_on_where_the_checkout_is_or_file_order() {
    let one = tempfile::tempdir().unwrap();
    workspace(one.path());
    // The same files, created in the opposite order, at a longer path.
    let two = tempfile::tempdir().unwrap();
    let deep = two.path().join("some/where/else");
    write(
        &deep,
        &[
            ("layer/recipes/apps/app_1.0.gr", APP),
            ("layer/recipes/libs/files/zlib.tar", "zlib sources"),
            ("layer/recipes/libs/zlib_1.3.gr", ZLIB),
            ("layer/conf/layer.conf", LAYER),
            ("grove.conf", CONF),
        ],
    );
    assert_eq!(hashes(one.path()), hashes(&deep));
}

#[test]
fn a_host_path_in_a_task_is_refused() {
    // `eval` of the example workspace with `from` in the recipe made `to`.
    let refused = |from: &str, to: &str| {
        let tmp = tempfile::tempdir().unwrap();
        workspace(tmp.path());
        edit(tmp.path(), APP_FILE, from, to);
        let run = eval(tmp.path(), &[]);
        assert_eq!(run.code, 2);
        run
    };
    let run = refused("./configure ${EXTRA}", "cp ${FILE} .");
    assert!(run.stderr.contains("do_configure contains the host path"), "{}", run.stderr);
    assert!(run.stderr.contains("file:// in SRC_URI"), "{}", run.stderr);

    // Anywhere else in what is hashed, too, named with where it was set.
    let run = refused("inherit make", "inherit make\nRDEPENDS = \"${FILE}\"");
    assert!(run.stderr.contains("the runtime dependency") && run.stderr.contains("contains the host path"), "{}", run.stderr);
    assert!(run.stderr.contains(APP_FILE), "{}", run.stderr);

    // Run from above the workspace: the place is relative, the host path
    // whole (made relative, it named a path that is not in the build).
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    workspace(&ws);
    edit(&ws, APP_FILE, "./configure ${EXTRA}", "cp ${FILE} .");
    let run = grove(tmp.path(), &["eval", "--workspace", "ws/grove.conf"]);
    let host = ws.canonicalize().unwrap();
    let whole = format!("x ws/{APP_FILE}:");
    assert!(run.stderr.contains(&whole), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("contains the host path {}\n", host.display())), "{}", run.stderr);
}

#[test]
fn files_beside_an_append_shadow_the_recipes_own() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    let before = hashes(root);
    write(
        root,
        &[
            ("grove.conf", "LAYERS = \"layer custom\"\n"),
            ("custom/conf/layer.conf", "LAYER_NAME = \"custom\"\nLAYER_PRIORITY = \"9\"\n"),
            ("custom/recipes/libs/zlib_%.grappend", "# only brings a file\n"),
        ],
    );
    assert_eq!(before, hashes(root), "an append that changes nothing changed a hash");
    write(root, &[("custom/recipes/libs/files/zlib.tar", "patched sources")]);
    let after = hashes(root);
    assert_ne!(before["zlib"], after["zlib"]);
    let run = grove(root, &["show", "zlib"]);
    assert!(run.stdout.contains("from custom/recipes/libs/files/zlib.tar"), "{}", run.stdout);
    // Functions as they would be written: the body from the next line.
    let run = grove(root, &["show", "zlib", "--functions"]);
    assert!(run.stdout.contains("\nmake_do_compile() {\n    oe_runmake\n}\n"), "{}", run.stdout);
    // A body an `:append` ends without a newline still closes on its own line.
    write(root, &[("custom/recipes/libs/zlib_%.grappend", "do_install:append() {\n    touch ${D}/x\n}\ndo_install:append = \"echo y\"\n")]);
    let run = grove(root, &["show", "zlib", "--functions"]);
    assert!(run.stdout.contains("    touch /build/image/x\necho y\n}\n"), "{}", run.stdout);
}

#[test]
fn sources_must_be_pinned_and_stay_inside_the_layers() {
    let cases = [
        ("SRC_URI = \"https://example.org/x.tar.gz\"", "must pin its SHA-256"),
        ("SRC_URI = \"git://example.org/x.git;branch=main\"", "must pin a commit"),
        ("SRC_URI = \"file://../../../../etc/passwd\"", "relative path inside the layer"),
        ("SRC_URI = \"file://missing.patch\"", "no file `missing.patch` was found"),
        // A typo: the file beside it with the closest name.
        ("SRC_URI = \"file://zlib.tra\"", "did you mean `zlib.tar`? (looked in: "),
    ];
    for (line, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        workspace(tmp.path());
        write(tmp.path(), &[("layer/recipes/libs/bad_1.0.gr", line)]);
        let run = eval(tmp.path(), &[]);
        assert_eq!(run.code, 2, "{line}");
        assert!(run.stderr.contains(expected), "{line}: {}", run.stderr);
        // Where, relative to the workspace grove runs in.
        assert!(run.stderr.contains("x layer/recipes/libs/bad_1.0.gr:1:1: source"), "{}", run.stderr);
    }
}

#[test]
fn cycles_are_reported_with_their_whole_path() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    write(
        tmp.path(),
        &[
            ("layer/recipes/a/a_1.gr", "DEPENDS = \"b\"\n"),
            ("layer/recipes/a/b_1.gr", "DEPENDS = \"c\"\n"),
            ("layer/recipes/a/c_1.gr", "DEPENDS = \"a zlib\"\n"),
        ],
    );
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("dependency cycle: a -> b -> c -> a"), "{}", run.stderr);
    // Each step at the statement that names the next recipe.
    for step in [
        "layer/recipes/a/a_1.gr:1:1: DEPENDS of a names `b`",
        "layer/recipes/a/b_1.gr:1:1: DEPENDS of b names `c`",
        "layer/recipes/a/c_1.gr:1:1: DEPENDS of c names `a`",
    ] {
        assert!(run.stderr.contains(step), "{step}: {}", run.stderr);
    }
    // A runtime cycle is no error: packages may need each other at run time.
    write(
        tmp.path(),
        &[
            ("layer/recipes/a/a_1.gr", "RDEPENDS = \"b\"\n"),
            ("layer/recipes/a/b_1.gr", "RDEPENDS = \"a\"\n"),
            ("layer/recipes/a/c_1.gr", "\n"),
        ],
    );
    assert_eq!(eval(tmp.path(), &[]).code, 0);
    // A recipe that needs itself, below a recipe that needs it.
    write(
        tmp.path(),
        &[("layer/recipes/a/b_1.gr", "DEPENDS = \"b\"\n"), ("layer/recipes/a/c_1.gr", "DEPENDS = \"b\"\n")],
    );
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("dependency cycle: b -> b"), "{}", run.stderr);
    // A step added by an append, through a provided name, is shown there.
    write(
        tmp.path(),
        &[
            ("layer/recipes/a/b_1.gr", "PROVIDES = \"virtual/b\"\nDEPENDS = \"c\"\n"),
            ("layer/recipes/a/c_1.gr", "SUMMARY = \"c\"\nDEPENDS = \"zlib\"\nDEPENDS:append = \" virtual/b\"\n"),
        ],
    );
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("dependency cycle: b -> c -> b"), "{}", run.stderr);
    assert!(run.stderr.contains("layer/recipes/a/c_1.gr:3:1: DEPENDS of c names `virtual/b`"), "{}", run.stderr);
    // The name that resolved to the next recipe, not another it provides.
    write(
        tmp.path(),
        &[
            ("grove.conf", "LAYERS = \"layer\"\nPREFERRED_PROVIDER_virtual/b = \"zlib\"\n"),
            ("layer/recipes/libs/zlib_1.3.gr", "PROVIDES = \"virtual/b\"\n"),
            ("layer/recipes/a/c_1.gr", "DEPENDS = \"virtual/b b\"\n"),
        ],
    );
    let run = eval(tmp.path(), &[]);
    assert!(run.stderr.contains("dependency cycle: b -> c -> b"), "{}", run.stderr);
    assert!(run.stderr.contains("layer/recipes/a/c_1.gr:1:1: DEPENDS of c names `b`"), "{}", run.stderr);
}

#[test]
fn a_missing_dependency_names_who_wanted_it_and_suggests() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    edit(tmp.path(), APP_FILE, "DEPENDS = \"zlib\"", "DEPENDS = \"zlibb\"");
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 2);
    // Where the variable that named it was set, and whose it is.
    assert!(run.stderr.contains("app_1.0.gr:3:1: no recipe provides `zlibb` (DEPENDS of app)"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `zlib`?"), "{}", run.stderr);
    edit(tmp.path(), APP_FILE, "DEPENDS = \"zlibb\"", "DEPENDS = \"zlib\"\nRDEPENDS:append = \" zlib-tools\"");
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 2);
    // Added by an `:append`: that statement, not the one that set the
    // variable (which does not name it).
    assert!(run.stderr.contains("layer/recipes/apps/app_1.0.gr:4:1: no recipe provides `zlib-tools` (RDEPENDS of app)"), "{}", run.stderr);
    edit(tmp.path(), APP_FILE, "RDEPENDS:append = \" zlib-tools\"", "RDEPENDS = \"zlib\"\nRDEPENDS:append = \" zlib-tools\"");
    let run = eval(tmp.path(), &[]);
    assert!(run.stderr.contains("layer/recipes/apps/app_1.0.gr:5:1: no recipe provides `zlib-tools` (RDEPENDS of app)"), "{}", run.stderr);
    // Named through `${...}`: no statement names it; the recipe's file.
    edit(tmp.path(), APP_FILE, "RDEPENDS:append = \" zlib-tools\"", "TOOLS = \"zlib-tools\"\nRDEPENDS:append = \" ${TOOLS}\"");
    let run = eval(tmp.path(), &[]);
    assert!(run.stderr.contains("layer/recipes/apps/app_1.0.gr: no recipe provides `zlib-tools` (RDEPENDS of app)"), "{}", run.stderr);
}

#[test]
fn a_missing_dependency_the_configuration_gives_every_recipe_is_one_error() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    write(tmp.path(), &[("grove.conf", "LAYERS = \"layer\"\nDEPENDS:append = \" nothere\"\n")]);
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 2);
    // One statement, one error, with every recipe it failed.
    assert_eq!(run.stderr.matches("no recipe provides").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("grove.conf:2:1: no recipe provides `nothere` (DEPENDS of app, zlib)"), "{}", run.stderr);
    // A recipe's own statement stays its own error.
    edit(tmp.path(), APP_FILE, "DEPENDS = \"zlib\"", "DEPENDS = \"zlib nothere\"");
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.stderr.matches("no recipe provides").count(), 2, "{}", run.stderr);
    assert!(run.stderr.contains("app_1.0.gr:3:1: no recipe provides `nothere` (DEPENDS of app)"), "{}", run.stderr);
    assert!(run.stderr.contains("grove.conf:2:1: no recipe provides `nothere` (DEPENDS of zlib)"), "{}", run.stderr);
}

#[test]
fn virtual_providers_need_a_preference_when_several_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(
        root,
        &[
            ("layer/recipes/libc/glibc_2.36.gr", "PROVIDES = \"virtual/libc\"\n"),
            ("layer/recipes/libc/musl_1.2.gr", "PROVIDES = \"virtual/libc\"\n"),
            ("layer/recipes/apps/tool_1.gr", "DEPENDS = \"virtual/libc\"\n"),
        ],
    );
    let run = eval(root, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`virtual/libc` is provided by several recipes: glibc, musl (needed by tool)"), "{}", run.stderr);
    assert!(run.stderr.contains("PREFERRED_PROVIDER_virtual/libc"), "{}", run.stderr);

    // Reported once, however many recipes need the name.
    let more: Vec<(String, String)> =
        (1..=7).map(|i| (format!("layer/recipes/apps/tool{i}_1.gr"), "DEPENDS = \"virtual/libc\"\nRDEPENDS = \"virtual/libc\"\n".to_string())).collect();
    let more_refs: Vec<(&str, &str)> = more.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    write(root, &more_refs);
    let run = eval(root, &[]);
    assert_eq!(run.stderr.matches("is provided by several recipes").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("(needed by tool1, tool2, tool3, tool4, tool5 and 3 more)"), "{}", run.stderr);
    let run = eval(root, &["--set", "PREFERRED_PROVIDER_virtual/libc=zlib"]);
    assert_eq!(run.stderr.matches("which does not provide").count(), 1, "{}", run.stderr);
    for (path, _) in &more {
        std::fs::remove_file(root.join(path)).unwrap();
    }

    let run = grove(root, &["why", "tool", "musl", "--set", "PREFERRED_PROVIDER_virtual/libc=musl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = grove(root, &["why", "tool", "glibc", "--set", "PREFERRED_PROVIDER_virtual/libc=musl"]);
    assert_eq!(run.code, 1, "{}", run.stdout);

    let run = eval(root, &["--set", "PREFERRED_PROVIDER_virtual/libc=zlib"]);
    assert!(run.stderr.contains("  x PREFERRED_PROVIDER_virtual/libc is `zlib`, which does not provide"), "{}", run.stderr);
    assert!(run.stderr.contains("glibc, musl"), "{}", run.stderr);
    write(root, &[("grove.conf", "LAYERS = \"layer\"\n\nPREFERRED_PROVIDER_virtual/libc = \"zlib\"\n")]);
    let run = eval(root, &[]);
    assert!(run.stderr.contains("grove.conf:3:1: PREFERRED_PROVIDER_virtual/libc is `zlib`, which does not provide"), "{}", run.stderr);
}

/// The state of each recipe in `grove eval --json`.
fn states(root: &Path, extra: &[&str]) -> BTreeMap<String, (String, Option<String>)> {
    let run = eval(root, extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    v["configurations"][0]["derivations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let name = d["name"].as_str().unwrap().to_string();
            let state = d["state"].as_str().unwrap().to_string();
            (name, (state, d["held_by"].as_str().map(String::from)))
        })
        .collect()
}

#[test]
fn skipped_and_held_recipes_carry_over_to_what_needs_them() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(root, &[("layer/recipes/apps/viewer_1.gr", "DEPENDS = \"app\"\n")]);

    let s = states(root, &["--set", "HOLD_RECIPE[zlib]=waiting for a security review"]);
    assert_eq!(s["zlib"], ("held".into(), Some("zlib".into())));
    assert_eq!(s["app"], ("held".into(), Some("zlib".into())));
    assert_eq!(s["viewer"], ("held".into(), Some("zlib".into())));

    let s = states(root, &["--set", "SKIP_RECIPE[app]=does not build with gcc 14"]);
    assert_eq!(s["zlib"].0, "ready");
    assert_eq!(s["app"].0, "skipped");
    assert_eq!(s["viewer"].0, "skipped");
    let run = eval(root, &["--set", "SKIP_RECIPE[app]=does not build with gcc 14"]);
    assert!(run.stdout.contains("it needs app, which is skipped"), "{}", run.stdout);
    assert!(run.stdout.contains("\"hash\": null"), "{}", run.stdout);
}

#[test]
fn several_versions_one_is_chosen() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(root, &[("layer/recipes/libs/zlib_1.2.gr", ZLIB), ("layer/recipes/libs/zlib_1.3~rc1.gr", ZLIB)]);
    let s = eval(root, &[]);
    assert!(s.stdout.contains("\"id\": \"zlib-1.3-opt-x86_64-"), "{}", s.stdout);
    let s = eval(root, &["--set", "PREFERRED_VERSION_zlib=1.3~rc1"]);
    assert!(s.stdout.contains("\"id\": \"zlib-1.3~rc1-opt-x86_64-"), "{}", s.stdout);
    // A preference nothing meets, shown where it was set.
    write(root, &[("grove.conf", "LAYERS = \"layer\"\nPREFERRED_VERSION_zlib = \"2.0\"\n")]);
    let run = eval(root, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("grove.conf:2:1: PREFERRED_VERSION_zlib is `2.0`, but the layers have zlib 1.3, 1.3~rc1, 1.2"), "{}", run.stderr);
    // The statement that gave the value: an override's, when it wins.
    write(root, &[("grove.conf", "LAYERS = \"layer\"\nPREFERRED_VERSION_zlib = \"1.2\"\nPREFERRED_VERSION_zlib:debug = \"9.9\"\n")]);
    let run = eval(root, &["--flavor", "debug"]);
    assert!(run.stderr.contains("grove.conf:3:1: PREFERRED_VERSION_zlib is `9.9`"), "{}", run.stderr);
}

/// The hash of the derivation `name` in one configuration of `grove eval --json`.
fn hash_in(config: &Value, name: &str) -> String {
    let d = config["derivations"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap();
    d["hash"].as_str().unwrap().to_string()
}

#[test]
fn the_example_workspace_derives_in_every_configuration_of_its_matrix() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace");
    let run = grove(&dir, &["eval", "--matrix", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let configs = v["configurations"].as_array().unwrap();
    let axes: Vec<String> =
        configs.iter().map(|c| format!("{} {}", c["flavor"].as_str().unwrap(), c["arch"].as_str().unwrap())).collect();
    assert_eq!(axes, ["opt x86_64", "opt aarch64", "debug x86_64", "debug aarch64"]);
    let hash = |c: usize, name: &str| hash_in(&configs[c], name);
    // hello's EXTRA_OECONF:append:debug makes its debug build differ; zlib
    // has nothing that depends on the flavor, so its builds are one.
    assert_ne!(hash(0, "hello"), hash(2, "hello"));
    assert_eq!(hash(0, "zlib"), hash(2, "zlib"));
    assert_ne!(hash(0, "zlib"), hash(1, "zlib"));
    // The matrix shares parses and hashed files between configurations:
    // each one derives exactly what it derives alone.
    for (c, (flavor, arch)) in [(1, ("opt", "aarch64")), (2, ("debug", "x86_64"))] {
        let alone = grove(&dir, &["eval", "--json", "--flavor", flavor, "--arch", arch]);
        let alone: Value = serde_json::from_str(&alone.stdout).unwrap();
        assert_eq!(alone["configurations"][0]["derivations"], configs[c]["derivations"], "{flavor} {arch}");
    }

    let run = grove(&dir, &["graph", "cjson"]);
    assert!(run.stdout.contains("\"cjson\" -> \"pkgconf\";"), "{}", run.stdout);
    assert!(!run.stdout.contains("\"hello\""), "{}", run.stdout);
    let run = grove(&dir, &["why", "lua", "zlib", "--json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["path"][0]["needs_next_as"], "build");
}

/// A matrix whose configurations differ in what their files set, and
/// recipes whose statements read, extend or name those differences in
/// every way the language has, beside recipes that only refer to them
/// lazily (whose statements a matrix evaluates once for all).
#[test]
fn a_matrix_shares_only_what_does_not_depend_on_the_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let compile = "do_compile() {\n    make MODE=${MODE} SIMD=${SIMD} NOTE=${NOTE} TUNE=${TUNE} ONLY=${X86_ONLY} CRC=${AARCH64_EXTRA} C=${CLASS_NOTE}\n}\ninherit make\n";
    let recipe = |body: &str| format!("{body}\n{compile}");
    write(
        root,
        &[
            (
                "grove.conf",
                "LAYERS = \"layer\"\nARCH ??= \"x86_64\"\nFLAVOR ??= \"opt\"\n\
                 OVERRIDES = \"${ARCH}:${FLAVOR}\"\ninclude conf/arch-${ARCH}.inc\n\
                 CFLAGS = \"-O2\"\nCFLAGS:debug = \"-O0 -g\"\nTUNE := \"tune-${ARCH}\"\nMODE = \"plain\"\nNOTE = \"generic\"\n",
            ),
            ("layer/conf/layer.conf", LAYER),
            ("layer/conf/arch-x86_64.inc", "X86_ONLY = \"1\"\nSIMD = \"sse\"\n"),
            ("layer/conf/arch-aarch64.inc", "SIMD = \"neon\"\nAARCH64_EXTRA = \"crc\"\n"),
            ("layer/classes/arch-x86_64.grclass", "CLASS_NOTE = \"x86\"\n"),
            ("layer/classes/arch-aarch64.grclass", "CLASS_NOTE = \"arm\"\n"),
            ("layer/roots/base.grroot", "ROOT_FLAVORS = \"opt debug\"\nROOT_ARCHS = \"x86_64 aarch64\"\n"),
            ("layer/recipes/a/plain_1.0.gr", &recipe("export CFLAGS")),
            ("layer/recipes/a/immediate_1.0.gr", &recipe("MODE := \"${SIMD}-mode\"")),
            ("layer/recipes/a/weak_1.0.gr", &recipe("X86_ONLY ?= \"0\"")),
            ("layer/recipes/a/append_1.0.gr", &recipe("SIMD += \"extra\"")),
            ("layer/recipes/a/pending_1.0.gr", &recipe("AARCH64_EXTRA:append = \" more\"")),
            ("layer/recipes/a/classy_1.0.gr", &recipe("inherit arch-${ARCH}")),
            ("layer/recipes/a/key_1.0.gr", &recipe("NOTE:${ARCH} = \"arch-specific\"")),
            ("layer/recipes/a/tune_1.0.gr", &recipe("TUNE:append = \"-v2\"")),
            ("layer/recipes/a/flags_1.0.gr", &recipe("do_compile[dirs] = \"${B}/${SIMD}\"\nunset CLASS_NOTE")),
        ],
    );
    let run = grove(root, &["eval", "--matrix", "--json", "--no-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let configs = v["configurations"].as_array().unwrap();
    assert_eq!(configs.len(), 4);
    // The configurations do differ for every recipe.
    for name in ["plain", "immediate", "weak", "append", "pending", "classy", "key", "tune", "flags"] {
        let hashes: std::collections::BTreeSet<String> = configs.iter().map(|c| hash_in(c, name)).collect();
        assert!(hashes.len() >= 2, "{name}: {hashes:?}");
    }
    // And each one derives exactly what it derives alone.
    for c in configs {
        let (flavor, arch) = (c["flavor"].as_str().unwrap(), c["arch"].as_str().unwrap());
        let alone = grove(root, &["eval", "--json", "--no-cache", "--flavor", flavor, "--arch", arch]);
        assert_eq!(alone.code, 0, "{}", alone.stderr);
        let alone: Value = serde_json::from_str(&alone.stdout).unwrap();
        assert_eq!(alone["configurations"][0]["derivations"], c["derivations"], "{flavor} {arch}");
    }
}

/// A matrix's errors: one that every configuration finds is reported
/// once; one that only some find says which.
#[test]
fn a_failing_matrix_reports_each_error_once_with_the_configurations_it_is_in() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        &[
            ("grove.conf", "LAYERS = \"layer\"\nARCH ??= \"x86_64\"\nFLAVOR ??= \"opt\"\nOVERRIDES = \"${ARCH}:${FLAVOR}\"\n"),
            ("layer/conf/layer.conf", LAYER),
            ("layer/roots/base.grroot", "ROOT_FLAVORS = \"opt debug\"\nROOT_ARCHS = \"x86_64 aarch64\"\n"),
            ("layer/classes/arch-x86_64.grclass", "NOTE = \"x86\"\n"),
            ("layer/recipes/a/classy_1.0.gr", "inherit arch-${ARCH}\n"),
            ("layer/recipes/a/broken_1.0.gr", "SRC_URI = \"file://nothere\"\n"),
            ("layer/recipes/a/fine_1.0.gr", "\n"),
        ],
    );
    let run = grove(root, &["eval", "--matrix", "--no-cache"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "", "a failing matrix prints no configuration");
    assert_eq!(run.stderr.matches("no file `nothere` was found").count(), 1, "{}", run.stderr);
    let only = "in 2 of 4 configurations (master opt aarch64 runtime, master debug aarch64 runtime):\n";
    let at = run.stderr.find(only).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(run.stderr[at..].contains("class `arch-aarch64` not found"), "{}", run.stderr);
    assert_eq!(run.stderr.matches("configurations (").count(), 1, "{}", run.stderr);
    assert!(run.stderr.ends_with("2 errors\n"), "{}", run.stderr);
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
}

#[test]
fn explain_names_the_edit_behind_a_changed_hash_across_git_revisions() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    let root = repo.join("ws");
    workspace(&root);
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "one"]);
    edit(&root, APP_FILE, "--with-zlib", "--without-zlib");
    fs::write(root.join("layer/recipes/libs/files/zlib.tar"), "new sources").unwrap();
    edit(&root, APP_FILE, "SUMMARY = \"an application\"", "SUMMARY = \"renamed\"");
    git(repo, &["commit", "-qam", "two"]);

    let run = grove(&root, &["explain", "HEAD~1", "HEAD", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    let names: Vec<&str> = changes.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["app", "zlib"]);
    let app = &changes[0];
    assert_eq!(app["own"][0]["what"], "function do_configure");
    assert_eq!(app["edited"][0]["what"], "EXTRA");
    assert_eq!(app["edited"][0]["new"], "--without-zlib");
    assert_eq!(app["edited"].as_array().unwrap().len(), 1, "SUMMARY cannot be why: {app}");
    assert_eq!(app["inputs"][0], "zlib");
    assert_eq!(changes[1]["own"][0]["what"], "source zlib.tar");

    // The working tree against itself: nothing differs, whatever its path.
    let run = grove(&root, &["explain", "HEAD", "."]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "no derivation differs\n"), "{}", run.stderr);

    let run = grove(&root, &["explain", "no-such-rev", "HEAD"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("neither a directory nor a git revision"), "{}", run.stderr);

    // A need added, through a variable: the needs, and the edit behind them
    // (nothing else of the recipe changed).
    edit(&root, APP_FILE, "DEPENDS = \"zlib\"", "LIBS = \"zlib\"\nDEPENDS = \"${LIBS}\"");
    git(repo, &["commit", "-qam", "three"]);
    write(&root, &[("layer/recipes/libs/extra_1.gr", "\n")]);
    edit(&root, APP_FILE, "LIBS = \"zlib\"", "LIBS = \"zlib extra\"");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "four"]);
    let run = grove(&root, &["explain", "HEAD~1", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("extra-1-opt-x86_64-"), "{}", run.stdout);
    assert!(run.stdout.contains("  needs changed\n    - \"zlib\"\n    + \"extra zlib\"\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  because LIBS was edited\n"), "{}", run.stdout);
    // One recipe that did not change.
    let run = grove(&root, &["explain", "HEAD~1", "HEAD", "zlib"]);
    assert!(run.stdout.starts_with("zlib-1.3-opt-x86_64-") && run.stdout.ends_with(" is the same in both\n"), "{}", run.stdout);
}

/// Hashes with the cache in `cache`, and how many recipes came from it.
fn cached_hashes(root: &Path, cache: &Path) -> (BTreeMap<String, String>, usize) {
    let run = crate::support::grove_with(root, &["eval", "--json"], &[("GROVE_CACHE_DIR", cache.as_os_str())]);
    let hashes = hashes_of(&run);
    let reused = run.stderr.split(" recipes from the cache").next().unwrap().rsplit('(').next().unwrap().parse().unwrap();
    (hashes, reused)
}

#[test]
fn the_cache_is_reused_until_something_it_came_from_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(root, &[("layer/classes/tool.grclass", "TOOL_OPTS = \"-a\"\n"), ("layer/recipes/apps/t_1.gr", "inherit tool\ndo_x() {\n  t ${TOOL_OPTS}\n}\naddtask x\n")]);
    let check = |what: &str, reused: usize| {
        let (got, n) = cached_hashes(root, cache.path());
        assert_eq!(got, hashes_uncached(root), "the cache gave stale hashes after {what}");
        assert_eq!(n, reused, "recipes reused after {what}");
    };
    check("the first run", 0);
    check("nothing", 3);
    edit(root, APP_FILE, "--with-zlib", "--with-zlib2");
    check("editing one recipe", 2);
    edit(root, "layer/classes/tool.grclass", "-a", "-b");
    check("editing a class", 2);
    fs::write(root.join("layer/recipes/libs/files/zlib.tar"), "other sources").unwrap();
    check("editing a local source", 2);
    // A class that appears in a higher layer shadows the old one: every
    // lookup may change, so nothing is reused.
    write(
        root,
        &[
            ("grove.conf", "LAYERS = \"layer top\"\n"),
            ("top/conf/layer.conf", "LAYER_NAME = \"top\"\nLAYER_PRIORITY = \"5\"\n"),
        ],
    );
    check("adding a layer", 0);
    write(root, &[("top/classes/tool.grclass", "TOOL_OPTS = \"-c\"\n")]);
    check("shadowing a class", 0);
    edit(root, "grove.conf", "LAYERS", "EXTRA = \"conf\"\nLAYERS");
    check("editing the configuration", 0);
    // A damaged cache file is no cache at all.
    for f in fs::read_dir(cache.path().join("eval")).unwrap() {
        fs::write(f.unwrap().path(), b"garbage").unwrap();
    }
    check("damaging the cache", 0);
}

#[test]
fn the_kept_listing_of_the_layers_sees_every_change_of_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(root, &[("layer/recipes/apps/common.inc", "COMMON = \"1\"\n"), ("layer/recipes/tools/t_1.gr", "include extra.inc\ndo_x() {\n  t ${EXTRA}\n}\naddtask x\n")]);
    // Directories changed in the last seconds before a walk are listed
    // again next time (their stamp may not show a change in the same
    // tick); waiting once lets the listing be trusted, so each change
    // below is found by its directory's stamp alone.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let check = |what: &str| {
        let (got, _) = cached_hashes(root, cache.path());
        assert_eq!(got, hashes_uncached(root), "the cache gave stale hashes after {what}");
    };
    check("the first run");
    check("nothing");
    write(root, &[("layer/recipes/tools/extra.inc", "EXTRA = \"x\"\n")]);
    check("an include appearing beside a recipe");
    write(root, &[("layer/recipes/net/curl_8.gr", "DEPENDS = \"zlib\"\n")]);
    check("a new directory with a recipe");
    fs::rename(root.join("layer/recipes/libs/zlib_1.3.gr"), root.join("layer/recipes/libs/zlib_1.4.gr")).unwrap();
    check("renaming a recipe");
    fs::remove_file(root.join("layer/recipes/apps/common.inc")).unwrap();
    check("removing a file");
    fs::create_dir(root.join("layer/recipes/apps/more")).unwrap();
    write(root, &[("layer/recipes/apps/more/more_2.gr", "DEPENDS = \"app\"\n")]);
    check("a recipe in a new directory below a recipe's");
    // The same size, and the modification time put back: the change time
    // still moves.
    let app = root.join(APP_FILE);
    let modified = fs::metadata(&app).unwrap().modified().unwrap();
    edit(root, APP_FILE, "-O2", "-O3");
    fs::File::options().write(true).open(&app).unwrap().set_modified(modified).unwrap();
    check("an edit of the same size with the old modification time");
    // The recipes left are all unchanged, but one that app needs is gone:
    // the graph is built again (and fails), not taken from the cache.
    let zlib = root.join("layer/recipes/libs/zlib_1.4.gr");
    let text = fs::read_to_string(&zlib).unwrap();
    fs::remove_file(&zlib).unwrap();
    let run = crate::support::grove_with(root, &["eval"], &[("GROVE_CACHE_DIR", cache.path().as_os_str())]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.stderr.contains("zlib"), "{}", run.stderr);
    fs::write(&zlib, text).unwrap();
    check("a recipe removed and put back");
}

fn hashes_uncached(root: &Path) -> BTreeMap<String, String> {
    hashes_of(&eval(root, &["--no-cache"]))
}

#[test]
fn the_base_is_an_input_of_every_other_recipe() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(
        root,
        &[
            ("grove.conf", "LAYERS = \"layer\"\nBUILD_BASE = \"sysroot\"\n"),
            ("layer/recipes/base/sysroot_12.gr", "SRC_URI = \"file://sysroot.tar\"\ninherit import\n"),
            ("layer/recipes/base/files/sysroot.tar", "a Debian sysroot"),
        ],
    );
    let before = hashes(root);
    let run = grove(root, &["why", "app", "sysroot", "--json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["path"][0]["needs_next_as"], "base", "{}", run.stdout);
    assert_eq!(grove(root, &["why", "sysroot", "sysroot"]).code, 0, "a recipe reaches itself trivially");
    fs::write(root.join("layer/recipes/base/files/sysroot.tar"), "a newer sysroot").unwrap();
    let after = hashes(root);
    for name in ["sysroot", "zlib", "app"] {
        assert_ne!(before[name], after[name], "{name} did not notice the new base");
    }
}

#[test]
fn dependencies_follow_the_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(root, &[("layer/recipes/libs/libarm_1.gr", "\n")]);
    edit(root, APP_FILE, "DEPENDS = \"zlib\"", "DEPENDS = \"zlib\"\nDEPENDS:append:aarch64 = \" libarm\"");
    assert_eq!(grove(root, &["why", "app", "libarm"]).code, 1);
    assert_eq!(grove(root, &["why", "app", "libarm", "--arch", "aarch64"]).code, 0);
}

#[test]
fn an_append_that_matches_nothing_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    write(tmp.path(), &[("layer/recipes/libs/zlib-ng_%.grappend", "\n")]);
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("warning: layer/recipes/libs/zlib-ng_%.grappend matches no recipe"), "{}", run.stderr);
}

#[test]
fn an_error_many_recipes_meet_is_shown_once() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    write(
        tmp.path(),
        &[
            ("layer/classes/broken.grclass", "A =: \"1\"\n"),
            ("layer/recipes/a/one_1.gr", "inherit broken\n"),
            ("layer/recipes/a/two_1.gr", "inherit broken\n"),
            ("layer/roots/platform.grroot", "ROOT_FLAVORS = \"opt debug\"\n"),
        ],
    );
    for args in [&[][..], &["--matrix"][..]] {
        let run = eval(tmp.path(), args);
        assert_eq!(run.code, 2);
        assert_eq!(run.stderr.matches("unknown operator `=:`").count(), 1, "{args:?}: {}", run.stderr);
        // Found in every configuration: no list of them.
        assert!(!run.stderr.contains("configurations ("), "{args:?}: {}", run.stderr);
    }
    // Found in one configuration only, however many recipes met it there.
    write(tmp.path(), &[("layer/recipes/a/one_1.gr", "INHERIT_MORE = \"\"\nINHERIT_MORE:debug = \"broken\"\ninherit ${INHERIT_MORE}\n")]);
    write(tmp.path(), &[("layer/recipes/a/two_1.gr", "INHERIT_MORE = \"\"\nINHERIT_MORE:debug = \"broken\"\ninherit ${INHERIT_MORE}\n")]);
    let run = eval(tmp.path(), &["--matrix"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.matches("unknown operator `=:`").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("in 1 of 2 configurations ("), "{}", run.stderr);
}

#[test]
fn a_recipe_repeated_in_one_layer_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    // A copy left in another group of the same layer.
    write(tmp.path(), &[("layer/recipes/base/zlib_1.3.gr", ZLIB), ("layer/recipes/base/files/zlib.tar", "zlib sources")]);
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warning = "warning: layer/recipes/libs/zlib_1.3.gr has the name and version of layer/recipes/base/zlib_1.3.gr, in the same layer";
    assert!(run.stderr.contains(warning), "{}", run.stderr);
    // One version written two ways is one version.
    std::fs::rename(tmp.path().join("layer/recipes/base/zlib_1.3.gr"), tmp.path().join("layer/recipes/base/zlib_1.03.gr")).unwrap();
    let run = eval(tmp.path(), &[]);
    assert!(run.stderr.contains("layer/recipes/libs/zlib_1.3.gr has the name and version of layer/recipes/base/zlib_1.03.gr"), "{}", run.stderr);
    // Another version is no repeat.
    std::fs::rename(tmp.path().join("layer/recipes/base/zlib_1.03.gr"), tmp.path().join("layer/recipes/base/zlib_1.2.gr")).unwrap();
    let run = eval(tmp.path(), &[]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    // Nor is the same one in another layer, which overrides it by priority.
    std::fs::remove_file(tmp.path().join("layer/recipes/base/zlib_1.2.gr")).unwrap();
    write(
        tmp.path(),
        &[
            ("grove.conf", "LAYERS = \"layer top\"\n"),
            ("top/conf/layer.conf", "LAYER_NAME = \"top\"\nLAYER_PRIORITY = \"2\"\n"),
            ("top/recipes/libs/zlib_1.3.gr", ZLIB),
            ("top/recipes/libs/files/zlib.tar", "zlib sources"),
        ],
    );
    let run = eval(tmp.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn an_axis_value_no_root_declares_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    write(tmp.path(), &[("layer/roots/platform.grroot", "ROOT_FLAVORS = \"opt debug\"\nROOT_ARCHS = \"x86_64 aarch64\"\n")]);
    let typo = eval(tmp.path(), &["--flavor", "debg"]);
    assert_eq!(typo.code, 0, "{}", typo.stderr);
    assert!(
        typo.stderr.contains("warning: no root declares the flavor `debg` (they declare opt, debug): did you mean `debug`?"),
        "{}",
        typo.stderr
    );
    let unknown = eval(tmp.path(), &["--arch", "riscv64"]);
    assert!(unknown.stderr.contains("warning: no root declares the arch `riscv64` (they declare x86_64, aarch64)\n"), "{}", unknown.stderr);
    // `getvar -r` too; its value stays alone on stdout.
    let run = grove(tmp.path(), &["getvar", "-r", "zlib", "PV", "--flavor", "debg"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "1.3\n"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: no root declares the flavor `debg`"), "{}", run.stderr);
    // Declared values, and an axis the roots leave to the configuration,
    // are quiet.
    for args in [&["--flavor", "debug", "--arch", "aarch64"][..], &["--kind", "sdk"][..]] {
        let run = eval(tmp.path(), args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stderr.contains("warning"), "{args:?}: {}", run.stderr);
    }
}

/// Recipe texts are let go once each recipe is derived; the errors that
/// point into them must still show their lines, in every configuration.
#[test]
fn errors_show_the_recipe_lines_after_the_texts_are_let_go() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    let mut files: Vec<(String, String)> = (0..40).map(|i| (format!("layer/recipes/many/ok{i}_1.0.gr"), "inherit make\n".to_string())).collect();
    files.push(("layer/recipes/bad/typo_1.0.gr".into(), "A = \"1\"\nB =: \"2\"\n".into()));
    files.push(("layer/recipes/bad/cycle_1.0.gr".into(), "do_compile() {\n    echo ${Y}\n}\nY = \"${Z}\"\nZ = \"${Y}\"\n".into()));
    files.push(("layer/recipes/bad/unpinned_1.0.gr".into(), "A = \"1\"\nSRC_URI = \"https://example.org/u.tar.gz\"\n".into()));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    write(tmp.path(), &files);
    for extra in [&["--no-cache"][..], &["--no-cache", "--matrix"], &[]] {
        let run = grove(tmp.path(), &[&["eval"][..], extra].concat());
        assert_eq!(run.code, 2, "{}", run.stderr);
        // The cycle at the variable that closes it, not at the task that read it.
        for shown in ["typo_1.0.gr:2:3", "2 | B =: \"2\"", "cycle_1.0.gr:4:1", "4 | Y = \"${Z}\"", "`Y` is set here", "unpinned_1.0.gr:2:1"] {
            assert!(run.stderr.contains(shown), "{extra:?}: {shown} not in\n{}", run.stderr);
        }
    }
}

/// The README shows `grove eval` on the example workspace; a change of the
/// hashes (or of the output) must show there too.
#[test]
fn the_readme_shows_what_grove_eval_prints() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("$ grove eval\n").expect("the README has a grove eval example") + "$ grove eval\n".len();
    let shown: Vec<&str> = readme[start..].lines().take_while(|l| !l.contains("derivations in")).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workspace");
    let run = grove(&dir, &["eval"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), shown, "update README.md's grove eval example");
}

#[test]
fn a_recipe_named_without_a_version_sets_pv_inside() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(root, &[("layer/recipes/apps/tool.gr", "PV = \"3.1\"\nDEPENDS = \"zlib\"\n")]);
    let run = eval(root, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"id\": \"tool-3.1-opt-x86_64-"), "{}", run.stdout);
    write(root, &[("layer/recipes/apps/tool.gr", "DEPENDS = \"zlib\"\n")]);
    let run = eval(root, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("tool.gr has no version"), "{}", run.stderr);
    assert!(run.stderr.contains("set PV in it"), "{}", run.stderr);
}

#[test]
fn the_workspace_file_may_require_a_layers_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    workspace(root);
    write(
        root,
        &[
            ("grove.conf", "LAYERS = \"layer\"\nrequire conf/distro/mine.conf\n"),
            ("layer/conf/distro/mine.conf", "DISTRO = \"mine\"\ninherit distro\n"),
            ("layer/conf/layer.conf", "LAYER_NAME = \"main\"\ninherit layerdefaults\n"),
            ("layer/classes/distro.grclass", "export DISTRO_ID = \"${DISTRO}-1\"\n"),
            ("layer/classes/layerdefaults.grclass", "LAYER_NOTE = \"read\"\n"),
        ],
    );
    let run = grove(root, &["show", "app", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"name\": \"DISTRO_ID\",\n      \"value\": \"mine-1\""), "{}", run.stdout);
    assert_eq!(grove(root, &["getvar", "-r", "app", "LAYER_NOTE"]).stdout, "read\n");
    // What is really missing is still an error, once the layers are known.
    write(root, &[("grove.conf", "LAYERS = \"layer\"\nrequire conf/distro/nowhere.conf\n")]);
    let run = eval(root, &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nowhere.conf"), "{}", run.stderr);
}

/// Layers owned by someone else (a shared checkout) are read all the same:
/// the loader asks for `O_NOATIME`, which the kernel refuses to anyone but
/// a file's owner, and must fall back. Run as `nobody`, so only as root.
#[test]
fn layers_owned_by_another_user_are_read() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    if fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(1) != 0 {
        eprintln!("not root: cannot run grove as another user here");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    workspace(&root);
    let binary = tmp.path().join("grove");
    fs::copy(env!("CARGO_BIN_EXE_grove"), &binary).unwrap();
    // Everything readable by all, owned by root.
    let mut todo = vec![tmp.path().to_path_buf()];
    while let Some(p) = todo.pop() {
        let dir = p.is_dir();
        fs::set_permissions(&p, fs::Permissions::from_mode(if dir || p == binary { 0o755 } else { 0o644 })).unwrap();
        if dir {
            todo.extend(fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    let as_root = grove(&root, &["eval", "--json", "--no-cache"]);
    let out = std::process::Command::new(&binary)
        .args(["eval", "--json", "--no-cache"])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let as_nobody = Run { code: 0, stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::new() };
    assert_eq!(hashes_of(&as_nobody), hashes_of(&as_root));
    assert_eq!(hashes_of(&as_nobody).len(), 2);
}
