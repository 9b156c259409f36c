//! Every example recipe evaluates, and says something true about itself.

use crate::support::grove;

#[test]
fn every_example_evaluates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut count = 0;
    for dir in std::fs::read_dir(&root).expect("examples/").flatten() {
        for file in std::fs::read_dir(dir.path()).expect("example dir").flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "gr") {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).expect("name");
            for var in ["PN", "PV", "LICENSE", "SRC_URI", "do_configure", "do_compile", "do_install"] {
                let run = grove(&dir.path(), &["getvar", "--file", name, var]);
                assert_eq!(run.code, 0, "{}: {var}\n{}", path.display(), run.stderr);
                assert!(!run.stdout.trim().is_empty(), "{}: {var} is empty", path.display());
            }
            let run = grove(&dir.path(), &["getvar", "--file", name, "SRC_URI"]);
            let pv = grove(&dir.path(), &["getvar", "--file", name, "PV"]).stdout;
            assert!(run.stdout.contains(pv.trim()), "{}: SRC_URI does not name the version", path.display());
            count += 1;
        }
    }
    assert!(count >= 3, "expected the example recipes, found {count}");
}
