//! The derivation benchmark (issue 3): a generated workspace derived to
//! its hashed graph, in-process through `grove_derive` and as users run
//! it, through the `grove` binary.
//!
//! In-process phases (a new `Project` each iteration, so nothing parsed is
//! reused; the files are in the page cache):
//!
//! - **configured**: the configuration read once, then every recipe
//!   evaluated on it (no extraction, no graph): evaluation as `grove eval`
//!   does it, with the distribution's class read once;
//! - **graph**: the workspace opened, one configuration read, every recipe
//!   evaluated and extracted, the graph built and hashed;
//! - **matrix**: the same for every configuration the roots declare (4),
//!   together, as `grove eval --matrix` derives them (each recipe read
//!   once for all of them, its statements shared where they can be).
//!
//! Through the binary (`grove eval --workspace W >/dev/null`, timed with
//! `/usr/bin/time`, which also gives the peak RSS):
//!
//! - **cold**: `--no-cache`, one configuration, then `--matrix`;
//! - **first**: an empty cache directory (`GROVE_CACHE_DIR`), so the run
//!   also writes the cache;
//! - **no-op**: the same again: nothing changed since the first run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use grove_derive::{Configuration, Edge, Graph, Project, Workspace};
use grove_eval::Options;
use rayon::prelude::*;

use crate::{CpuSample, ms};

/// One in-process pass of `phase`; returns the number of derivations.
pub fn run(workspace: &Path, phase: &str) -> Result<usize, String> {
    let opened = Workspace::open(Some(workspace), &[]).map_err(|e| e.to_string())?;
    let project = Project::new(opened);
    let config = Configuration::default();
    match phase {
        "configured" => {
            let base = project.configure(&config, &Options::default()).map_err(|e| e.to_string())?;
            // As `Project::graph` does: a data store caches reads, so each
            // worker evaluates on its own copy of the base.
            let shared = std::sync::Mutex::new(base);
            let copy = || shared.lock().unwrap_or_else(|e| e.into_inner()).detached();
            let results: Vec<Result<usize, grove_derive::DeriveError>> = project
                .workspace
                .recipes
                .par_iter()
                .map_init(copy, |base, r| project.evaluate(r, base).map(|e| e.store.names().count()))
                .collect();
            let failed: Vec<String> = results.iter().filter_map(|r| r.as_ref().err()).take(5).map(|e| e.to_string()).collect();
            if failed.is_empty() { Ok(results.len()) } else { Err(failed.join("\n")) }
        }
        "graph" => graph(&project, &config).map(|g| g.recipes.len()),
        "matrix" => {
            let configs = project.matrix(&config).map_err(|e| e.to_string())?;
            let bases = configs.iter().map(|c| project.configure(c, &Options::default())).collect::<Result<Vec<_>, _>>();
            let bases = bases.map_err(|e| e.to_string())?;
            let mut count = 0;
            for built in project.graphs_cached(bases.iter().map(|b| (b, None)).collect()) {
                let (graph, _) = built.map_err(|errors| failures(&errors))?;
                count += graph.recipes.len();
            }
            Ok(count)
        }
        _ => Err(format!("unknown phase {phase}")),
    }
}

fn graph(project: &Project, config: &Configuration) -> Result<Graph, String> {
    let base = project.configure(config, &Options::default()).map_err(|e| e.to_string())?;
    project.graph(&base).map_err(|errors| failures(&errors))
}

/// The first errors of a failed derivation, for the benchmark's report.
fn failures(errors: &[grove_derive::DeriveError]) -> String {
    let mut text: Vec<String> = errors.iter().take(10).map(|e| e.to_string()).collect();
    if errors.len() > 10 {
        text.push(format!("... {} errors in all", errors.len()));
    }
    text.join("\n")
}

/// The shape of the graph of the default configuration: what makes the
/// workspace realistic (or not).
pub fn shape(workspace: &Path) -> Result<String, String> {
    let project = Project::new(Workspace::open(Some(workspace), &[]).map_err(|e| e.to_string())?);
    let configs = project.matrix(&Configuration::default()).map_err(|e| e.to_string())?;
    let g = graph(&project, &Configuration::default())?;
    let n = g.recipes.len();
    let build: Vec<Vec<usize>> =
        (0..n).map(|i| g.needs(i).filter(|(_, e)| *e != Edge::Runtime).map(|(j, _)| j).collect()).collect();
    let runtime: usize = (0..n).map(|i| g.needs(i).filter(|(_, e)| *e == Edge::Runtime).count()).sum();
    let mut fan_in = vec![0usize; n];
    for deps in &build {
        for &j in deps {
            fan_in[j] += 1;
        }
    }
    // Longest chain of build dependencies, in recipes.
    let mut depth = vec![0usize; n];
    let mut state = vec![0u8; n];
    for start in 0..n {
        let mut stack = vec![(start, false)];
        while let Some((i, done)) = stack.pop() {
            if done {
                depth[i] = 1 + build[i].iter().map(|&j| depth[j]).max().unwrap_or(0);
                continue;
            }
            if state[i] != 0 {
                continue;
            }
            state[i] = 1;
            stack.push((i, true));
            stack.extend(build[i].iter().filter(|&&j| state[j] == 0).map(|&j| (j, false)));
        }
    }
    let mut top: Vec<usize> = (0..n).collect();
    top.sort_by_key(|&i| std::cmp::Reverse(fan_in[i]));
    let top: Vec<String> = top.iter().take(8).map(|&i| format!("{} {}", g.recipes[i].pn, fan_in[i])).collect();
    let edges: usize = build.iter().map(Vec::len).sum();
    Ok(format!(
        "graph: {n} derivations, {edges} build edges ({:.1} per recipe), {runtime} runtime edges, depth {} \
         (longest build chain), {} recipes nothing needs, {} needed by >= 100; {} configurations in the matrix\n\
         most needed: {}",
        edges as f64 / n as f64,
        depth.iter().max().unwrap_or(&0),
        fan_in.iter().filter(|&&f| f == 0).count(),
        fan_in.iter().filter(|&&f| f >= 100).count(),
        configs.len(),
        top.join(", "),
    ))
}

/// Times `iterations` in-process passes of `phase`.
pub fn timed(workspace: &Path, phase: &str, iterations: usize) -> Result<(Vec<Duration>, f64, f64), String> {
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let load = CpuSample::now();
    for _ in 0..iterations {
        let before = CpuSample::now();
        let started = Instant::now();
        run(workspace, phase)?;
        times.push(started.elapsed());
        cpu.push(before.own_seconds_since());
    }
    times.sort();
    cpu.sort_by(f64::total_cmp);
    Ok((times, cpu[cpu.len() / 2], load.others_since()))
}

/// One run of the binary.
pub struct CliRun {
    pub wall: Duration,
    pub max_rss_kib: u64,
    pub user: f64,
    pub system: f64,
    pub others: f64,
}

/// The `grove` binary built with this benchmark.
pub fn grove_binary() -> PathBuf {
    std::env::var_os("GROVE_BENCH_GROVE").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_grove")), PathBuf::from)
}

/// Whether the binary has the evaluation cache (`--no-cache`).
pub fn has_cache(grove: &Path) -> bool {
    Command::new(grove)
        .args(["eval", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--no-cache"))
}

/// Runs `grove eval --workspace W ARGS >/dev/null` under `/usr/bin/time`.
pub fn cli(grove: &Path, workspace: &Path, args: &[&str], cache_dir: &Path) -> Result<CliRun, String> {
    let report = cache_dir.with_extension("time");
    let load = CpuSample::now();
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&report)
        .arg("-f")
        .arg("%M %U %S")
        .arg(grove)
        .arg("eval")
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .env("GROVE_CACHE_DIR", cache_dir)
        .stdout(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("/usr/bin/time {}: {e}", grove.display()))?;
    let wall = started.elapsed();
    if !out.status.success() {
        return Err(format!("grove eval {args:?} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let text = std::fs::read_to_string(&report).map_err(|e| e.to_string())?;
    let fields: Vec<f64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    let [rss, user, system] = fields[..] else { return Err(format!("unexpected /usr/bin/time output: {text}")) };
    Ok(CliRun { wall, max_rss_kib: rss as u64, user, system, others: load.others_besides(user + system) })
}

/// The binary's measurements: each of `iterations` rounds runs cold,
/// first (empty cache) and no-op for one configuration and the matrix.
pub fn cli_rounds(workspace: &Path, iterations: usize, scratch: &Path) -> Result<(), String> {
    let grove = grove_binary();
    let cache = has_cache(&grove);
    println!();
    println!("through the binary: {} eval --workspace {} >/dev/null", grove.display(), workspace.display());
    if !cache {
        println!("(this grove has no evaluation cache: every run is cold, no-op is not measured)");
    }
    let mut rows: Vec<(&str, Vec<CliRun>)> = Vec::new();
    let cases: &[(&str, &[&str], Option<bool>)] = if cache {
        &[
            ("1 config, cold (--no-cache)", &["--no-cache"], None),
            ("1 config, first (writes cache)", &[], Some(true)),
            ("1 config, no-op (cache)", &[], Some(false)),
            ("4 configs, cold (--no-cache)", &["--matrix", "--no-cache"], None),
            ("4 configs, first (writes cache)", &["--matrix"], Some(true)),
            ("4 configs, no-op (cache)", &["--matrix"], Some(false)),
        ]
    } else {
        &[("1 config, cold", &[], None), ("4 configs, cold", &["--matrix"], None)]
    };
    for _ in 0..iterations {
        for (i, (label, args, fresh)) in cases.iter().enumerate() {
            let dir = scratch.join(format!("cache-{}", if args.contains(&"--matrix") { "matrix" } else { "one" }));
            if *fresh == Some(true) && dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let run = cli(&grove, workspace, args, &dir)?;
            if rows.len() <= i {
                rows.push((label, Vec::new()));
            }
            rows[i].1.push(run);
        }
    }
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>12} {:>12} {:>11}",
        "run", "best", "median", "worst", "CPU (median)", "peak RSS", "other load"
    );
    for (label, mut runs) in rows {
        runs.sort_by_key(|r| r.wall);
        let median = &runs[runs.len() / 2];
        println!(
            "{:<32} {:>10} {:>10} {:>10} {:>9.0} ms {:>9.1} MB {:>10.0}%",
            label,
            ms(runs[0].wall),
            ms(median.wall),
            ms(runs.last().expect("one run at least").wall),
            (median.user + median.system) * 1e3,
            runs.iter().map(|r| r.max_rss_kib).max().unwrap_or(0) as f64 * 1024.0 / 1e6,
            runs.iter().map(|r| r.others).fold(0.0, f64::max) * 100.0,
        );
    }
    Ok(())
}
