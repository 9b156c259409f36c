//! `grove eval`: every derivation of a configuration (or of every
//! configuration the roots declare), with its hash and dependencies.

use std::io::Write;
use std::time::Instant;

use grove_derive::{Edge, Graph, State};
use rayon::prelude::*;

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::evaluation::{self, Evaluation};
use crate::output;
use crate::render::{self, display_path};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArgs,

    /// Evaluate every configuration the roots declare (each
    /// `roots/*.grroot`'s ROOT_FLAVORS x ROOT_ARCHS x ROOT_KINDS).
    #[arg(long)]
    matrix: bool,

    /// Print JSON instead of a table: {version, configurations: [{series,
    /// flavor, arch, kind, derivations: [{name, version, id, hash, state,
    /// reason, held_by, file, provides, depends, rdepends}]}]}.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Outcome {
    let started = Instant::now();
    let config = match args.config.configuration() {
        Ok(c) => c,
        Err(e) => return render::fail_derive(e),
    };
    // Without --matrix, the one configuration's cache is read while the
    // layers are walked.
    let (project, mut reading) = match evaluation::open(&args.config, (!args.matrix).then_some(&config)) {
        Ok(opened) => opened,
        Err(outcome) => return outcome,
    };
    for append in project.workspace.dangling_appends() {
        eprintln!(
            "warning: {} matches no recipe (was the recipe renamed or upgraded?)",
            display_path(&append.path)
        );
    }
    for (first, again) in project.workspace.repeated_recipes() {
        eprintln!(
            "warning: {} has the name and version of {}, in the same layer: only one of them is used (remove or rename the other)",
            display_path(&again.path),
            display_path(&first.path)
        );
    }
    let configs = if args.matrix {
        match project.matrix(&config) {
            Ok(c) => c,
            Err(e) => return render::fail_derive(e),
        }
    } else {
        vec![config]
    };
    let mut report = output::Eval { version: output::VERSION, configurations: Vec::new() };
    // One write per buffer, not per line (stdout is line-buffered).
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut count = 0;
    let mut reused = 0;
    let evaluations = match evaluation::evaluate_all(&project, &configs, !args.config.no_cache, reading.take()) {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    for evaluation in &evaluations {
        count += evaluation.graph.recipes.len();
        reused += evaluation.stats.reused;
        if args.json {
            report.configurations.push(describe(&project, evaluation));
        } else {
            if configs.len() > 1 {
                let _ = writeln!(stdout, "# {}", evaluation.axes);
            }
            let _ = print_table(&mut stdout, evaluation);
        }
    }
    if args.json {
        let _ = serde_json::to_writer_pretty(&mut stdout, &report);
        let _ = writeln!(stdout);
    }
    let _ = stdout.flush();
    eprintln!(
        "{count} derivations in {} configuration{} ({reused} recipes from the cache), {:.2} s",
        configs.len(),
        if configs.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    // The process ends here and its memory goes back whole: taking the
    // project and the graphs apart value by value took ~9 ms at 10,000
    // recipes.
    std::mem::forget(evaluations);
    std::mem::forget(project);
    Outcome::Done
}

fn print_table(out: &mut impl Write, e: &Evaluation) -> std::io::Result<()> {
    // Lines are made in parallel (ten thousand ids and sorted needs are
    // most of a no-op's printing), then written in order.
    // (The evaluation's store is not shared between threads: its graph is.)
    let (graph, axes) = (&e.graph, &e.axes);
    let ids: Vec<String> = (0..graph.recipes.len()).into_par_iter().map(|i| axes.id(graph, i)).collect();
    let width = ids.iter().map(String::len).max().unwrap_or(0);
    let lines: Vec<String> = ids.into_par_iter().enumerate().map(|(i, id)| line(graph, i, id, width)).collect();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Recipe `i`'s line of the table: its id (padded to `width`), its state,
/// what it needs.
fn line(graph: &Graph, i: usize, mut line: String, width: usize) -> String {
    let pad = width - line.len() + 2;
    let mut first = true;
    let mut open = |line: &mut String| {
        if std::mem::take(&mut first) {
            line.extend(std::iter::repeat_n(' ', pad));
        }
    };
    match &graph.states[i] {
        State::Ready => {}
        State::Held { by, .. } if *by == graph.recipes[i].pn => {
            open(&mut line);
            line.push_str("[held] ");
        }
        State::Held { by, .. } => {
            open(&mut line);
            line.push_str("[held by ");
            line.push_str(by);
            line.push_str("] ");
        }
        State::Skipped { reason } => {
            open(&mut line);
            line.push_str("[skipped: ");
            line.push_str(reason);
            line.push_str("] ");
        }
    }
    let mut needs = graph.needs(i).filter(|(_, edge)| *edge != Edge::Runtime).peekable();
    if needs.peek().is_some() {
        open(&mut line);
        line.push_str("needs");
        for (j, _) in needs {
            line.push(' ');
            line.push_str(&graph.recipes[j].pn);
        }
    }
    line.truncate(line.trim_end().len());
    line
}

/// The `--json` form of one configuration.
pub fn describe(project: &grove_derive::Project, e: &Evaluation) -> output::EvalConfiguration {
    let a = &e.axes;
    output::EvalConfiguration {
        series: a.version.clone(),
        flavor: a.flavor.clone(),
        arch: a.arch.clone(),
        kind: a.kind.clone(),
        derivations: (0..e.graph.recipes.len()).map(|i| derivation(project, e, i)).collect(),
    }
}

/// The `--json` form of recipe `i` of an evaluation.
pub fn derivation(project: &grove_derive::Project, e: &Evaluation, i: usize) -> output::Derivation {
    let g = &e.graph;
    let r = &g.recipes[i];
    let (state, reason, held_by) = match &g.states[i] {
        State::Ready => ("ready", None, None),
        State::Held { by, reason } => ("held", Some(reason.clone()), Some(by.clone())),
        State::Skipped { reason } => ("skipped", Some(reason.clone()), None),
    };
    let mut depends = Vec::new();
    let mut rdepends = Vec::new();
    for (j, edge) in g.needs(i) {
        let name = g.recipes[j].pn.clone();
        match edge {
            Edge::Runtime => rdepends.push(name),
            _ => depends.push(output::Dependency { name, role: edge.as_str(), hash: g.hashes[j].map(|h| h.to_hex()) }),
        }
    }
    output::Derivation {
        name: r.pn.clone(),
        version: r.pv.clone(),
        id: e.id(i),
        hash: g.hashes[i].map(|h| h.to_hex()),
        state,
        reason,
        held_by,
        file: display_path(&project.workspace.recipes[r.file].path),
        provides: r.provides.clone(),
        depends,
        rdepends,
    }
}
