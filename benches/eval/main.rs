//! The evaluation and derivation benchmark: parse and evaluate a generated
//! workspace of realistic recipes (see `generate.rs`), in parallel, and
//! derive it to its hashed graph, the way a build would before scheduling
//! anything.
//!
//! A plain `main` (the target has `harness = false`), so the figures are
//! exactly these:
//!
//! - **eval**: every recipe parsed and evaluated alone (includes, classes,
//!   `EXPORT_FUNCTIONS`, finalize; each recipe reads the distribution's
//!   class itself), a fresh `Session` per iteration so no parse is reused
//!   between iterations (issue 2's figure);
//! - **eval+expand**: the same, plus `store.get` on every variable of every
//!   recipe, the honest "fully evaluated" figure;
//! - **configured**, **graph**, **matrix** and the runs of the `grove`
//!   binary (cold, first, no-op): the derivation, see `derive.rs`.
//!
//! Each is run `GROVE_BENCH_ITERATIONS` times (default 5) after one
//! untimed pass that also checks that every recipe evaluates and expands
//! without error (the benchmark exits non-zero otherwise). Peak memory is
//! `VmHWM` from `/proc/self/status`, which is process-wide, so it is also
//! measured for one iteration of each phase in a fresh process (the
//! benchmark re-executes itself).
//!
//! Environment:
//! - `GROVE_BENCH_RECIPES=N`: the number of recipes (default 10000);
//! - `GROVE_BENCH_SCALING=1`: run 1000, 10000 and 50000 recipes;
//! - `GROVE_BENCH_ITERATIONS=N`: timed iterations per phase (default 5);
//! - `GROVE_BENCH_FRESH=0`: skip the fresh-process memory runs;
//! - `GROVE_BENCH_DIR=DIR`: generate the layer into DIR and keep it
//!   (default: a temporary directory, removed at the end);
//! - `GROVE_BENCH_PHASES=eval,expand,configured,graph,matrix,cli`: which
//!   timed phases to run (default: all);
//! - `GROVE_BENCH_GROVE=PATH`: the `grove` binary to time (default: the one
//!   cargo built with this benchmark);
//! - `RAYON_NUM_THREADS=N`: the number of threads (default: all cores).

mod derive;
mod generate;


/// The same allocator as the `grove` binary, tuned as it is.
#[global_allocator]
static ALLOCATOR: alloc::Mimalloc = alloc::Mimalloc;

#[path = "../../src/alloc.rs"]
mod alloc;

use std::collections::HashMap;
use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use grove_eval::{Evaluated, FsLoader, Options, Session};
use rayon::prelude::*;

const SEED: u64 = 0x6772_6f76_6562_656e;
/// Set in the environment of a re-executed benchmark: the phase to measure.
const CHILD_ENV: &str = "GROVE_BENCH_CHILD";
const CHILD_LAYER_ENV: &str = "GROVE_BENCH_CHILD_LAYER";
/// The targets, for 10,000 recipes on 2 cores.
const TARGET_SECONDS: f64 = 0.5;
const TARGET_MB: f64 = 300.0;

fn env_usize(name: &str) -> Option<usize> {
    let v = env::var(name).ok()?;
    match v.trim().replace('_', "").parse() {
        Ok(n) => Some(n),
        Err(_) => {
            eprintln!("{name}={v} is not a number");
            std::process::exit(2);
        }
    }
}

fn main() -> ExitCode {
    alloc::tune();
    if let Ok(phase) = env::var(CHILD_ENV) {
        return child(&phase);
    }
    let sizes: Vec<usize> = if env::var("GROVE_BENCH_SCALING").is_ok_and(|v| v == "1") {
        vec![1_000, 10_000, 50_000]
    } else {
        vec![env_usize("GROVE_BENCH_RECIPES").unwrap_or(10_000)]
    };
    let iterations = env_usize("GROVE_BENCH_ITERATIONS").unwrap_or(5).max(1);
    let fresh = !env::var("GROVE_BENCH_FRESH").is_ok_and(|v| v == "0");
    let phases =
        env::var("GROVE_BENCH_PHASES").unwrap_or_else(|_| "eval,expand,configured,graph,matrix,cli".to_string());

    println!("grove evaluation benchmark");
    println!("threads: {}   iterations per phase: {iterations}   seed: {SEED:#x}", rayon::current_num_threads());
    let mut failed = false;
    for n in sizes {
        match run_size(n, iterations, fresh, &phases) {
            Ok(ok) => failed |= !ok,
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    println!();
    println!("peak RSS of this process (VmHWM, all sizes and iterations): {}", mb(vm_kib("VmHWM")));
    if failed {
        eprintln!("FAILED: some recipes did not evaluate (see above)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Generates `n` recipes and measures them. `Ok(false)` if any failed.
fn run_size(n: usize, iterations: usize, fresh: bool, phases: &str) -> std::io::Result<bool> {
    println!();
    println!("=== {n} recipes ===");
    let (_tmp, root) = match env::var("GROVE_BENCH_DIR") {
        Ok(dir) => {
            let root = PathBuf::from(dir).join(format!("layer-{n}"));
            if root.exists() {
                std::fs::remove_dir_all(&root)?;
            }
            std::fs::create_dir_all(&root)?;
            (None, root)
        }
        Err(_) => {
            let tmp = tempfile::Builder::new().prefix("grove-bench-").tempdir()?;
            let root = tmp.path().to_path_buf();
            (Some(tmp), root)
        }
    };
    let started = Instant::now();
    let layer = generate::generate(&root, n, SEED)?;
    let workspace = layer.workspace.canonicalize()?;
    let root = layer.root.canonicalize()?;
    let recipes: Vec<PathBuf> = layer.recipes.iter().map(|p| p.canonicalize()).collect::<Result<_, _>>()?;
    println!(
        "layer: {} ({} recipes, {} classes, {} includes; {} files, {} lines, {:.1} MB; generated in {})",
        root.display(),
        recipes.len(),
        layer.classes,
        layer.includes,
        layer.files,
        layer.lines,
        layer.bytes as f64 / 1e6,
        ms(started.elapsed()),
    );
    println!(
        "recipe files: {} lines, {:.1} on average (20-60 each); {} hand-written, {} native twins, {} second versions",
        layer.recipe_lines,
        layer.recipe_lines as f64 / recipes.len() as f64,
        layer.hubs,
        layer.natives,
        layer.versions,
    );

    // The untimed pass: everything must evaluate and expand.
    let census = census(&root, &recipes);
    println!(
        "per recipe: {:.1} files read ({:.0} lines incl. classes and includes), {:.0} variables, {:.0} KB expanded",
        census.files as f64 / census.recipes as f64,
        census.lines as f64 / census.recipes as f64,
        census.vars as f64 / census.recipes as f64,
        census.expanded_bytes as f64 / census.recipes as f64 / 1e3,
    );
    println!(
        "in all: {} files read, {} lines evaluated, {} variables expanded",
        census.files, census.lines, census.vars
    );
    if census.errors > 0 {
        eprintln!("{} of {} recipes failed:", census.errors, census.recipes);
        for e in &census.messages {
            eprintln!("  {e}");
        }
        return Ok(false);
    }

    let wants = |p: &str| phases.split(',').any(|x| x.trim() == p);
    if wants("eval") || wants("expand") {
        println!();
        println!(
            "{:<12} {:>10} {:>10} {:>10} {:>10} {:>11} {:>14} {:>11}",
            "phase", "best", "median", "worst", "recipes/s", "CPU/iter", "CPU µs/recipe", "other load"
        );
    }
    let mut best_expand = None;
    let mut busy: f64 = 0.0;
    for (phase, expand) in [("eval", false), ("eval+expand", true)] {
        if !wants(if expand { "expand" } else { "eval" }) {
            continue;
        }
        let mut times: Vec<Duration> = Vec::new();
        let mut cpu_times: Vec<f64> = Vec::new();
        let cpu = CpuSample::now();
        for _ in 0..iterations {
            let before = CpuSample::now();
            let (t, tally) = timed(&root, &recipes, expand);
            cpu_times.push(before.own_seconds_since());
            if tally.errors > 0 {
                eprintln!("{} recipes failed in a timed run: {:?}", tally.errors, tally.messages);
                return Ok(false);
            }
            times.push(t);
        }
        let others = cpu.others_since();
        times.sort();
        cpu_times.sort_by(f64::total_cmp);
        let best = times[0];
        let median = times[times.len() / 2];
        let cpu_median = cpu_times[cpu_times.len() / 2];
        println!(
            "{:<12} {:>10} {:>10} {:>10} {:>10.0} {:>9.0} ms {:>14.1} {:>10.0}%",
            phase,
            ms(best),
            ms(median),
            ms(*times.last().expect("one iteration at least")),
            n as f64 / best.as_secs_f64(),
            cpu_median * 1e3,
            cpu_median * 1e6 / n as f64,
            others * 100.0,
        );
        busy = busy.max(others);
        if expand {
            best_expand = Some((best, median, cpu_median));
        }
    }

    if busy > 0.05 {
        println!(
            "warning: other processes used up to {:.0}% of the machine's CPU during the timed phases; \
             the wall times above are inflated (CPU time is much less affected)",
            busy * 100.0
        );
    }

    let mut fresh_expand_hwm = None;
    if fresh && (wants("eval") || wants("expand")) {
        println!();
        println!("fresh process, one iteration each (peak RSS is VmHWM; baseline is before evaluating):");
        println!(
            "{:<30} {:>10} {:>10} {:>12} {:>12} {:>11}",
            "phase", "wall", "CPU", "peak RSS", "baseline", "other load"
        );
        for phase in ["eval", "expand", "retain-eval", "retain-expand"] {
            match fresh_run(&root, phase) {
                Some(r) => {
                    let label = match phase {
                        "eval" => "eval",
                        "expand" => "eval+expand",
                        "retain-eval" => "eval, all stores kept",
                        _ => "eval+expand, all stores kept",
                    };
                    println!(
                        "{:<30} {:>10} {:>10} {:>12} {:>12} {:>10}%",
                        label,
                        ms(r.wall),
                        format!("{:.0} ms", r.cpu.as_secs_f64() * 1e3),
                        mb(r.hwm_kib),
                        mb(r.baseline_kib),
                        r.others_pct
                    );
                    if phase == "expand" {
                        fresh_expand_hwm = Some(r.hwm_kib);
                    }
                }
                None => return Ok(false),
            }
        }
    }

    if ["configured", "graph", "matrix", "cli"].iter().any(|p| wants(p)) && !derive_size(&workspace, iterations, fresh, &wants) {
        return Ok(false);
    }

    if n == 10_000 && rayon::current_num_threads() == 2 && best_expand.is_some() {
        println!();
        if let Some((best, median, cpu)) = best_expand {
            let met = median.as_secs_f64() < TARGET_SECONDS;
            println!(
                "target: 10,000 recipes evaluated and expanded in < {TARGET_SECONDS} s on 2 cores: {} \
                 (best {}, median {}; CPU time / 2 = {:.1} ms)",
                if met { "MET" } else { "NOT MET" },
                ms(best),
                ms(median),
                cpu * 1e3 / 2.0
            );
        }
        if let Some(hwm) = fresh_expand_hwm {
            let met = (hwm as f64 * 1024.0 / 1e6) < TARGET_MB;
            println!(
                "target: peak memory < {TARGET_MB} MB (fresh process, eval+expand): {} ({})",
                if met { "MET" } else { "NOT MET" },
                mb(hwm)
            );
        }
    }
    Ok(true)
}

/// The derivation phases (see `derive.rs`); false if any failed.
fn derive_size(workspace: &Path, iterations: usize, fresh: bool, wants: &dyn Fn(&str) -> bool) -> bool {
    println!();
    match derive::shape(workspace) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("the workspace does not derive:\n{e}");
            return false;
        }
    }
    println!();
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>13} {:>14} {:>11}",
        "phase", "best", "median", "worst", "CPU (median)", "CPU µs/recipe", "other load"
    );
    for phase in ["configured", "graph", "matrix"].into_iter().filter(|p| wants(p)) {
        match derive::timed(workspace, phase, iterations) {
            Ok((times, cpu, others)) => {
                let recipes = derive::run(workspace, "configured").unwrap_or(1).max(1);
                let per = if phase == "matrix" { generate::MATRIX * recipes } else { recipes };
                println!(
                    "{:<12} {:>10} {:>10} {:>10} {:>10.0} ms {:>14.1} {:>10.0}%",
                    phase,
                    ms(times[0]),
                    ms(times[times.len() / 2]),
                    ms(*times.last().expect("one iteration at least")),
                    cpu * 1e3,
                    cpu * 1e6 / per as f64,
                    others * 100.0
                );
            }
            Err(e) => {
                eprintln!("{phase} failed:\n{e}");
                return false;
            }
        }
    }
    let dir = workspace.parent().expect("a file has a directory");
    if fresh {
        for phase in ["graph", "matrix"].into_iter().filter(|p| wants(p)) {
            match fresh_run(dir, phase) {
                Some(r) => println!(
                    "{phase} in a fresh process: {} wall, {:.0} ms CPU, peak RSS {} (baseline {}), other load {}%",
                    ms(r.wall),
                    r.cpu.as_secs_f64() * 1e3,
                    mb(r.hwm_kib),
                    mb(r.baseline_kib),
                    r.others_pct
                ),
                None => return false,
            }
        }
    }
    if wants("cli") {
        let scratch = dir.join("bench-scratch");
        let _ = std::fs::create_dir_all(&scratch);
        let result = derive::cli_rounds(workspace, iterations, &scratch);
        let _ = std::fs::remove_dir_all(&scratch);
        if let Err(e) = result {
            eprintln!("{e}");
            return false;
        }
    }
    true
}

/// What a pass over the recipes found.
#[derive(Default)]
struct Tally {
    recipes: usize,
    errors: usize,
    /// The first few error messages.
    messages: Vec<String>,
    files: usize,
    lines: usize,
    vars: usize,
    expanded_bytes: usize,
}

impl Tally {
    fn merge(mut self, other: Tally) -> Tally {
        self.recipes += other.recipes;
        self.errors += other.errors;
        self.files += other.files;
        self.lines += other.lines;
        self.vars += other.vars;
        self.expanded_bytes += other.expanded_bytes;
        for m in other.messages {
            if self.messages.len() < 10 {
                self.messages.push(m);
            }
        }
        self
    }

    fn failed(path: &Path, message: String) -> Tally {
        Tally { recipes: 1, errors: 1, messages: vec![format!("{}: {message}", path.display())], ..Tally::default() }
    }
}

fn session(root: &Path) -> Session {
    Session::new(FsLoader::new([root.to_path_buf()])).with_search_path(vec![root.to_path_buf()])
}

/// Expands every variable of a store; errors are counted, not returned.
fn expand_all(path: &Path, e: &Evaluated, tally: &mut Tally) {
    for name in e.store.names() {
        match e.store.get(name) {
            Ok(v) => tally.expanded_bytes += v.map_or(0, |v| v.len()),
            Err(err) => {
                tally.errors += 1;
                if tally.messages.len() < 10 {
                    tally.messages.push(format!("{}: expanding {name}: {err}", path.display()));
                }
            }
        }
    }
}

/// One timed pass: a fresh session, every recipe evaluated (and expanded).
fn timed(root: &Path, recipes: &[PathBuf], expand: bool) -> (Duration, Tally) {
    let options = Options::default();
    let started = Instant::now();
    let session = session(root);
    let tally = recipes
        .par_iter()
        .map(|path| match session.evaluate(path, &options) {
            Ok(e) => {
                let mut t = Tally { recipes: 1, vars: e.store.names().count(), ..Tally::default() };
                if expand {
                    expand_all(path, &e, &mut t);
                }
                t
            }
            Err(err) => Tally::failed(path, err.to_string()),
        })
        .reduce(Tally::default, Tally::merge);
    drop(session);
    (started.elapsed(), tally)
}

/// The untimed pass: counts files and lines read, checks for errors.
fn census(root: &Path, recipes: &[PathBuf]) -> Tally {
    let lines = line_counts(root);
    let options = Options::default();
    let session = session(root);
    recipes
        .par_iter()
        .map(|path| match session.evaluate(path, &options) {
            Ok(e) => {
                let mut t = Tally {
                    recipes: 1,
                    files: e.files.len(),
                    lines: e.files.iter().map(|f| lines.get(f).copied().unwrap_or(0)).sum(),
                    vars: e.store.names().count(),
                    ..Tally::default()
                };
                expand_all(path, &e, &mut t);
                t
            }
            Err(err) => Tally::failed(path, err.to_string()),
        })
        .reduce(Tally::default, Tally::merge)
}

/// Lines of every file of the layer and of grove's standard classes, by
/// the path evaluation reports them under.
fn line_counts(root: &Path) -> HashMap<PathBuf, usize> {
    fn walk(dir: &Path, out: &mut HashMap<PathBuf, usize>, key: &dyn Fn(&Path) -> PathBuf) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out, key);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                out.insert(key(&p), text.lines().count());
            }
        }
    }
    let mut out = HashMap::new();
    walk(root, &mut out, &|p| p.to_path_buf());
    let stdlib = Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib");
    walk(&stdlib, &mut out, &|p| Path::new("<stdlib>").join(p.strip_prefix(&stdlib).expect("under stdlib")));
    out
}

/// The result of a fresh-process run.
struct Fresh {
    wall: Duration,
    hwm_kib: u64,
    baseline_kib: u64,
    others_pct: u64,
    cpu: Duration,
}

/// Re-executes this benchmark to measure one phase in a fresh process.
fn fresh_run(root: &Path, phase: &str) -> Option<Fresh> {
    let exe = env::current_exe().ok()?;
    let out = Command::new(exe).env(CHILD_ENV, phase).env(CHILD_LAYER_ENV, root).output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!("could not re-execute the benchmark: {e}");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("GROVE_BENCH_RESULT "));
    let (Some(line), true) = (line, out.status.success()) else {
        eprintln!("fresh run of {phase} failed ({}):\n{stdout}{}", out.status, String::from_utf8_lossy(&out.stderr));
        return None;
    };
    let field = |name: &str| -> u64 {
        line.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok()).unwrap_or(0)
    };
    Some(Fresh {
        wall: Duration::from_micros(field("wall_us")),
        hwm_kib: field("hwm_kib"),
        baseline_kib: field("baseline_kib"),
        others_pct: field("others_pct"),
        cpu: Duration::from_millis(field("cpu_ms")),
    })
}

/// The re-executed benchmark: one phase, once, then its peak RSS.
fn child(phase: &str) -> ExitCode {
    let Some(mut root) = env::var_os(CHILD_LAYER_ENV).map(PathBuf::from) else {
        eprintln!("{CHILD_LAYER_ENV} is not set");
        return ExitCode::FAILURE;
    };
    // The workspace's directory or its layer's.
    let workspace = if root.join("grove.conf").is_file() {
        let w = root.join("grove.conf");
        root = root.join(generate::LAYER_DIR);
        w
    } else {
        root.parent().unwrap_or(&root).join("grove.conf")
    };
    if matches!(phase, "configured" | "graph" | "matrix") {
        rayon::broadcast(|_| ());
        let baseline_kib = vm_kib("VmRSS");
        let cpu = CpuSample::now();
        let started = Instant::now();
        let recipes = match derive::run(&workspace, phase) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        println!(
            "GROVE_BENCH_RESULT phase={phase} recipes={recipes} wall_us={} hwm_kib={} baseline_kib={baseline_kib} others_pct={} cpu_ms={}",
            started.elapsed().as_micros(),
            vm_kib("VmHWM"),
            (cpu.others_since() * 100.0).round() as u64,
            (cpu.own_seconds_since() * 1e3) as u64,
        );
        return ExitCode::SUCCESS;
    }
    let mut recipes = Vec::new();
    collect_recipes(&root.join("recipes"), &mut recipes);
    recipes.sort();
    // Start the thread pool before taking the baseline.
    rayon::broadcast(|_| ());
    let baseline_kib = vm_kib("VmRSS");
    let options = Options::default();
    let cpu = CpuSample::now();
    let started = Instant::now();
    let tally = match phase {
        "eval" => timed(&root, &recipes, false).1,
        "expand" => timed(&root, &recipes, true).1,
        "retain-eval" | "retain-expand" => {
            let session = session(&root);
            let results: Vec<_> = recipes.par_iter().map(|p| (p, session.evaluate(p, &options))).collect();
            let mut kept: Vec<(&PathBuf, Evaluated)> = Vec::with_capacity(results.len());
            let mut tally = Tally::default();
            for (p, r) in results {
                match r {
                    Ok(e) => kept.push((p, e)),
                    Err(err) => tally = tally.merge(Tally::failed(p, err.to_string())),
                }
            }
            if phase == "retain-expand" {
                let t = kept
                    .par_iter_mut()
                    .map(|(p, e)| {
                        let mut t = Tally::default();
                        expand_all(p, e, &mut t);
                        t
                    })
                    .reduce(Tally::default, Tally::merge);
                tally = tally.merge(t);
            }
            tally.recipes += kept.len();
            drop(session);
            // Everything is still alive here: that is the point.
            std::hint::black_box(&kept);
            tally
        }
        _ => {
            eprintln!("unknown phase {phase}");
            return ExitCode::FAILURE;
        }
    };
    let wall = started.elapsed();
    let others_pct = (cpu.others_since() * 100.0).round() as u64;
    let cpu_ms = (cpu.own_seconds_since() * 1e3) as u64;
    let hwm_kib = vm_kib("VmHWM");
    if tally.errors > 0 {
        eprintln!("{} errors: {:?}", tally.errors, tally.messages);
        return ExitCode::FAILURE;
    }
    println!(
        "GROVE_BENCH_RESULT phase={phase} recipes={} wall_us={} hwm_kib={hwm_kib} baseline_kib={baseline_kib} others_pct={others_pct} cpu_ms={cpu_ms}",
        tally.recipes,
        wall.as_micros()
    );
    ExitCode::SUCCESS
}

fn collect_recipes(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_recipes(&p, out);
        } else if p.extension().is_some_and(|x| x == "gr") {
            out.push(p);
        }
    }
}

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`); 0 where there is
/// no procfs.
fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

/// `USER_HZ`, the unit of `/proc/stat` and `/proc/self/stat` (100 on Linux).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// CPU time of the whole machine and of this process, to tell whether
/// something else was running during a measurement (the figures are only
/// meaningful on an otherwise idle machine).
struct CpuSample {
    total: u64,
    idle: u64,
    own: u64,
}

impl CpuSample {
    fn now() -> CpuSample {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|f| f.parse().ok())
            .collect();
        let total = cpu.iter().sum();
        let idle = cpu.get(3).copied().unwrap_or(0) + cpu.get(4).copied().unwrap_or(0);
        // utime and stime: fields 14 and 15, counted after the `(comm)`.
        let own_stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let after = own_stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<u64> = after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
        CpuSample { total, idle, own: fields.iter().sum() }
    }

    /// CPU seconds this process used since `self` (clock ticks of 10 ms).
    fn own_seconds_since(&self) -> f64 {
        CpuSample::now().own.saturating_sub(self.own) as f64 / CLOCK_TICKS_PER_SECOND
    }

    /// The share of the machine's CPU used by other processes since `self`.
    fn others_since(&self) -> f64 {
        self.others_besides(0.0)
    }

    /// The same, when a child process used `child_seconds` of CPU too.
    fn others_besides(&self, child_seconds: f64) -> f64 {
        let now = CpuSample::now();
        let total = now.total.saturating_sub(self.total);
        if total == 0 {
            return 0.0;
        }
        let busy = total.saturating_sub(now.idle.saturating_sub(self.idle));
        let child = (child_seconds * CLOCK_TICKS_PER_SECOND) as u64;
        let others = busy.saturating_sub(now.own.saturating_sub(self.own)).saturating_sub(child);
        others as f64 / total as f64
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}
