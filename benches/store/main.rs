//! The store benchmark: the four measurements of issue 4, each beside the
//! tool it is compared with. A plain `main` (`harness = false`); figures
//! are wall-clock seconds of one run each, page cache warm (the sources
//! were just written), on the file system of `GROVE_BENCH_DIR`.
//!
//! 1. **ingest** a tree of `GROVE_BENCH_FILES` (default 100,000) small
//!    files of 1–8 KiB into a fresh store, against `b3sum` over the same
//!    files plus `cp -al` of the tree (the target: within 2x), and
//!    `ostree commit` into a fresh bare-user repository;
//!    The same with `consume` (the directory handed over, its files
//!    adopted as objects: no byte copied), from a `cp -a` copy made
//!    untimed just before;
//! 2. **re-ingest** the unchanged tree (should be near free);
//! 3. **ingest** a tree of a few large files (4 x 64 MiB), copied and
//!    consumed;
//! 4. **checkout** the small-file tree with hardlinks, against
//!    `ostree checkout -U -H` of the same tree (target: as fast);
//! 5. **export/import** an artifact of about 200 MB (the large files, which
//!    compress about 3:1), against `tar -c | zstd -3` of the same files
//!    (target: as fast).
//!
//! Environment: `GROVE_BENCH_FILES=N`; `GROVE_BENCH_DIR=DIR` (default: a
//! temporary directory beside the target directory, removed at the end);
//! `RAYON_NUM_THREADS=N`. External tools missing from `PATH` are skipped
//! and reported as such.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use grove_store::{Access, Artifact, DrvId, Hash, ImportOptions, Output, Store};

const LARGE_FILES: usize = 4;
const LARGE_SIZE: usize = 64 << 20;

fn main() {
    let files: usize = std::env::var("GROVE_BENCH_FILES")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let (_keep, base) = match std::env::var_os("GROVE_BENCH_DIR") {
        Some(d) => (None, PathBuf::from(d)),
        None => {
            let t = tempfile::tempdir_in(std::env::temp_dir()).expect("temp dir");
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    fs::create_dir_all(&base).unwrap();
    let small = base.join("small");
    let large = base.join("large");
    if !small.exists() {
        let t = Instant::now();
        generate_small(&small, files);
        eprintln!(
            "generated {files} small files in {:.1}s",
            t.elapsed().as_secs_f64()
        );
    }
    if !large.exists() {
        generate_large(&large);
    }
    let bytes = du(&small);
    println!(
        "# store benchmark: {files} files ({:.0} MiB), {} x {} MiB",
        bytes as f64 / 1048576.0,
        LARGE_FILES,
        LARGE_SIZE >> 20
    );
    println!("| measurement | grove | comparison | comparison time |");
    println!("|---|---|---|---|");

    let store_dir = base.join("store");
    let _ = fs::remove_dir_all(&store_dir);
    let store = Store::open_with(&store_dir, Access::Exclusive, None).unwrap();
    let opts = ImportOptions::default();

    let (ingest, imported) = timed(|| store.import_path(&small, &opts).unwrap());
    let b3 = shell(
        &format!(
            "find {} -type f -print0 | xargs -0 -P2 -n 2000 b3sum > /dev/null",
            small.display()
        ),
        "b3sum",
    );
    let _ = fs::remove_dir_all(base.join("cp-al"));
    let cpal = shell(
        &format!(
            "cp -al {} {}",
            small.display(),
            base.join("cp-al").display()
        ),
        "cp",
    );
    let baseline = match (b3, cpal) {
        (Some(a), Some(b)) => format!("{:.2}s ({a:.2} + {b:.2})", a + b),
        _ => "tools missing".into(),
    };
    row("ingest small files", ingest, "b3sum + cp -al", &baseline);
    let ostree_repo = base.join("ostree");
    let _ = fs::remove_dir_all(&ostree_repo);
    let ostree_commit = shell(
        &format!(
            "ostree --repo={} init --mode=bare-user",
            ostree_repo.display()
        ),
        "ostree",
    )
    .and_then(|_| {
        shell(
            &format!(
                "ostree --repo={} commit -b bench --tree=dir={} > /dev/null",
                ostree_repo.display(),
                small.display()
            ),
            "ostree",
        )
    });
    row(
        "",
        ingest,
        "ostree commit (bare-user)",
        &secs(ostree_commit),
    );

    let consume = ImportOptions {
        consume: true,
        ..ImportOptions::default()
    };
    let handed = base.join("small-handed-over");
    let _ = fs::remove_dir_all(&handed);
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&small)
            .arg(&handed)
            .status()
            .unwrap()
            .success()
    );
    let fresh = Store::open_with(&base.join("store-consume"), Access::Exclusive, None).unwrap();
    let (consumed, c) = timed(|| fresh.import_path(&handed, &consume).unwrap());
    assert_eq!(c.tree, imported.tree);
    row(
        "ingest small files, --consume",
        consumed,
        "b3sum + cp -al",
        &baseline,
    );
    drop(fresh);
    let _ = fs::remove_dir_all(base.join("store-consume"));

    let (again, re) = timed(|| store.import_path(&small, &opts).unwrap());
    assert_eq!(re.tree, imported.tree);
    assert_eq!(re.new_objects, 0);
    row("re-ingest unchanged", again, "b3sum alone", &secs(b3));

    let co = base.join("checkout");
    let _ = fs::remove_dir_all(&co);
    let (checkout, _) = timed(|| store.checkout(&imported.tree, &co).unwrap());
    let ostree_co = base.join("ostree-checkout");
    let _ = fs::remove_dir_all(&ostree_co);
    let ostree_checkout = ostree_commit.and_then(|_| {
        shell(
            &format!(
                "ostree --repo={} checkout -U -H bench {}",
                ostree_repo.display(),
                ostree_co.display()
            ),
            "ostree",
        )
    });
    row(
        "hardlink checkout",
        checkout,
        "ostree checkout -U -H",
        &secs(ostree_checkout),
    );

    let (big, big_tree) = timed(|| store.import_path(&large, &opts).unwrap());
    let b3_large = shell(&format!("b3sum {}/* > /dev/null", large.display()), "b3sum");
    let _ = fs::remove_dir_all(base.join("cp-al-large"));
    let cp_large = shell(
        &format!(
            "cp -al {} {}",
            large.display(),
            base.join("cp-al-large").display()
        ),
        "cp",
    );
    let baseline = match (b3_large, cp_large) {
        (Some(a), Some(b)) => format!("{:.2}s ({a:.2} + {b:.2})", a + b),
        _ => "tools missing".into(),
    };
    row(
        &format!("ingest {LARGE_FILES} large files"),
        big,
        "b3sum + cp -al",
        &baseline,
    );
    let handed = base.join("large-handed-over");
    let _ = fs::remove_dir_all(&handed);
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&large)
            .arg(&handed)
            .status()
            .unwrap()
            .success()
    );
    let fresh = Store::open_with(&base.join("store-consume"), Access::Exclusive, None).unwrap();
    let (consumed, _) = timed(|| fresh.import_path(&handed, &consume).unwrap());
    row(
        &format!("ingest {LARGE_FILES} large files, --consume"),
        consumed,
        "b3sum + cp -al",
        &baseline,
    );
    drop(fresh);
    let _ = fs::remove_dir_all(base.join("store-consume"));

    let drv = DrvId(Hash([7; 32]));
    store
        .artifact_or_insert_with(&drv, |_| {
            Ok(Artifact {
                drv,
                recipe: "bench".into(),
                version: "1".into(),
                series: "1".into(),
                flavor: "opt".into(),
                arch: "x86_64".into(),
                origin: "bench".into(),
                built: 0,
                log: None,
                outputs: vec![Output {
                    name: "runtime".into(),
                    tree: big_tree.tree,
                    size: 0,
                }],
            })
        })
        .unwrap();
    let out = base.join("export");
    let _ = fs::remove_dir_all(&out);
    let (export, files) = timed(|| store.export_artifact(&drv, &out, 0).unwrap());
    let zstd = shell(
        &format!(
            "tar -C {} -cf - . | zstd -3 -q -c > {}/plain.tar.zst",
            large.display(),
            base.display()
        ),
        "zstd",
    );
    let exported = fs::metadata(&files[0]).unwrap().len();
    row(
        &format!(
            "export {:.0} MB artifact ({:.0} MB .tar.zst)",
            big_tree.bytes as f64 / 1e6,
            exported as f64 / 1e6
        ),
        export,
        "tar | zstd -3",
        &secs(zstd),
    );
    let other = Store::open_with(&base.join("store2"), Access::Exclusive, None).unwrap();
    let (import, _) = timed(|| other.import_artifact(&files[0]).unwrap());
    let unzstd = shell(
        &format!(
            "zstd -d -q -c {}/plain.tar.zst | tar -C {} -xf -",
            base.display(),
            mkdir(&base.join("untar")).display()
        ),
        "zstd",
    );
    row(
        "import it (verified)",
        import,
        "zstd -d | tar -x",
        &secs(unzstd),
    );
    std::io::stdout().flush().unwrap();
}

fn mkdir(p: &Path) -> PathBuf {
    let _ = fs::remove_dir_all(p);
    fs::create_dir_all(p).unwrap();
    p.to_path_buf()
}

/// Times `f` after flushing what earlier steps left dirty, so that no
/// measurement pays for another's writes.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    sync();
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64(), r)
}

fn secs(s: Option<f64>) -> String {
    s.map_or("tool missing".into(), |s| format!("{s:.2}s"))
}

fn row(what: &str, grove: f64, against: &str, theirs: &str) {
    println!("| {what} | {grove:.2}s | {against} | {theirs} |");
}

/// Times a shell pipeline; `None` if `tool` is not installed.
fn shell(cmd: &str, tool: &str) -> Option<f64> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .ok()?
        .success();
    if !found {
        eprintln!("{tool} is not installed; skipped `{cmd}`");
        return None;
    }
    sync();
    let t = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .expect("sh runs");
    assert!(status.success(), "`{cmd}` failed");
    Some(t.elapsed().as_secs_f64())
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `count` files of 1–8 KiB, 100 to a directory, two levels deep; every
/// tenth executable. Contents differ (no two files share an object).
fn generate_small(root: &Path, count: usize) {
    let mut rng = Rng(0x6772_6f76_6573_746f);
    for i in 0..count {
        let dir = root.join(format!("{:03}/{:02}", i / 1000, (i / 100) % 10));
        if i % 100 == 0 {
            fs::create_dir_all(&dir).unwrap();
        }
        let len = 1024 + (rng.next() % 7168) as usize;
        let mut buf = Vec::with_capacity(len);
        while buf.len() < len {
            buf.extend_from_slice(&rng.next().to_le_bytes());
        }
        buf.truncate(len);
        let path = dir.join(format!("file{i}"));
        fs::write(&path, &buf).unwrap();
        if i % 10 == 0 {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

/// A few large files of text-like data (words from a small random
/// vocabulary), which zstd compresses about 3:1, like build output.
fn generate_large(root: &Path) {
    fs::create_dir_all(root).unwrap();
    let mut rng = Rng(0x6c61_7267_6566_696c);
    let words: Vec<Vec<u8>> = (0..4096)
        .map(|_| {
            let n = 2 + rng.next() % 10;
            (0..n).map(|_| b'a' + (rng.next() % 26) as u8).collect()
        })
        .collect();
    for f in 0..LARGE_FILES {
        let mut buf = Vec::with_capacity(LARGE_SIZE + 16);
        while buf.len() < LARGE_SIZE {
            let r = rng.next();
            buf.extend_from_slice(&words[(r % 4096) as usize]);
            buf.push(if r >> 60 == 0 { b'\n' } else { b' ' });
        }
        buf.truncate(LARGE_SIZE);
        fs::write(root.join(format!("large{f}.bin")), &buf).unwrap();
    }
}

fn du(dir: &Path) -> u64 {
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap().flatten() {
        let m = e.metadata().unwrap();
        n += if m.is_dir() { du(&e.path()) } else { m.len() };
    }
    n
}

fn sync() {
    let _ = Command::new("sync").status();
}
