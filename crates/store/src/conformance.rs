//! The one conformance suite every implementation of the storage roles
//! must pass: the local directory and the in-memory store run it in this
//! crate's tests; a remote implementation (S3, HTTP, REAPI CAS) runs it
//! from its own tests with the `conformance` feature. Each function
//! panics at the first broken contract, naming it.

use std::collections::BTreeMap;
use std::sync::Barrier;

use crate::commit::Commit;
use crate::error::StoreError;
use crate::id::{CommitId, Hash, TreeId};
use crate::object::ObjectKind;
use crate::refs::RefName;
use crate::role::{BlobKind, ContentStore, RefStore};
use crate::tree::{Entry, EntryKind, Tree};

fn hex(h: &Hash) -> String {
    h.to_hex()
}

/// The contracts of [`ContentStore`]. `damage` must change the stored
/// bytes of the blob it is given (keeping its length), the way a bad
/// disk or server would.
pub fn content_store(s: &dyn ContentStore, damage: &dyn Fn(BlobKind, &Hash)) {
    let file = BlobKind::Object(ObjectKind::File);
    // Ids are the ones FORMAT.md pins, whatever the implementation.
    let hello = s.put(file, b"hello\n").expect("put an object");
    assert_eq!(
        hex(&hello),
        "94c2db1d6f80676d84110c6121f616cfa694fe755fbcf38211ade6b44f00c9da",
        "an object's id is blake3(\"grove/blob\\0\" ‖ content)"
    );
    assert_eq!(
        s.put(file, b"hello\n").unwrap(),
        hello,
        "a put is idempotent"
    );
    assert!(s.contains(file, &hello).unwrap());
    assert_eq!(
        s.get(file, &hello).unwrap().as_deref(),
        Some(&b"hello\n"[..])
    );
    let exec = BlobKind::Object(ObjectKind::Exec);
    assert_eq!(
        s.get(exec, &hello).unwrap(),
        None,
        "the kind is part of the name"
    );
    let link = BlobKind::Object(ObjectKind::Symlink);
    let l = s.put(link, b"../lib/libz.so.1").unwrap();
    assert_eq!(
        s.get(link, &l).unwrap().as_deref(),
        Some(&b"../lib/libz.so.1"[..])
    );
    let empty = s.put(file, b"").unwrap();
    assert_eq!(s.get(file, &empty).unwrap().as_deref(), Some(&b""[..]));
    let absent = Hash([0x5a; 32]);
    assert_eq!(s.get(file, &absent).unwrap(), None);
    assert!(!s.contains(file, &absent).unwrap());

    let tree = Tree::new(vec![Entry {
        name: b"hello".to_vec(),
        kind: EntryKind::File,
        hash: hello,
        size: 6,
    }])
    .unwrap();
    let t = s.put(BlobKind::Tree, &tree.encode()).expect("put a tree");
    assert_eq!(
        hex(&t),
        "ff3d10292c671582160a5044580fc49b40c303279c9e225c1f5d89df89fca576",
        "a tree's id is blake3 of its canonical manifest"
    );
    assert_eq!(s.get(BlobKind::Tree, &t).unwrap(), Some(tree.encode()));
    let e = s.put(BlobKind::Tree, &Tree::default().encode()).unwrap();
    assert_eq!(
        hex(&e),
        "117008a410b77419d63545f7fd0f229507fbf6b977e3a9176f83058063ccd84c"
    );
    let mut unsorted = Tree::default().encode();
    for name in [b"b", b"a"] {
        unsorted.push(b'f');
        unsorted.extend_from_slice(&hello.0);
        unsorted.extend_from_slice(&6u64.to_le_bytes());
        unsorted.extend_from_slice(&1u32.to_le_bytes());
        unsorted.extend_from_slice(name);
    }
    let refused = s.put(BlobKind::Tree, &unsorted).unwrap_err();
    assert!(
        matches!(refused, StoreError::Malformed { .. }),
        "a tree that is not canonical is refused: {refused}"
    );

    let c = commit(TreeId(t), None, "first");
    let id = s
        .put(BlobKind::Commit, c.encode().as_bytes())
        .expect("put a commit");
    assert_eq!(id, c.id().0);
    assert_eq!(
        s.get(BlobKind::Commit, &id).unwrap(),
        Some(c.encode().into_bytes())
    );
    let refused = s
        .put(BlobKind::Commit, b"grove-commit 1\nsubject x\n")
        .unwrap_err();
    assert!(matches!(refused, StoreError::Malformed { .. }), "{refused}");

    let log = s.put(BlobKind::Log, b"make: done\n").unwrap();
    assert_eq!(log, Hash::of(b"grove/log\0", b"make: done\n"));
    assert_eq!(
        s.get(BlobKind::Log, &log).unwrap().as_deref(),
        Some(&b"make: done\n"[..])
    );

    // Never wrong bytes: damage is an error, not content.
    let victim = s.put(file, b"a blob to damage\n").unwrap();
    damage(file, &victim);
    match s.get(file, &victim) {
        Err(StoreError::Corrupt { .. }) => {}
        other => panic!("a damaged blob must be reported as corrupt, got {other:?}"),
    }
}

fn commit(tree: TreeId, parent: Option<CommitId>, subject: &str) -> Commit {
    Commit {
        tree,
        parent,
        subject: subject.into(),
        time: 0,
        artifacts: vec![],
        meta: BTreeMap::new(),
    }
}

fn name(n: &str) -> RefName {
    RefName::parse(n).expect("a valid ref name")
}

/// The contracts of [`RefStore`], on a store that also holds the commits
/// refs point at.
pub fn ref_store<S: ContentStore + RefStore>(s: &S) {
    let t = s.put(BlobKind::Tree, &Tree::default().encode()).unwrap();
    let mut commits = Vec::new();
    let mut parent = None;
    for i in 0..30 {
        let c = commit(TreeId(t), parent, &format!("c{i}"));
        let id = CommitId(s.put(BlobKind::Commit, c.encode().as_bytes()).unwrap());
        commits.push(id);
        parent = Some(id);
    }
    let rt = name("gnome/3.2/runtime");
    assert_eq!(s.read_ref(&rt).unwrap(), None);
    assert_eq!(s.ref_history(&rt).unwrap(), vec![]);
    assert_eq!(
        s.update_ref(&rt, &commits[0], Some(None), "create")
            .unwrap(),
        None
    );
    assert_eq!(s.read_ref(&rt).unwrap(), Some(commits[0]));
    let moved = s
        .update_ref(&rt, &commits[1], Some(Some(commits[2])), "stale")
        .unwrap_err();
    assert!(matches!(moved, StoreError::RefMoved { .. }), "{moved}");
    assert_eq!(
        s.read_ref(&rt).unwrap(),
        Some(commits[0]),
        "a failed swap changes nothing"
    );
    let created_again = s
        .update_ref(&rt, &commits[1], Some(None), "create")
        .unwrap_err();
    assert!(matches!(created_again, StoreError::RefMoved { .. }));
    assert_eq!(
        s.update_ref(&rt, &commits[1], Some(Some(commits[0])), "next")
            .unwrap(),
        Some(commits[0])
    );
    assert_eq!(
        s.update_ref(&rt, &commits[2], None, "forced").unwrap(),
        Some(commits[1])
    );
    let history = s.ref_history(&rt).unwrap();
    let news: Vec<_> = history.iter().map(|e| e.new).collect();
    assert_eq!(news, commits[..3]);
    assert_eq!(history[0].old, None);
    for pair in history.windows(2) {
        assert_eq!(pair[1].old, Some(pair[0].new), "history lines chain");
    }
    assert_eq!(history[1].message, "next");

    let missing = CommitId(Hash([0x77; 32]));
    let refused = s
        .update_ref(&name("other"), &missing, None, "x")
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotFound { .. }), "{refused}");
    assert_eq!(s.read_ref(&name("other")).unwrap(), None);

    for conflicting in ["gnome/3.2", "gnome/3.2/runtime/opt"] {
        let e = s
            .update_ref(&name(conflicting), &commits[0], None, "x")
            .unwrap_err();
        assert!(
            matches!(e, StoreError::RefConflict { .. }),
            "{conflicting}: {e}"
        );
    }
    s.update_ref(&name("gnome/3.2/sdk"), &commits[3], None, "x")
        .unwrap();
    s.update_ref(&name("a"), &commits[4], None, "x").unwrap();
    let listed: Vec<_> = s
        .list_refs()
        .unwrap()
        .into_iter()
        .map(|(n, c)| (n.to_string(), c))
        .collect();
    assert_eq!(
        listed,
        [
            ("a".to_string(), commits[4]),
            ("gnome/3.2/runtime".to_string(), commits[2]),
            ("gnome/3.2/sdk".to_string(), commits[3]),
        ]
    );

    // Compare-and-swap under contention: of writers that all expect the
    // same value, exactly one wins.
    let race = name("race");
    s.update_ref(&race, &commits[0], Some(None), "start")
        .unwrap();
    for round in 0..3 {
        let current = s.read_ref(&race).unwrap();
        let barrier = Barrier::new(6);
        let wins = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|i| {
                    let (barrier, race) = (&barrier, &race);
                    let new = commits[10 + round * 6 + i];
                    scope.spawn(move || {
                        barrier.wait();
                        s.update_ref(race, &new, Some(current), "race").is_ok()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .filter(|won| *won)
                .count()
        });
        assert_eq!(wins, 1, "round {round}: exactly one compare-and-swap wins");
    }
    let history = s.ref_history(&race).unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history.last().map(|e| e.new), s.read_ref(&race).unwrap());
}
