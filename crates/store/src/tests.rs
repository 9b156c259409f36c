//! Unit tests of the store, on real directories in temp dirs. Pinned
//! hashes were computed independently (python + the `b3sum` tool) from
//! the encodings FORMAT.md describes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::*;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: Store,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let store = Store::open_with(&root.join("store"), Access::Exclusive, None).unwrap();
    Fixture {
        _dir: dir,
        root,
        store,
    }
}

fn write(path: &Path, content: &str, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A small source tree: a file, an executable, a nested dir, a symlink.
fn sample(dir: &Path) {
    write(&dir.join("README"), "hello\n", 0o644);
    write(&dir.join("bin/tool"), "#!/bin/sh\necho hi\n", 0o755);
    write(&dir.join("share/doc/a.txt"), "a", 0o600);
    write(&dir.join("share/doc/same.txt"), "a", 0o644);
    symlink("bin/tool", dir.join("tool")).unwrap();
}

/// Imports a directory with the default options; its tree.
fn add(store: &Store, path: &Path) -> TreeId {
    store
        .import_path(path, &ImportOptions::default())
        .unwrap()
        .tree
}

fn drv(n: u8) -> DrvId {
    DrvId(Hash([n; 32]))
}

/// The record of a zlib build of derivation `n`, both outputs `tree`.
fn record(n: u8, tree: TreeId, log: Option<LogId>) -> Artifact {
    let output = |name: &str| Output {
        name: name.into(),
        tree,
        size: 0,
    };
    Artifact {
        drv: drv(n),
        recipe: "zlib".into(),
        version: "1.2.13".into(),
        series: "3.2".into(),
        flavor: "opt".into(),
        arch: "x86_64".into(),
        origin: "master".into(),
        built: 1_700_000_000,
        log,
        outputs: vec![output("runtime"), output("devel")],
    }
}

/// Stores `record(n, tree, a log)`.
fn artifact(store: &Store, n: u8, tree: TreeId) -> Artifact {
    let a = record(n, tree, Some(store.put_log(b"configure\nmake\n").unwrap()));
    store.artifact_or_insert_with(&drv(n), |_| Ok(a)).unwrap().0
}

fn commit(store: &Store, tree: TreeId, parent: Option<CommitId>) -> CommitId {
    let c = Commit {
        tree,
        parent,
        subject: "a root".into(),
        time: 1,
        artifacts: vec![],
        meta: BTreeMap::new(),
    };
    store.put_commit(&c).unwrap()
}

#[test]
fn pinned_hashes() {
    assert_eq!(
        Tree::default().id().to_hex(),
        "117008a410b77419d63545f7fd0f229507fbf6b977e3a9176f83058063ccd84c"
    );
    let hello = ObjectKind::File.id(b"hello\n");
    assert_eq!(
        hello.to_hex(),
        "94c2db1d6f80676d84110c6121f616cfa694fe755fbcf38211ade6b44f00c9da"
    );
    let tiny = Tree::new(vec![Entry {
        name: b"hello".to_vec(),
        kind: EntryKind::File,
        hash: hello.0,
        size: 6,
    }])
    .unwrap();
    assert_eq!(
        tiny.id().to_hex(),
        "ff3d10292c671582160a5044580fc49b40c303279c9e225c1f5d89df89fca576"
    );

    let f = fixture();
    let src = f.root.join("src");
    write(&src.join("bin/sh"), "#!/bin/sh\n", 0o755);
    symlink("bin/sh", src.join("link")).unwrap();
    let imported = f
        .store
        .import_path(&src, &ImportOptions::default())
        .unwrap();
    assert_eq!(
        imported.tree.to_hex(),
        "fa01570fc1ef0c2a2f7ec007af2ce3a0aad15b775bf0eb647c56f3b2241bcea0"
    );
    assert_eq!(imported.bytes, 16);
}

#[test]
fn tree_decoding_accepts_only_the_canonical_form() {
    let e = |name: &str| Entry {
        name: name.as_bytes().to_vec(),
        kind: EntryKind::File,
        hash: Hash([1; 32]),
        size: 1,
    };
    let t = Tree::new(vec![e("b"), e("a")]).unwrap();
    assert_eq!(t.entries()[0].name, b"a");
    assert_eq!(Tree::decode(&t.encode()).unwrap(), t);
    let mut swapped = Tree::default().encode();
    for x in [e("b"), e("a")] {
        swapped.extend_from_slice(&Tree::new(vec![x]).unwrap().encode()[TREE_MAGIC_LEN..]);
    }
    assert!(
        Tree::decode(&swapped).is_err(),
        "unsorted entries are not canonical"
    );
    let mut cut = t.encode();
    cut.pop();
    assert!(Tree::decode(&cut).is_err());
    assert!(Tree::new(vec![e("a"), e("a")]).is_err());
    assert!(Tree::new(vec![e("..")]).is_err());
    assert!(Tree::new(vec![e("a/b")]).is_err());
}

const TREE_MAGIC_LEN: usize = b"grove-tree 1\n".len();

#[test]
fn a_consumed_directory_becomes_the_objects_themselves() {
    let f = fixture();
    let (src, copy) = (f.root.join("src"), f.root.join("copy"));
    sample(&src);
    sample(&copy);
    write(&src.join("big"), &"large ".repeat(300_000), 0o644);
    write(&copy.join("big"), &"large ".repeat(300_000), 0o644);
    fs::hard_link(src.join("README"), f.root.join("elsewhere")).unwrap();
    let inode = fs::metadata(src.join("bin/tool")).unwrap().ino();
    let consume = ImportOptions {
        consume: true,
        ..ImportOptions::default()
    };
    let consumed = f.store.import_path(&src, &consume).unwrap();
    assert!(!src.exists(), "the consumed directory is gone");
    assert_eq!(add(&f.store, &copy), consumed.tree);
    let tool = fs::metadata(
        f.store
            .object_path(&ObjectKind::Exec.id(b"#!/bin/sh\necho hi\n")),
    )
    .unwrap();
    assert_eq!(
        (tool.ino(), tool.mode() & 0o7777, tool.mtime()),
        (inode, 0o555, 0),
        "adopted, not copied"
    );
    let elsewhere = fs::metadata(f.root.join("elsewhere")).unwrap();
    assert_eq!(
        elsewhere.mode() & 0o777,
        0o644,
        "a file with another link is copied, not changed"
    );
    assert!(f.store.fsck(false).unwrap().is_clean());
}

#[test]
fn directory_import_keeps_content_exec_bits_and_symlinks() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let first = f
        .store
        .import_path(&src, &ImportOptions::default())
        .unwrap();
    assert_eq!(first.files, 5);
    // README, tool, `a` (twice: one object), the symlink; and 4 trees.
    assert_eq!(first.new_objects, 4 + 4);
    let again = f
        .store
        .import_path(&src, &ImportOptions::default())
        .unwrap();
    assert_eq!((again.tree, again.new_objects), (first.tree, 0));

    let top = f.store.read_tree(&first.tree).unwrap();
    let names: Vec<_> = top
        .entries()
        .iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect();
    assert_eq!(names, ["README", "bin", "share", "tool"]);
    let bin = f
        .store
        .read_tree(&top.entries()[1].subtree().unwrap())
        .unwrap();
    assert_eq!(bin.entries()[0].kind, EntryKind::Exec);
    let (kind, target) = f
        .store
        .read_object(&top.entries()[3].object().unwrap())
        .unwrap();
    assert_eq!(
        (kind, target.as_slice()),
        (ObjectKind::Symlink, &b"bin/tool"[..])
    );
    let obj = f.store.object_path(&top.entries()[0].object().unwrap());
    let meta = fs::metadata(&obj).unwrap();
    assert_eq!((meta.mode() & 0o7777, meta.mtime()), (0o444, 0));

    // Changing one bit that matters changes the tree.
    fs::set_permissions(src.join("README"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_ne!(add(&f.store, &src), first.tree);
    assert!(f.store.fsck(false).unwrap().is_clean());
    assert_eq!(
        fs::read_dir(f.store.tmp()).unwrap().count(),
        0,
        "no temp files after a finished import"
    );
}

#[test]
fn directory_import_refuses_escaping_symlinks_and_special_files() {
    let f = fixture();
    let src = f.root.join("src");
    write(&src.join("ok"), "x", 0o644);
    symlink("/etc/passwd", src.join("abs")).unwrap();
    fs::create_dir(src.join("d")).unwrap();
    symlink("..", src.join("d/up")).unwrap();
    symlink("d/up/..", src.join("sneaky")).unwrap();
    symlink("../d", src.join("d/fine")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        src.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let err = f
        .store
        .import_path(&src, &ImportOptions::default())
        .unwrap_err();
    let StoreError::Unsafe { rejections, .. } = &err else {
        panic!("{err}")
    };
    let named: Vec<_> = rejections.iter().map(|r| r.entry.as_str()).collect();
    assert_eq!(named, ["abs", "fifo", "sneaky"], "{err}");
    assert!(
        err.to_string()
            .contains("`sneaky`: symlink to `d/up/..`: it climbs above the root"),
        "{err}"
    );
    assert_eq!(
        f.store.fsck(false).unwrap().objects,
        0,
        "nothing half-imported"
    );
    assert_eq!(fs::read_dir(f.store.tmp()).unwrap().count(), 0);
    assert_eq!(
        f.store.fsck(false).unwrap().temp_files,
        0,
        "no temp file staged beside its destination stays"
    );

    // Allowed, the FIFO is skipped and reported; the symlinks still are not.
    fs::remove_file(src.join("abs")).unwrap();
    fs::remove_file(src.join("sneaky")).unwrap();
    let ok = f
        .store
        .import_path(
            &src,
            &ImportOptions {
                allow_devices: true,
                ..ImportOptions::default()
            },
        )
        .unwrap();
    assert_eq!(ok.skipped.len(), 1);
    assert_eq!(ok.skipped[0].entry, "fifo");
}

/// A directory swapped for a symlink to somewhere else while the import
/// walks it (a build still running, a hostile process) does not lead the
/// import out of the tree: files are opened relative to the directory
/// that was listed, never through a path resolved again.
#[test]
fn a_directory_swapped_for_a_symlink_mid_import_is_not_followed() {
    let f = fixture();
    let src = f.root.join("swap-src");
    write(&src.join("d/secret"), "inside\n", 0o644);
    let outside = f.root.join("outside");
    write(&outside.join("secret"), "OUTSIDE\n", 0o644);
    let (d, moved) = (src.join("d"), f.root.join("d-moved"));
    let (d2, outside2) = (d.clone(), outside.clone());
    *crate::import::BEFORE_OPEN.lock().unwrap() = Some(Box::new(move |path: &Path| {
        if path.ends_with("swap-src/d/secret") && !moved.exists() {
            fs::rename(&d2, &moved).unwrap();
            symlink(&outside2, &d2).unwrap();
        }
    }));
    let result = f.store.import_path(&src, &ImportOptions::default());
    *crate::import::BEFORE_OPEN.lock().unwrap() = None;
    assert!(
        fs::symlink_metadata(&d).unwrap().is_symlink(),
        "the swap happened"
    );
    let tree = f.store.read_tree(&result.unwrap().tree).unwrap();
    let sub = f
        .store
        .read_tree(&tree.entries()[0].subtree().unwrap())
        .unwrap();
    let (_, content) = f
        .store
        .read_object(&sub.entries()[0].object().unwrap())
        .unwrap();
    assert_eq!(content, b"inside\n");
}

/// A base sysroot's absolute symlinks: refused by default (named), let in
/// on request, stored as they are, checked from the tree's root, never
/// followed by the import or by a checkout.
#[test]
fn absolute_symlinks_only_on_request_and_never_followed() {
    let f = fixture();
    let src = f.root.join("sysroot");
    write(&src.join("usr/lib/libz.so.1"), "ELF", 0o755);
    symlink("/usr/lib/libz.so.1", src.join("usr/lib/libz.so")).unwrap();
    write(&src.join("usr/bin/sh"), "ELF", 0o755);
    symlink("/usr/bin", src.join("bin")).unwrap();
    let err = f
        .store
        .import_path(&src, &ImportOptions::default())
        .unwrap_err();
    let StoreError::Unsafe { rejections, .. } = &err else {
        panic!("{err}")
    };
    let named: Vec<_> = rejections.iter().map(|r| r.entry.as_str()).collect();
    assert_eq!(named, ["bin", "usr/lib/libz.so"], "{err}");
    assert!(
        rejections[0].reason.contains("--allow-absolute-symlinks"),
        "{err}"
    );
    assert_eq!(f.store.fsck(false).unwrap().objects, 0);

    let allow = ImportOptions {
        allow_absolute_symlinks: true,
        ..ImportOptions::default()
    };
    let tree = f.store.import_path(&src, &allow).unwrap().tree;
    let link = ObjectKind::Symlink.id(b"/usr/lib/libz.so.1");
    assert_eq!(f.store.read_object(&link).unwrap().1, b"/usr/lib/libz.so.1");
    let out = f.root.join("out");
    f.store.checkout(&tree, &out).unwrap();
    assert_eq!(
        fs::read_link(out.join("usr/lib/libz.so")).unwrap(),
        Path::new("/usr/lib/libz.so.1")
    );
    assert_eq!(
        fs::read_link(out.join("bin")).unwrap(),
        Path::new("/usr/bin")
    );
    assert!(fs::symlink_metadata(out.join("bin")).unwrap().is_symlink());

    // From the tree's root, `..` still cannot climb out.
    symlink("/../../outside", src.join("escape")).unwrap();
    symlink("/bin/../../..", src.join("escape2")).unwrap();
    let err = f.store.import_path(&src, &allow).unwrap_err();
    let StoreError::Unsafe { rejections, .. } = &err else {
        panic!("{err}")
    };
    let named: Vec<_> = rejections.iter().map(|r| r.entry.as_str()).collect();
    assert_eq!(named, ["escape", "escape2"], "{err}");
    assert!(
        rejections
            .iter()
            .all(|r| r.reason.contains("climbs above the root")),
        "{err}"
    );
}

#[test]
fn refs_update_atomically_with_history_and_compare_and_swap() {
    let f = fixture();
    let t = f.store.put_tree(&Tree::default()).unwrap();
    let c1 = commit(&f.store, t, None);
    let c2 = commit(&f.store, t, Some(c1));
    let name = RefName::parse("gnome/3.2/runtime").unwrap();
    assert_eq!(f.store.read_ref(&name).unwrap(), None);
    assert_eq!(
        f.store.update_ref(&name, &c1, Some(None), "first").unwrap(),
        None
    );
    let moved = f
        .store
        .update_ref(&name, &c2, Some(None), "again")
        .unwrap_err();
    assert!(matches!(moved, StoreError::RefMoved { .. }), "{moved}");
    f.store
        .update_ref(&name, &c2, Some(Some(c1)), "second\nline")
        .unwrap();
    assert_eq!(f.store.read_ref(&name).unwrap(), Some(c2));
    let h = f.store.ref_history(&name).unwrap();
    assert_eq!(
        h.iter()
            .map(|e| (e.old, e.new, e.message.as_str()))
            .collect::<Vec<_>>(),
        [(None, c1, "first"), (Some(c1), c2, "second\nline")]
    );
    assert_eq!(f.store.list_refs().unwrap(), [(name.clone(), c2)]);
    let conflict = f
        .store
        .update_ref(&RefName::parse("gnome/3.2").unwrap(), &c1, None, "")
        .unwrap_err();
    assert!(
        matches!(conflict, StoreError::RefConflict { .. }),
        "{conflict}"
    );
    for bad in ["", "a//b", ".hidden", "a/../b", "sp ace", "a/"] {
        assert!(RefName::parse(bad).is_err(), "{bad}");
    }
    let read = f.store.read_commit(&c2).unwrap();
    assert_eq!((read.parent, read.subject.as_str()), (Some(c1), "a root"));
}

#[test]
fn a_waiting_process_reports_the_lock_it_waits_for() {
    let f = fixture();
    let t = f.store.put_tree(&Tree::default()).unwrap();
    let root = f.store.root().to_path_buf();
    drop(f.store);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let observer: Observer = Arc::new(move |e: &Event| seen.lock().unwrap().push(e.clone()));
    let a = Store::open(&root).unwrap();
    let b = Store::open_with(&root, Access::Shared, Some(observer)).unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            a.artifact_or_insert_with(&drv(1), |store| {
                started_tx.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(record(1, store.put_tree(&Tree::default())?, None))
            })
            .unwrap();
        });
        started_rx.recv().unwrap();
        let (got, new) = b
            .artifact_or_insert_with(&drv(1), |_| panic!("the work was done by the other holder"))
            .unwrap();
        assert!(!new);
        assert_eq!(got.outputs[0].tree, t);
    });
    let events = events.lock().unwrap();
    let lock = format!("artifact {}", drv(1));
    assert_eq!(
        *events,
        [
            Event::Waiting { lock: lock.clone() },
            Event::Acquired { lock }
        ]
    );
}

#[test]
fn fsck_finds_a_flipped_byte_and_repair_lets_a_re_add_heal() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let imported = f
        .store
        .import_path(&src, &ImportOptions::default())
        .unwrap();
    f.store
        .set_root("sample", GcRoot::Tree(imported.tree))
        .unwrap();
    assert!(f.store.fsck(false).unwrap().is_clean());
    let readme = f.store.object_path(&ObjectKind::File.id(b"hello\n"));
    fs::set_permissions(&readme, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&readme, "hellp\n").unwrap();
    fs::set_permissions(&readme, fs::Permissions::from_mode(0o444)).unwrap();
    let report = f.store.fsck(false).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].detail.contains("does not hash"));
    let repaired = f.store.fsck(true).unwrap();
    assert!(!repaired.is_clean() && !readme.exists());
    assert!(
        f.store.fsck(false).unwrap().problems[0]
            .detail
            .contains("missing")
    );
    f.store
        .import_path(&src, &ImportOptions::default())
        .unwrap();
    assert!(f.store.fsck(false).unwrap().is_clean());
}

/// A power cut on a file system that reorders writes can leave an object
/// that is shorter than its content (often empty). fsck says so, and the
/// next import of that content puts a whole copy in its place, with or
/// without a repair first.
#[test]
fn a_truncated_object_is_reported_and_replaced_by_the_next_add() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let tree = add(&f.store, &src);
    f.store.set_root("sample", GcRoot::Tree(tree)).unwrap();
    let tool = f
        .store
        .object_path(&ObjectKind::Exec.id(b"#!/bin/sh\necho hi\n"));
    for cut in [0, 5] {
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
        let bytes = fs::read(&tool).unwrap();
        fs::write(&tool, &bytes[..cut]).unwrap();
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o555)).unwrap();
        let report = f.store.fsck(false).unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        assert!(report.problems[0].detail.contains("does not hash"));
        // A new directory, so the ingest cache does not answer for it.
        let again = f.root.join(format!("again{cut}"));
        sample(&again);
        assert_eq!(add(&f.store, &again), tree);
        assert!(f.store.fsck(false).unwrap().is_clean(), "cut at {cut}");
        assert_eq!(fs::read(&tool).unwrap(), b"#!/bin/sh\necho hi\n");
    }
    // An object whose write in place was killed midway still has the mode
    // it is written with: an interrupted write, not damage, removed by
    // repair (or gc) and replaced by the next writer.
    let other = ObjectKind::File.id(b"unfinished business\n");
    let path = f.store.object_path(&other);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, b"unfin").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o200)).unwrap();
    let report = f.store.fsck(false).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.temp_files, 1);
    let again = f.root.join("unfinished");
    write(&again.join("u"), "unfinished business\n", 0o644);
    add(&f.store, &again);
    assert_eq!(fs::read(&path).unwrap(), b"unfinished business\n");
    assert_eq!(f.store.fsck(false).unwrap().temp_files, 0);
    fs::remove_file(&path).unwrap();
    fs::write(&path, b"unfin").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o200)).unwrap();
    let repaired = f.store.fsck(true).unwrap();
    assert!(
        repaired.is_clean() && !path.exists(),
        "{:?}",
        repaired.repaired
    );

    // One object alone (not through an import) heals the same way.
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(&tool, b"").unwrap();
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o555)).unwrap();
    f.store
        .put_object(ObjectKind::Exec, b"#!/bin/sh\necho hi\n")
        .unwrap();
    assert!(f.store.fsck(false).unwrap().is_clean());
}

#[test]
fn gc_keeps_what_refs_and_roots_reach_and_frees_the_rest() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let kept = add(&f.store, &src);
    write(&f.root.join("other/big"), &"x".repeat(10_000), 0o644);
    let dropped = add(&f.store, &f.root.join("other"));
    let a = artifact(&f.store, 7, kept);
    let c = commit(&f.store, kept, None);
    let c = Commit {
        tree: kept,
        parent: Some(c),
        subject: "x".into(),
        time: 2,
        artifacts: vec![a.drv],
        meta: BTreeMap::new(),
    };
    let c = f.store.put_commit(&c).unwrap();
    f.store
        .update_ref(&RefName::parse("main").unwrap(), &c, None, "")
        .unwrap();
    fs::write(f.store.tmp().join("leftover"), "partial").unwrap();

    let dry = f.store.gc(true).unwrap();
    assert_eq!(
        (dry.removed, dry.temp_files, dry.freed),
        (2, 1, 10_000 + dry_tree_size(&f.store, dropped) + 7)
    );
    assert!(f.store.has_tree(&dropped), "a dry run removes nothing");
    let real = f.store.gc(false).unwrap();
    assert_eq!((real.removed, real.freed), (dry.removed, dry.freed));
    assert!(!f.store.has_tree(&dropped) && f.store.has_tree(&kept));
    assert!(f.store.artifact(&a.drv).unwrap().is_some());
    let report = f.store.fsck(false).unwrap();
    assert!(report.is_clean() && report.unreachable == 0, "{report:?}");
    assert_eq!(
        f.store.log_of(&a.drv).unwrap().unwrap(),
        b"configure\nmake\n"
    );
}

fn dry_tree_size(store: &Store, t: TreeId) -> u64 {
    fs::metadata(store.tree_path(&t)).unwrap().len()
}

#[test]
fn export_is_deterministic_and_import_verifies() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let tree = add(&f.store, &src);
    let a = artifact(&f.store, 3, tree);
    let one = f
        .store
        .export_artifact(&a.drv, &f.root.join("out1"), 0)
        .unwrap();
    let two = f
        .store
        .export_artifact(&a.drv, &f.root.join("out2"), 0)
        .unwrap();
    let names: Vec<_> = one
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "zlib-devel,o=master,r=3.2-opt-x86_64,b=opt,v=1.2.13,.tar.zst",
            "zlib-runtime,o=master,r=3.2-opt-x86_64,b=opt,v=1.2.13,.tar.zst"
        ]
    );
    for (x, y) in one.iter().zip(&two) {
        assert_eq!(fs::read(x).unwrap(), fs::read(y).unwrap());
    }
    assert_ne!(
        fs::read(&one[0]).unwrap(),
        fs::read(
            f.store
                .export_artifact(&a.drv, &f.root.join("out3"), 5)
                .unwrap()[0]
                .clone()
        )
        .unwrap()
    );

    let other = Store::open(&f.root.join("store2")).unwrap();
    let first = other.import_artifact(&one[0]).unwrap();
    assert_eq!(
        (first.missing.clone(), first.recorded),
        (vec![], true),
        "both outputs share one tree"
    );
    assert_eq!(other.artifact(&a.drv).unwrap().unwrap(), a);
    assert!(
        !other.import_artifact(&one[1]).unwrap().recorded,
        "already recorded"
    );
    assert!(other.fsck(false).unwrap().is_clean());

    // A file changed inside the archive no longer verifies; nothing stays.
    let tampered = f.root.join("tampered.tar.zst");
    let tar = zstd::stream::decode_all(&fs::read(&one[0]).unwrap()[..]).unwrap();
    let at = tar.windows(6).position(|w| w == b"hello\n").unwrap();
    let mut tar = tar;
    tar[at] = b'j';
    fs::write(&tampered, zstd::bulk::compress(&tar, 3).unwrap()).unwrap();
    let third = Store::open(&f.root.join("store3")).unwrap();
    let err = third.import_artifact(&tampered).unwrap_err();
    assert!(matches!(err, StoreError::Verify { .. }), "{err}");
    assert_eq!(third.fsck(false).unwrap().objects, 0);
}

#[test]
fn checkout_hardlinks_objects_and_is_all_or_nothing() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let tree = add(&f.store, &src);
    let dest = f.root.join("co");
    let report = f.store.checkout(&tree, &dest).unwrap();
    assert_eq!((report.files, report.dirs, report.copied), (5, 3, 0));
    let obj = f.store.object_path(&ObjectKind::File.id(b"hello\n"));
    assert_eq!(
        fs::metadata(dest.join("README")).unwrap().ino(),
        fs::metadata(&obj).unwrap().ino()
    );
    assert_eq!(
        fs::read_link(dest.join("tool")).unwrap(),
        Path::new("bin/tool")
    );
    assert_eq!(
        fs::metadata(dest.join("bin/tool")).unwrap().mode() & 0o777,
        0o555
    );
    assert_eq!(
        add(&f.store, &dest),
        tree,
        "a checkout re-imports to the same tree"
    );
    assert!(matches!(
        f.store.checkout(&tree, &dest),
        Err(StoreError::Exists { .. })
    ));

    // A missing object fails the checkout and leaves nothing behind.
    fs::remove_file(&obj).unwrap();
    let dest2 = f.root.join("co2");
    assert!(f.store.checkout(&tree, &dest2).is_err());
    let left: Vec<_> = fs::read_dir(&f.root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(!dest2.exists() && left.len() == 3, "{left:?}");
}

#[test]
fn zstd_output_does_not_depend_on_workers() {
    let mut data = Vec::new();
    let mut x = 1u64;
    // Several of zstd's jobs (8 MiB each at level 3) for the workers to share.
    while data.len() < 24 << 20 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        data.extend_from_slice(format!("word{} ", x >> 58).as_bytes());
    }
    let compress = |workers: u32| {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.include_checksum(true).unwrap();
        e.multithread(workers).unwrap();
        for chunk in data.chunks(100_000) {
            std::io::Write::write_all(&mut e, chunk).unwrap();
        }
        e.finish().unwrap()
    };
    let one = compress(1);
    assert_eq!(compress(2), one);
    assert_eq!(compress(4), one);
}

#[test]
fn checkout_onto_another_file_system_copies() {
    // /dev/shm is a tmpfs, so never the file system of a temp dir on disk.
    let shm = Path::new("/dev/shm");
    let f = fixture();
    let on_disk = fs::metadata(f.store.root()).unwrap().dev();
    if !shm.is_dir() || fs::metadata(shm).unwrap().dev() == on_disk {
        eprintln!("no second file system here; the copy fallback is not exercised");
        return;
    }
    let src = f.root.join("src");
    sample(&src);
    let tree = add(&f.store, &src);
    let away = tempfile::tempdir_in(shm).unwrap();
    let dest = away.path().join("co");
    let report = f.store.checkout(&tree, &dest).unwrap();
    assert_eq!((report.files, report.copied), (5, 5));
    assert_eq!(
        fs::read_to_string(dest.join("share/doc/a.txt")).unwrap(),
        "a"
    );
    assert_eq!(
        fs::metadata(dest.join("bin/tool")).unwrap().mode() & 0o777,
        0o555
    );
    assert_eq!(
        fs::read_link(dest.join("tool")).unwrap(),
        Path::new("bin/tool")
    );
    assert_eq!(add(&f.store, &dest), tree);
}

#[test]
fn an_interrupted_gc_leaves_incomplete_garbage_not_damage() {
    let f = fixture();
    let src = f.root.join("src");
    sample(&src);
    let tree = add(&f.store, &src);
    let share = f.store.read_tree(&tree).unwrap().entries()[2]
        .subtree()
        .unwrap();
    let doc = f.store.read_tree(&share).unwrap().entries()[0]
        .subtree()
        .unwrap();
    // What a gc killed after removing one subtree leaves behind.
    fs::remove_file(f.store.tree_path(&doc)).unwrap();
    let report = f.store.fsck(false).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.incomplete, [format!("tree {share}")]);
    let repaired = f.store.fsck(true).unwrap();
    assert!(
        repaired.is_clean() && repaired.incomplete.is_empty(),
        "{repaired:?}"
    );
    assert!(
        !f.store.has_tree(&share) && !f.store.has_tree(&tree),
        "the parents went too, round by round"
    );

    // The same hole in a tree a gc root keeps is damage.
    let tree = add(&f.store, &src);
    f.store.set_root("keep", GcRoot::Tree(tree)).unwrap();
    fs::remove_file(f.store.tree_path(&doc)).unwrap();
    let report = f.store.fsck(false).unwrap();
    assert!(
        !report.is_clean() && report.incomplete.is_empty(),
        "{report:?}"
    );
}

/// The local directory store passes the storage roles' conformance suite.
#[test]
fn the_local_store_conforms() {
    let f = fixture();
    let store = &f.store;
    crate::conformance::content_store(store, &|kind, id| {
        let path = match kind {
            BlobKind::Object(_) => store.object_path(&ObjectId(*id)),
            BlobKind::Tree => store.tree_path(&TreeId(*id)),
            BlobKind::Commit => store.commit_path(&CommitId(*id)),
            BlobKind::Log => store.log_path(&LogId(*id)),
        };
        let mode = fs::metadata(&path).unwrap().permissions();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        bytes[0] ^= 1;
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, mode).unwrap();
    });
    crate::conformance::ref_store(store);
}

/// So does the in-memory reference implementation.
#[test]
fn the_memory_store_conforms() {
    let store = MemoryStore::new();
    crate::conformance::content_store(&store, &|kind, id| {
        assert!(store.damage(kind, id, |b| b[0] ^= 1));
    });
    crate::conformance::ref_store(&store);
}
