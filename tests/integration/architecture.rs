//! Dependencies between grove's crates point one way (ARCHITECTURE.md):
//! syntax ← eval ← the binary. This fails when a crate reaches the wrong way.

use std::path::Path;

/// Each workspace crate and the grove crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("syntax", &[]),
    ("eval", &["grove-syntax"]),
    ("derive", &["grove-syntax", "grove-eval"]),
    ("store", &[]),
];

#[test]
fn crates_depend_only_downstream() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (krate, allowed) in ALLOWED {
        let manifest = std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml")).expect("manifest");
        let deps = manifest.split("[dependencies]").nth(1).unwrap_or("").split("\n[").next().unwrap_or("");
        for line in deps.lines() {
            let name = line.split(['=', '.']).next().unwrap_or("").trim();
            if name.starts_with("grove-") {
                assert!(allowed.contains(&name), "crates/{krate} must not depend on {name}");
            }
        }
    }
    let crates: Vec<String> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for c in &crates {
        assert!(ALLOWED.iter().any(|(k, _)| k == c), "crates/{c} is missing from the allowed-edges table");
    }
}
