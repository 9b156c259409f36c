//! `grove graph`: the derivation graph as Graphviz dot or JSON, whole or
//! from one target; and `grove why A B`: how A comes to need B.

use std::io::Write;

use grove_derive::State;

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::evaluation::{self, Evaluation};
use crate::output;
use crate::render;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// Only this recipe and what it needs, transitively.
    #[arg(value_name = "TARGET")]
    target: Option<String>,

    #[command(flatten)]
    config: ConfigArgs,

    #[arg(long, value_enum, default_value = "dot")]
    format: Format,

    /// The same as --format json.
    #[arg(long)]
    json: bool,

    /// Leave out runtime (RDEPENDS) edges.
    #[arg(long)]
    build_only: bool,
}

fn state_name(s: &State) -> &'static str {
    match s {
        State::Ready => "ready",
        State::Held { .. } => "held",
        State::Skipped { .. } => "skipped",
    }
}

pub fn run(args: Args) -> Outcome {
    let (_project, e) = match evaluation::evaluate(&args.config) {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let g = &e.graph;
    let nodes = match &args.target {
        Some(t) => match g.find(t) {
            Ok(i) => g.closure(&[i]),
            Err(err) => return render::fail_derive(err),
        },
        None => (0..g.recipes.len()).collect(),
    };
    let mut edges = Vec::new();
    for &i in &nodes {
        for (j, edge) in g.needs(i) {
            if !(args.build_only && edge == grove_derive::Edge::Runtime) {
                edges.push((i, j, edge));
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = if args.json || args.format == Format::Json {
        print_json(&mut out, &e, &nodes, &edges)
    } else {
        print_dot(&mut out, &e, &nodes, &edges)
    };
    Outcome::Done
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn print_dot(out: &mut impl Write, e: &Evaluation, nodes: &[usize], edges: &[(usize, usize, grove_derive::Edge)]) -> std::io::Result<()> {
    writeln!(out, "digraph grove {{")?;
    writeln!(out, "  node [shape=box];")?;
    for &i in nodes {
        let style = match e.graph.states[i] {
            State::Ready => "",
            State::Held { .. } => ", style=dashed",
            State::Skipped { .. } => ", style=dotted",
        };
        let r = &e.graph.recipes[i];
        let label = match &e.graph.hashes[i] {
            Some(h) => format!("{} {}\\n{}", r.pn, r.pv, h.short()),
            None => format!("{} {}\\nskipped", r.pn, r.pv),
        };
        writeln!(out, "  {} [label=\"{}\"{style}];", quote(&r.pn), label.replace('"', "\\\""))?;
    }
    for &(i, j, edge) in edges {
        let style = match edge {
            grove_derive::Edge::Runtime => " [style=dashed, label=runtime]",
            grove_derive::Edge::Base => " [label=base]",
            grove_derive::Edge::Build => "",
        };
        writeln!(out, "  {} -> {}{style};", quote(&e.graph.recipes[i].pn), quote(&e.graph.recipes[j].pn))?;
    }
    writeln!(out, "}}")
}

fn print_json(out: &mut impl Write, e: &Evaluation, nodes: &[usize], edges: &[(usize, usize, grove_derive::Edge)]) -> std::io::Result<()> {
    let g = &e.graph;
    let graph = output::Graph {
        version: output::VERSION,
        nodes: nodes
            .iter()
            .map(|&i| output::GraphNode {
                name: g.recipes[i].pn.clone(),
                id: e.id(i),
                hash: g.hashes[i].map(|h| h.to_hex()),
                state: state_name(&g.states[i]),
            })
            .collect(),
        edges: edges
            .iter()
            .map(|&(i, j, k)| output::GraphEdge { from: g.recipes[i].pn.clone(), to: g.recipes[j].pn.clone(), kind: k.as_str() })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &graph)?;
    writeln!(out)
}

#[derive(clap::Args)]
pub struct WhyArgs {
    /// The recipe that (perhaps indirectly) needs the other.
    #[arg(value_name = "A")]
    from: String,

    /// The recipe needed.
    #[arg(value_name = "B")]
    to: String,

    #[command(flatten)]
    config: ConfigArgs,

    /// Print JSON: {version, path: [{name, needs_next_as}]}.
    #[arg(long)]
    json: bool,
}

/// Exit 0 with the shortest chain of needs from A to B; exit 1 when A does
/// not need B.
pub fn why(args: WhyArgs) -> Outcome {
    let (_project, e) = match evaluation::evaluate(&args.config) {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let g = &e.graph;
    let (from, to) = match (g.find(&args.from), g.find(&args.to)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(err), _) | (_, Err(err)) => return render::fail_derive(err),
    };
    let Some(path) = g.path(from, to) else {
        eprintln!("{} does not need {}, directly or through anything it needs", g.recipes[from].pn, g.recipes[to].pn);
        return Outcome::NotFound;
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let steps = path
            .iter()
            .map(|&(i, edge)| output::WhyStep { name: g.recipes[i].pn.clone(), needs_next_as: edge.map(|k| k.as_str()) })
            .collect();
        let _ = serde_json::to_writer_pretty(&mut out, &output::Why { version: output::VERSION, path: steps });
        let _ = writeln!(out);
    } else {
        for &(i, edge) in &path {
            let _ = match edge {
                Some(k) => writeln!(out, "{}\n  needs ({})", e.id(i), k.as_str()),
                None => writeln!(out, "{}", e.id(i)),
            };
        }
    }
    Outcome::Done
}
