//! The walk against real directories: what a kept listing may and may not
//! stand in for.

use std::fs;

use super::*;

/// Every directory (ending in `/`) and entry a walk saw, and how many
/// directories it listed (rather than took from `known`).
fn seen(root: &Path, known: Option<&Known>) -> (Vec<String>, usize) {
    let dirs = walk(root, known).unwrap();
    let mut out = Vec::new();
    for d in &dirs {
        let rel = d.path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        out.push(format!("{rel}/"));
        out.extend(d.entries.iter().map(|e| format!("{rel}/{} {:?}", e.name.to_string_lossy(), e.kind)));
    }
    (out, dirs.iter().filter(|d| d.listed).count())
}

/// Sets every directory's modification time to 2020, so any change
/// gives it another stamp whatever the clock's tick.
fn age(root: &Path) {
    let old = rustix::fs::Timespec { tv_sec: 1_600_000_000, tv_nsec: 0 };
    let times = rustix::fs::Timestamps { last_access: old, last_modification: old };
    for d in walk(root, None).unwrap() {
        rustix::fs::utimensat(rustix::fs::CWD, &d.path, &times, AtFlags::empty()).unwrap();
    }
}

/// Walks `root` as it is, keeping the listing in `file` as if the walk
/// had started at `started`.
fn keep(root: &Path, file: &Path, started: (i64, i64)) {
    let dirs = walk(root, Some(&Known::default())).unwrap();
    save(file, started, dirs.iter()).unwrap();
}

fn tree() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    fs::create_dir_all(root.join("recipes/libs/zlib/files")).unwrap();
    fs::create_dir_all(root.join("classes")).unwrap();
    fs::write(root.join("recipes/libs/zlib/zlib_1.3.gr"), "A = \"1\"\n").unwrap();
    fs::write(root.join("recipes/libs/zlib/files/fix.patch"), "p").unwrap();
    fs::write(root.join("classes/make.grclass"), "").unwrap();
    fs::write(root.join(".hidden"), "").unwrap();
    std::os::unix::fs::symlink("classes/make.grclass", root.join("link")).unwrap();
    (tmp, root)
}

/// A named change, and how many directories it makes the walk list.
type Change = (&'static str, usize, Box<dyn Fn(&Path)>);

#[test]
fn a_kept_listing_is_used_until_its_directory_changes() {
    let (_tmp, root) = tree();
    let kept = tempfile::tempdir().unwrap();
    let file = kept.path().join("listing");
    let later = (now().0 + 86_400, 0);
    let truth = |root: &Path| seen(root, None).0;
    // Each change, made to an aged tree whose listing was kept: the
    // walk with the kept listing sees what a walk without it sees, and
    // lists again only what changed.
    let changes: Vec<Change> = vec![
        ("nothing", 0, Box::new(|_| {})),
        ("a new file", 1, Box::new(|r| fs::write(r.join("classes/new.grclass"), "").unwrap())),
        ("a removed file", 1, Box::new(|r| fs::remove_file(r.join("classes/new.grclass")).unwrap())),
        ("a rename", 1, Box::new(|r| fs::rename(r.join("recipes/libs/zlib/zlib_1.3.gr"), r.join("recipes/libs/zlib/zlib_1.4.gr")).unwrap())),
        ("a move between directories", 2, Box::new(|r| fs::rename(r.join("recipes/libs/zlib/files/fix.patch"), r.join("classes/fix.patch")).unwrap())),
        ("a new directory", 2, Box::new(|r| {
            fs::create_dir(r.join("recipes/apps")).unwrap();
            fs::write(r.join("recipes/apps/app_1.gr"), "").unwrap();
        })),
        ("a file become a directory", 2, Box::new(|r| {
            fs::remove_file(r.join("classes/fix.patch")).unwrap();
            fs::create_dir(r.join("classes/fix.patch")).unwrap();
        })),
        ("a directory become a symlink", 1, Box::new(|r| {
            fs::remove_dir_all(r.join("recipes/apps")).unwrap();
            std::os::unix::fs::symlink("libs", r.join("recipes/apps")).unwrap();
        })),
        ("a directory removed", 1, Box::new(|r| fs::remove_dir_all(r.join("recipes/libs/zlib/files")).unwrap())),
    ];
    for (what, listed, change) in changes {
        age(&root);
        keep(&root, &file, later);
        change(&root);
        let bytes = fs::read(&file).unwrap();
        let known = Known::parse(&bytes);
        assert!(!known.is_empty());
        let (got, n) = seen(&root, Some(&known));
        assert_eq!(got, truth(&root), "after {what}");
        assert_eq!(n, listed, "directories listed again after {what}");
    }
    // A file's own edit shows in its stamp, not in its directory's.
    age(&root);
    keep(&root, &file, later);
    let stamp = |r: &Path| walk(r, None).unwrap()[0].entries.iter().find(|e| *e.name == *OsStr::new("link")).map(|e| e.kind);
    assert_eq!(stamp(&root), Some(Kind::Other));
    let bytes = fs::read(&file).unwrap();
    let known = Known::parse(&bytes);
    let before = walk(&root, Some(&known)).unwrap();
    fs::write(root.join("classes/make.grclass"), "X = \"1\"\n").unwrap();
    let after = walk(&root, Some(&known)).unwrap();
    let make = |dirs: &[Dir]| {
        let classes = dirs.iter().find(|d| d.path.ends_with("classes")).unwrap();
        classes.entries.iter().find(|e| *e.name == *OsStr::new("make.grclass")).unwrap().stamp
    };
    assert!(after.iter().all(|d| !d.listed));
    assert_ne!(make(&before), make(&after));
}

#[test]
fn a_directory_changed_near_the_walk_is_listed_again() {
    let (_tmp, root) = tree();
    let file = root.join("kept");
    // Kept as if the walk had started in the tick the directories
    // last changed: their listing is not trusted, whatever it says.
    let classes = root.join("classes");
    let ctime = |p: &Path| {
        let s = rustix::fs::statx(rustix::fs::CWD, p, AtFlags::empty(), StatxFlags::BASIC_STATS).unwrap();
        (s.stx_ctime.tv_sec, i64::from(s.stx_ctime.tv_nsec))
    };
    let mut dirs = walk(&root, Some(&Known::default())).unwrap();
    // A listing that lies: `classes` kept without its one file.
    dirs.iter_mut().find(|d| d.path == classes).unwrap().entries.clear();
    save(&file, ctime(&classes), dirs.iter()).unwrap();
    let bytes = fs::read(&file).unwrap();
    let (got, _) = seen(&root, Some(&Known::parse(&bytes)));
    assert!(got.contains(&"classes/make.grclass File".to_string()), "{got:?}");
    // The same lie kept by a walk long after: trusted (which is how
    // the test knows the kept listing is read at all).
    save(&file, (ctime(&classes).0 + 86_400, 0), dirs.iter()).unwrap();
    let bytes = fs::read(&file).unwrap();
    let (got, _) = seen(&root, Some(&Known::parse(&bytes)));
    assert!(!got.contains(&"classes/make.grclass File".to_string()), "{got:?}");
}

#[test]
fn a_damaged_listing_is_no_listing() {
    let (_tmp, root) = tree();
    let (got, listed) = seen(&root, Some(&Known::parse(b"garbage")));
    assert_eq!(got, seen(&root, None).0);
    assert_eq!(listed, got.iter().filter(|s| s.ends_with('/')).count());
}
