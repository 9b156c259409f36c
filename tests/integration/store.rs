//! The store through the `grove` binary, on real files: real upstream
//! tarballs, hostile tarballs built entry by entry, processes killed at
//! random points, two processes at once, damaged objects.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Run, grove};

/// A store in a temp dir, and the one way tests run grove on it.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn store(&self) -> PathBuf {
        self.path("store")
    }

    /// Runs `grove --store STORE ARGS`.
    fn run(&self, args: &[&str]) -> Run {
        let store = self.store();
        let mut all = vec!["--store", store.to_str().expect("utf-8 temp path")];
        all.extend_from_slice(args);
        grove(self.dir.path(), &all)
    }

    /// Runs a command that must succeed; returns its stdout, trimmed.
    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "grove {args:?} failed:\n{}", r.stderr);
        r.stdout.trim().to_string()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// `fsck --json`, which must report a clean store.
    fn fsck_clean(&self) -> Value {
        let r = self.run(&["store", "fsck", "--json"]);
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|_| panic!("fsck output: {}\n{}", r.stdout, r.stderr));
        assert!(
            v["clean"].as_bool().unwrap() && r.code == 0,
            "fsck found damage: {v:#}"
        );
        v
    }

    fn tmp_entries(&self) -> usize {
        fs::read_dir(self.store().join("tmp")).map_or(0, |d| d.count())
    }
}

fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sources")
}

/// `count` small files in a few directories, some executable.
fn make_tree(root: &Path, count: usize, salt: &str) {
    for i in 0..count {
        let path = root.join(format!("d{}/e{}/f{i}", i % 7, i % 3));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("{salt} file {i}\n").repeat(1 + i % 40)).unwrap();
        if i % 11 == 0 {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

#[test]
fn real_tarballs_import_as_their_extracted_trees() {
    let f = Fixture::new();
    for name in [
        "hello_2.10.orig.tar.gz",
        "zlib_1.2.13.dfsg.orig.tar.bz2",
        "pkgconf_1.8.1.orig.tar.xz",
    ] {
        let tarball = sources().join(name);
        let from_tar = f.json(&["store", "add", tarball.to_str().unwrap()]);
        let out = f.path(&format!("x-{name}"));
        fs::create_dir(&out).unwrap();
        let status = Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&out)
            .status()
            .expect("tar runs");
        assert!(status.success());
        let from_dir = f.json(&["store", "add", out.to_str().unwrap()]);
        assert_eq!(
            from_tar["tree"], from_dir["tree"],
            "{name}: the tarball and its extraction are one tree"
        );
        assert_eq!(
            from_dir["new_objects"], 0,
            "{name}: nothing new the second time"
        );
        assert!(from_tar["files"].as_u64().unwrap() > 50);
    }
    // zstd: a tarball recompressed.
    let tar = flate2_free_gunzip(&sources().join("cjson_1.7.15.orig.tar.gz"));
    let zst = f.path("cjson.tar.zst");
    fs::write(&zst, zstd::bulk::compress(&tar, 3).unwrap()).unwrap();
    let plain = f.path("cjson.tar");
    fs::write(&plain, &tar).unwrap();
    assert_eq!(
        f.ok(&["store", "add", zst.to_str().unwrap()]),
        f.ok(&["store", "add", plain.to_str().unwrap()])
    );
    f.fsck_clean();
}

/// The uncompressed tar inside a .tar.gz, by the system's gzip.
fn flate2_free_gunzip(path: &Path) -> Vec<u8> {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .expect("gzip runs");
    assert!(out.status.success());
    out.stdout
}

/// One raw tar entry; names are written into the header as given, so
/// they can be everything the `tar` crate's checked setters refuse.
fn raw(
    builder: &mut tar::Builder<Vec<u8>>,
    kind: tar::EntryType,
    name: &str,
    link: &str,
    data: &[u8],
) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    let old = h.as_old_mut();
    old.name[..name.len()].copy_from_slice(name.as_bytes());
    old.linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_cksum();
    builder.append(&h, data).unwrap();
}

fn tarball(f: &Fixture, name: &str, build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> PathBuf {
    let mut b = tar::Builder::new(Vec::new());
    build(&mut b);
    let path = f.path(name);
    fs::write(&path, b.into_inner().unwrap()).unwrap();
    path
}

#[test]
fn hostile_tarballs_are_refused_entry_by_entry_and_nothing_stays() {
    use tar::EntryType::*;
    let f = Fixture::new();
    let evil = tarball(&f, "evil.tar", |b| {
        raw(b, Regular, "good.txt", "", b"fine\n");
        raw(b, Regular, "/etc/evil", "", b"x");
        raw(b, Regular, "../evil", "", b"x");
        raw(b, Regular, "a/../../evil2", "", b"x");
        raw(b, Symlink, "link", "/etc", b"");
        raw(b, Regular, "link/passwd", "", b"root::0:0::/:/bin/sh\n");
        raw(b, Symlink, "sub/up", "../..", b"");
        raw(b, Link, "hard", "/etc/shadow", b"");
        raw(b, Link, "hard2", "../outside", b"");
        raw(b, Char, "null", "", b"");
        raw(b, Block, "sda", "", b"");
        raw(b, Fifo, "pipe", "", b"");
    });
    let r = f.run(&["store", "add", evil.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("grove::store::unsafe_entry"),
        "{}",
        r.stderr
    );
    for (entry, why) in [
        ("/etc/evil", "an absolute path"),
        ("../evil", "contains `..`"),
        ("a/../../evil2", "contains `..`"),
        ("link", "an absolute target leads out of the tree"),
        ("link/passwd", "goes through the symlink `link`"),
        ("sub/up", "climbs above the root"),
        ("hard", "a hard link to `/etc/shadow`"),
        ("hard2", "a hard link to `../outside`"),
        ("null", "a character device node"),
        ("sda", "a block device node"),
        ("pipe", "a FIFO"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(&format!("`{entry}`:")))
            .unwrap_or_else(|| panic!("{entry} not named:\n{}", r.stderr));
        assert!(line.contains(why), "{entry}: {line}");
    }
    assert!(!r.stderr.contains("good.txt"));
    let fsck = f.fsck_clean();
    assert_eq!(
        (fsck["objects"].as_u64(), fsck["trees"].as_u64()),
        (Some(0), Some(0)),
        "nothing half-imported"
    );
    assert_eq!(f.tmp_entries(), 0);
    assert_eq!(fsck["temp_files"], 0, "no staged temp file stays anywhere");

    // Device nodes alone are let through (skipped, named) when allowed.
    let devices = tarball(&f, "devices.tar", |b| {
        raw(b, Regular, "dev/README", "", b"nodes\n");
        raw(b, Char, "dev/null", "", b"");
    });
    assert_eq!(f.run(&["store", "add", devices.to_str().unwrap()]).code, 2);
    let r = f.run(&["store", "add", "--allow-devices", devices.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("skipped `dev/null`: a character device node"),
        "{}",
        r.stderr
    );

    // A hard link to a file earlier in the archive is fine.
    let linked = tarball(&f, "linked.tar", |b| {
        raw(b, Regular, "a", "", b"same\n");
        raw(b, Link, "b", "a", b"");
    });
    f.ok(&["store", "add", linked.to_str().unwrap()]);
    let garbage = f.path("garbage.tar.gz");
    fs::write(&garbage, b"\x1f\x8bnot really gzip").unwrap();
    let r = f.run(&["store", "add", garbage.to_str().unwrap()]);
    assert!(
        r.code == 2 && r.stderr.contains("grove::store::bad_archive"),
        "{}",
        r.stderr
    );
}

/// A base sysroot with absolute symlinks: refused by default with the
/// entry named and the way to let it in; with the flag, added, checked
/// out as symlinks, exported and imported back.
#[test]
fn a_sysroot_with_absolute_symlinks_comes_in_only_on_request() {
    use tar::EntryType::*;
    let f = Fixture::new();
    let sysroot = tarball(&f, "sysroot.tar", |b| {
        raw(b, Regular, "usr/lib/libz.so.1", "", b"ELF");
        raw(b, Symlink, "usr/lib/libz.so", "/usr/lib/libz.so.1", b"");
        raw(b, Directory, "usr/bin/", "", b"");
        raw(b, Symlink, "bin", "/usr/bin", b"");
    });
    let path = sysroot.to_str().unwrap();
    let r = f.run(&["store", "add", path]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for entry in ["`bin`:", "`usr/lib/libz.so`:"] {
        let line = r.stderr.lines().find(|l| l.contains(entry));
        let line = line.unwrap_or_else(|| panic!("{entry} not named:\n{}", r.stderr));
        assert!(line.contains("--allow-absolute-symlinks"), "{line}");
    }
    let tree = f.ok(&["store", "add", "--allow-absolute-symlinks", path]);
    let out = f.path("checkout");
    f.ok(&["checkout", &tree, out.to_str().unwrap()]);
    assert_eq!(
        fs::read_link(out.join("bin")).unwrap(),
        Path::new("/usr/bin")
    );
    assert_eq!(
        fs::read_link(out.join("usr/lib/libz.so")).unwrap(),
        Path::new("/usr/lib/libz.so.1")
    );

    let drv = "5e".repeat(32);
    let meta = [
        "--recipe",
        "base",
        "--recipe-version",
        "1",
        "--series",
        "3.2",
    ];
    let output = format!("runtime={path}");
    let add = [
        &["artifact", "add", &drv, "--output", &output][..],
        &meta[..],
    ]
    .concat();
    assert_eq!(f.run(&add).code, 2, "an output is checked the same way");
    f.ok(&[&add[..], &["--allow-absolute-symlinks"][..]].concat());
    let exported = f.json(&[
        "artifact",
        "export",
        &drv,
        "-o",
        f.path("exported").to_str().unwrap(),
    ]);
    let file = exported["files"][0].as_str().unwrap().to_string();
    let other = Fixture::new();
    assert_eq!(other.run(&["artifact", "import", &file]).code, 2);
    other.ok(&["artifact", "import", "--allow-absolute-symlinks", &file]);
    other.fsck_clean();
}

/// A small, seeded pseudo-random sequence: each run prints its seed so a
/// failure can be replayed with GROVE_CRASH_SEED.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("GROVE_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("crash test seed: {seed} (set GROVE_CRASH_SEED to replay)");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn iterations() -> usize {
    std::env::var("GROVE_CRASH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

/// Starts `grove --store STORE ARGS`, kills it with SIGKILL after `delay`
/// (if it is still running); whether it was killed.
fn kill_after(f: &Fixture, args: &[&str], delay: Duration) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grove"))
        .arg("--store")
        .arg(f.store())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("grove starts");
    std::thread::sleep(delay);
    let killed = matches!(child.try_wait(), Ok(None));
    let _ = child.kill();
    child.wait().unwrap();
    killed
}

fn time_of(f: &Fixture, args: &[&str]) -> Duration {
    let start = Instant::now();
    f.ok(args);
    start.elapsed()
}

#[test]
fn killed_at_random_points_the_store_stays_sound() {
    let f = Fixture::new();
    let mut rng = Rng::new();
    let n = iterations();

    // Mid-import: a tree of 300 files, new content each round; kills land
    // anywhere from start-up to the end of a whole import.
    let src = f.path("src");
    make_tree(&src, 300, "first");
    f.ok(&["store", "add", src.to_str().unwrap()]);
    make_tree(&src, 300, "second");
    let full = time_of(&f, &["store", "add", src.to_str().unwrap()]);
    let mut killed = 0;
    for i in 0..n {
        make_tree(&src, 300, &format!("round {i}"));
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64));
        killed += usize::from(kill_after(
            &f,
            &["store", "add", src.to_str().unwrap()],
            delay,
        ));
        f.fsck_clean();
        // gc after a crash: partial imports go, the store stays small.
        f.ok(&["gc"]);
    }
    eprintln!("store add: {killed} of {n} runs killed mid-way");
    assert!(
        killed > n / 4,
        "too few kills landed inside the import ({killed} of {n})"
    );

    // Mid-ref-update: the ref is always the old or the new commit.
    let tree = f.ok(&[
        "store",
        "add",
        sources()
            .join("zlib_1.2.13.dfsg.orig.tar.bz2")
            .to_str()
            .unwrap(),
    ]);
    let mut commits = Vec::new();
    for i in 0..4 {
        commits.push(f.ok(&["store", "commit", &tree, "-m", &format!("c{i}")]));
    }
    f.ok(&["ref", "set", "gnome/3.2/runtime", &commits[0]]);
    let one = time_of(&f, &["ref", "set", "gnome/3.2/runtime", &commits[0]]);
    let mut current = commits[0].clone();
    let mut landed = 0;
    for i in 0..n {
        let next = commits[(i % 3) + 1].clone();
        let next = if next == current {
            commits[0].clone()
        } else {
            next
        };
        let delay = Duration::from_micros(rng.below(one.as_micros() as u64 * 2));
        let args = [
            "ref",
            "set",
            "gnome/3.2/runtime",
            next.as_str(),
            "--expect",
            current.as_str(),
        ];
        landed += usize::from(kill_after(&f, &args, delay));
        let now = f.ok(&["ref", "show", "gnome/3.2/runtime"]);
        assert!(
            now == current || now == next,
            "the ref is {now}: neither {current} nor {next}"
        );
        let fsck = f.fsck_clean();
        if i % 10 == 9 {
            f.ok(&["store", "fsck", "--repair"]);
            let after = f.fsck_clean();
            assert!(
                after["temp_files"] == 0
                    && after["interrupted_updates"].as_array().unwrap().is_empty(),
                "{fsck:#}"
            );
            let history = f.json(&["ref", "log", "gnome/3.2/runtime"]);
            let last = history["entries"].as_array().unwrap().last().unwrap()["new"].clone();
            assert_eq!(
                last,
                Value::String(now.clone()),
                "after repair the history ends at the ref's value"
            );
            // Every line starts where the one before ended: no line of an
            // update that never happened is left anywhere in the history.
            let entries = history["entries"].as_array().unwrap();
            for pair in entries.windows(2) {
                assert_eq!(pair[0]["new"], pair[1]["old"], "{history:#}");
            }
        }
        current = now;
    }
    eprintln!("ref set: {landed} of {n} runs killed before finishing");

    // Mid-gc and mid-import of an exported artifact: what refs reach stays,
    // and an artifact is recorded whole or not at all.
    let drv = "cd".repeat(32);
    let meta = [
        "--recipe",
        "zlib",
        "--recipe-version",
        "1",
        "--series",
        "3.2",
    ];
    let out = format!("runtime={}", src.display());
    f.ok(&[&["artifact", "add", &drv, "--output", &out][..], &meta[..]].concat());
    let exported = f.json(&[
        "artifact",
        "export",
        &drv,
        "-o",
        f.path("exported").to_str().unwrap(),
    ]);
    let file = exported["files"][0].as_str().unwrap().to_string();
    let other = Fixture::new();
    other.ok(&["store", "fsck"]);
    let import = time_of(&other, &["artifact", "import", &file]);
    let mut gc_killed = 0;
    let mut import_killed = 0;
    for i in 0..n / 2 {
        make_tree(&src, 100, &format!("garbage {i}"));
        f.ok(&["store", "add", src.to_str().unwrap()]);
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64));
        gc_killed += usize::from(kill_after(&f, &["gc"], delay));
        f.fsck_clean();
        assert_eq!(f.ok(&["ref", "show", "gnome/3.2/runtime"]), current);

        let fresh = Fixture::new();
        fresh.ok(&["store", "fsck"]);
        let delay = Duration::from_micros(rng.below(import.as_micros() as u64));
        import_killed += usize::from(kill_after(&fresh, &["artifact", "import", &file], delay));
        let fsck = fresh.fsck_clean();
        assert!(fsck["artifacts"] == 0 || fsck["artifacts"] == 1);
        if fsck["artifacts"] == 1 {
            assert_eq!(
                fresh.json(&["artifact", "show", &drv])["artifact"]["outputs"][0]["name"],
                "runtime"
            );
        }
    }
    eprintln!(
        "gc: {gc_killed} of {}, artifact import: {import_killed} of {} runs killed before finishing",
        n / 2,
        n / 2
    );

    f.ok(&["store", "fsck", "--repair"]);
    let end = f.fsck_clean();
    assert_eq!(end["temp_files"], 0);
    f.json(&["gc"]);
    f.fsck_clean();
}

#[test]
fn two_processes_on_one_store_do_the_work_once() {
    let f = Fixture::new();
    let out = f.path("out");
    make_tree(&out, 3000, "shared");
    let drv = "ab".repeat(32);
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_grove"))
            .arg("--store")
            .arg(f.store())
            .args([
                "artifact",
                "add",
                &drv,
                "--recipe",
                "zlib",
                "--recipe-version",
                "1.2.13",
                "--series",
                "3.2",
                "--json",
            ])
            .arg("--output")
            .arg(format!("runtime={}", out.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("grove starts")
    };
    // The store exists before the race, so both processes open it the same way.
    f.ok(&["store", "fsck"]);
    let (a, b) = (spawn(), spawn());
    let results: Vec<Value> = [a, b]
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            serde_json::from_slice(&o.stdout).unwrap()
        })
        .collect();
    let new: Vec<bool> = results
        .iter()
        .map(|r| r["new"].as_bool().unwrap())
        .collect();
    assert_eq!(
        new.iter().filter(|n| **n).count(),
        1,
        "exactly one process recorded the artifact: {new:?}"
    );
    assert_eq!(results[0]["artifact"], results[1]["artifact"]);
    f.fsck_clean();

    // A process that has to wait says what for.
    let lock = f.store().join("lock");
    let mut holder = Command::new("flock")
        .arg(&lock)
        .args(["sleep", "1"])
        .spawn()
        .expect("flock(1) runs");
    std::thread::sleep(Duration::from_millis(200));
    let r = f.run(&["gc"]);
    holder.wait().unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("waiting for the lock on the store"),
        "{}",
        r.stderr
    );
}

fn flip_byte(path: &Path, at: usize) {
    let mode = fs::metadata(path).unwrap().permissions();
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
    let mut bytes = fs::read(path).unwrap();
    let at = at % bytes.len();
    bytes[at] ^= 0x01;
    fs::write(path, bytes).unwrap();
    fs::set_permissions(path, mode).unwrap();
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn fsck_finds_a_flipped_byte_anywhere() {
    let f = Fixture::new();
    let tarball = sources().join("lua5.4_5.4.4.orig.tar.gz");
    let tree = f.ok(&["store", "add", tarball.to_str().unwrap()]);
    f.ok(&["store", "commit", &tree, "-m", "lua", "--ref", "lua/main"]);
    f.fsck_clean();
    let mut victims = files_under(&f.store().join("objects"))
        .into_iter()
        .filter(|p| p.is_file() && !p.is_symlink())
        .step_by(5)
        .collect::<Vec<_>>();
    victims.extend(files_under(&f.store().join("trees")).into_iter().step_by(3));
    victims.extend(files_under(&f.store().join("commits")));
    for (i, victim) in victims.iter().enumerate() {
        flip_byte(victim, i * 7919);
        let r = f.run(&["store", "fsck", "--json"]);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            (r.code, v["clean"].as_bool()),
            (2, Some(false)),
            "a flipped byte in {} went unnoticed",
            victim.display()
        );
        let named = v["problems"].as_array().unwrap().iter().any(|p| {
            p["name"]
                .as_str()
                .unwrap()
                .contains(victim.to_str().unwrap())
        });
        assert!(named, "{}: {v:#}", victim.display());
        flip_byte(victim, i * 7919);
    }
    assert!(victims.len() > 10);
    f.fsck_clean();

    // Repair drops the damaged object; adding the content again heals.
    flip_byte(&victims[0], 3);
    let r = f.run(&["store", "fsck", "--repair"]);
    assert_eq!(
        r.code, 2,
        "the content is gone until re-added:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("repaired: removed corrupt object"),
        "{}",
        r.stdout
    );
    f.ok(&["store", "add", tarball.to_str().unwrap()]);
    f.fsck_clean();
}

#[test]
fn gc_keeps_refs_and_roots_and_reports_space_freed() {
    let f = Fixture::new();
    let (a, b, c) = (f.path("a"), f.path("b"), f.path("c"));
    make_tree(&a, 200, "a");
    make_tree(&b, 200, "b");
    make_tree(&c, 200, "c");
    let ta = f.ok(&["store", "add", a.to_str().unwrap()]);
    let tb = f.ok(&["store", "add", "--root", "keep-b", b.to_str().unwrap()]);
    let tc = f.ok(&["store", "add", c.to_str().unwrap()]);
    f.ok(&["store", "commit", &ta, "-m", "a", "--ref", "roots/a"]);
    let dry = f.json(&["gc", "--dry-run"]);
    assert!(
        dry["removed"].as_u64().unwrap() > 0 && dry["freed_bytes"].as_u64().unwrap() > 20_000,
        "{dry:#}"
    );
    assert_eq!(
        f.run(&["checkout", &tc, f.path("c-still").to_str().unwrap()])
            .code,
        0,
        "a dry run removes nothing"
    );
    let real = f.json(&["gc"]);
    assert_eq!(
        (real["removed"].clone(), real["freed_bytes"].clone()),
        (dry["removed"].clone(), dry["freed_bytes"].clone())
    );
    assert_eq!(
        f.run(&["checkout", &tc, f.path("c-gone").to_str().unwrap()])
            .code,
        1,
        "unreachable trees are gone"
    );
    for (tree, dest) in [(&ta, "a-co"), (&tb, "b-co")] {
        f.ok(&["checkout", tree, f.path(dest).to_str().unwrap()]);
    }
    assert_eq!(
        f.ok(&["store", "add", f.path("b-co").to_str().unwrap()]),
        tb
    );
    let fsck = f.fsck_clean();
    assert_eq!(fsck["unreachable"], 0);
    assert_eq!(f.json(&["gc"])["removed"], 0);
    f.ok(&["store", "unroot", "keep-b"]);
    assert!(f.json(&["gc"])["removed"].as_u64().unwrap() > 0);
}

fn add_artifact(f: &Fixture, drv: &str, out: &Path) -> Value {
    let log = f.path("build.log");
    fs::write(&log, "checking for gcc... gcc\nmake: done\n").unwrap();
    f.json(&[
        "artifact",
        "add",
        drv,
        "--recipe",
        "zlib",
        "--recipe-version",
        "1.2.13",
        "--series",
        "3.2",
        "--flavor",
        "opt",
        "--arch",
        "x86_64",
        "--origin",
        "master",
        "--log",
        log.to_str().unwrap(),
        "--output",
        &format!("runtime={}", out.join("runtime").display()),
        "--output",
        &format!("devel={}", out.join("devel").display()),
    ])
}

#[test]
fn export_is_bit_identical_and_import_verifies() {
    let f = Fixture::new();
    let out = f.path("build");
    let status = Command::new("tar")
        .arg("-xf")
        .arg(sources().join("zlib_1.2.13.dfsg.orig.tar.bz2"))
        .arg("-C")
        .arg(f.path(""))
        .status()
        .unwrap();
    assert!(status.success());
    fs::create_dir_all(out.join("devel/include")).unwrap();
    fs::rename(f.path("zlib-1.2.13.dfsg"), out.join("runtime")).unwrap();
    fs::copy(out.join("runtime/zlib.h"), out.join("devel/include/zlib.h")).unwrap();
    let drv = "0123456789abcdef".repeat(4);
    let added = add_artifact(&f, &drv, &out);
    assert_eq!(added["new"], true);

    let one = f.json(&[
        "artifact",
        "export",
        &drv,
        "-o",
        f.path("one").to_str().unwrap(),
    ]);
    let two = f.json(&[
        "artifact",
        "export",
        &drv,
        "-o",
        f.path("two").to_str().unwrap(),
    ]);
    let names: Vec<String> = one["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            Path::new(p.as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "zlib-devel,o=master,r=3.2-opt-x86_64,b=opt,v=1.2.13,.tar.zst",
            "zlib-runtime,o=master,r=3.2-opt-x86_64,b=opt,v=1.2.13,.tar.zst"
        ]
    );
    for (x, y) in one["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip(two["files"].as_array().unwrap())
    {
        assert_eq!(
            fs::read(x.as_str().unwrap()).unwrap(),
            fs::read(y.as_str().unwrap()).unwrap(),
            "exports differ"
        );
    }
    // Deterministic headers: zero ids, no names, the epoch as mtime.
    let runtime = one["files"][1].as_str().unwrap().to_string();
    let tar = zstd::stream::decode_all(&fs::read(&runtime).unwrap()[..]).unwrap();
    let mut archive = tar::Archive::new(&tar[..]);
    let mut paths = Vec::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(
            (h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap()),
            (0, 0, 0)
        );
        assert_eq!(
            (h.username_bytes(), h.groupname_bytes()),
            (Some(&b""[..]), Some(&b""[..]))
        );
        paths.push(e.path().unwrap().display().to_string());
    }
    assert_eq!(&paths[..2], [".grove-artifact", ".grove-log"]);

    // Another store imports both outputs and ends up with the same artifact.
    let other = Fixture::new();
    let first = other.json(&["artifact", "import", one["files"][0].as_str().unwrap()]);
    assert_eq!(
        (first["recorded"].clone(), first["missing_outputs"].clone()),
        (Value::Bool(false), serde_json::json!(["runtime"]))
    );
    let second = other.json(&["artifact", "import", &runtime]);
    assert_eq!(second["recorded"], true);
    assert_eq!(
        other.json(&["artifact", "show", &drv])["artifact"],
        added["artifact"]
    );
    assert_eq!(
        other.ok(&["artifact", "log", &drv]),
        "checking for gcc... gcc\nmake: done"
    );
    other.fsck_clean();
    // Re-exported from there, the files are the same bytes again.
    let three = other.json(&[
        "artifact",
        "export",
        &drv,
        "-o",
        other.path("three").to_str().unwrap(),
    ]);
    assert_eq!(
        fs::read(three["files"][1].as_str().unwrap()).unwrap(),
        fs::read(&runtime).unwrap()
    );

    // A changed byte inside does not verify, and nothing is kept.
    let mut tar = tar;
    let at = tar
        .windows(9)
        .position(|w| w == b"zlib.h --")
        .expect("zlib.h's first line");
    tar[at] ^= 0x20;
    let tampered = f.path("tampered.tar.zst");
    fs::write(&tampered, zstd::bulk::compress(&tar, 3).unwrap()).unwrap();
    let third = Fixture::new();
    let r = third.run(&["artifact", "import", tampered.to_str().unwrap()]);
    assert!(
        r.code == 2 && r.stderr.contains("grove::store::verify"),
        "{}",
        r.stderr
    );
    assert_eq!(third.fsck_clean()["objects"], 0);

    // SOURCE_DATE_EPOCH sets the mtime, so it changes the bytes.
    let out = Command::new(env!("CARGO_BIN_EXE_grove"))
        .args([
            "--store",
            f.store().to_str().unwrap(),
            "artifact",
            "export",
            &drv,
            "-o",
            f.path("epoch").to_str().unwrap(),
        ])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success());
    let epoch_file = f.path("epoch").join(&names[1]);
    assert_ne!(fs::read(epoch_file).unwrap(), fs::read(&runtime).unwrap());
}

#[test]
fn checkout_hardlinks_the_store_and_never_half_exists() {
    let f = Fixture::new();
    let tree = f.ok(&[
        "store",
        "add",
        sources().join("hello_2.10.orig.tar.gz").to_str().unwrap(),
    ]);
    let commit = f.ok(&[
        "store",
        "commit",
        &tree,
        "-m",
        "hello",
        "--ref",
        "apps/hello",
    ]);
    let dest = f.path("co");
    let report = f.json(&["checkout", "apps/hello", dest.to_str().unwrap()]);
    assert_eq!(
        (report["tree"].as_str(), report["copied"].as_u64()),
        (Some(tree.as_str()), Some(0))
    );
    let objects: std::collections::HashSet<u64> = files_under(&f.store().join("objects"))
        .iter()
        .map(|p| fs::symlink_metadata(p).unwrap().ino())
        .collect();
    let checked_out = files_under(&dest);
    assert_eq!(checked_out.len() as u64, report["files"].as_u64().unwrap());
    for p in &checked_out {
        assert!(
            objects.contains(&fs::symlink_metadata(p).unwrap().ino()),
            "{} is not a hardlink into the store",
            p.display()
        );
    }
    let hello_c = dest.join("hello-2.10/src/hello.c");
    assert_eq!(
        fs::read(&hello_c).unwrap().len(),
        fs::metadata(&hello_c).unwrap().len() as usize
    );
    assert!(
        fs::read_to_string(&hello_c)
            .unwrap()
            .contains("Hello, world!")
    );
    assert_eq!(
        fs::metadata(dest.join("hello-2.10/configure"))
            .unwrap()
            .mode()
            & 0o111,
        0o111
    );

    // By commit id too; an existing, non-empty destination is refused.
    f.ok(&["checkout", &commit, f.path("by-commit").to_str().unwrap()]);
    let r = f.run(&["checkout", &tree, dest.to_str().unwrap()]);
    assert!(
        r.code == 2 && r.stderr.contains("grove::store::exists"),
        "{}",
        r.stderr
    );
    // Names that do not exist exit 1; no temp directory stays beside.
    assert_eq!(
        f.run(&["checkout", "apps/nope", f.path("nope").to_str().unwrap()])
            .code,
        1
    );
    let beside: Vec<_> = fs::read_dir(f.path(""))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        beside.iter().all(|n| !n.contains("grove-checkout")),
        "{beside:?}"
    );
}

#[test]
fn the_store_is_found_from_flag_env_grove_conf_or_xdg() {
    let f = Fixture::new();
    let data = f.path("data");
    let run = |dir: &Path, env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_grove"));
        c.args(["store", "fsck"])
            .current_dir(dir)
            .env("XDG_DATA_HOME", &data)
            .env_remove("GROVE_STORE");
        if let Some(e) = env {
            c.env("GROVE_STORE", e);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let plain = f.path("plain");
    fs::create_dir(&plain).unwrap();
    run(&plain, None);
    assert!(data.join("grove/store/grove-store").is_file());
    let ws = f.path("ws/sub");
    fs::create_dir_all(&ws).unwrap();
    fs::write(
        f.path("ws/grove.conf"),
        "STORE_DIR = \"stores\"\nGROVE_STORE = \"${STORE_DIR}/main\"\n",
    )
    .unwrap();
    run(&ws, None);
    assert!(
        f.path("ws/stores/main/grove-store").is_file(),
        "grove.conf's GROVE_STORE, relative to it"
    );
    run(&ws, Some(f.path("from-env").to_str().unwrap()));
    assert!(
        f.path("from-env/grove-store").is_file(),
        "the environment wins over grove.conf"
    );
    fs::write(
        f.path("ws/grove.conf"),
        "GROVE_STORE = \"${GROVE_STORE}\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_grove"))
        .args(["store", "fsck"])
        .current_dir(&ws)
        .env_remove("GROVE_STORE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a grove.conf that cannot be evaluated is an error, not another store"
    );
}
