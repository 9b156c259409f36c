//! `grove show RECIPE`: one recipe's derivation in full: what it is, what
//! it needs, its sources, environment, tasks and hash.

use std::io::Write;

use grove_derive::sources::Origin;

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::eval_cmd;
use crate::evaluation;
use crate::output::{self, Variable};
use crate::render::{self, display_path};

#[derive(clap::Args)]
pub struct Args {
    /// The recipe (a name or a name it provides).
    #[arg(value_name = "RECIPE")]
    recipe: String,

    #[command(flatten)]
    config: ConfigArgs,

    /// Also print the body of every shell function the tasks reach.
    #[arg(long)]
    functions: bool,

    /// Print the canonical encoding of the recipe's local part (what its
    /// local hash is the blake3 of) and nothing else.
    #[arg(long, conflicts_with = "json")]
    encoding: bool,

    /// Print JSON: {version, derivation, local_hash, appends, variables,
    /// sources, environment, tasks, functions}.
    #[arg(long)]
    json: bool,
}

/// Variables people ask about first; the rest is in the derivation.
const SHOWN: &[&str] = &["SUMMARY", "HOMEPAGE", "LICENSE", "SRC_URI", "DEPENDS", "RDEPENDS", "PROVIDES", "S", "B", "D"];

pub fn run(args: Args) -> Outcome {
    let (project, evaluation) = match evaluation::evaluate(&args.config) {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let g = &evaluation.graph;
    let i = match g.find(&args.recipe) {
        Ok(i) => i,
        Err(e) => return render::fail_derive(e),
    };
    let file = g.recipes[i].file;
    let evaluated = match project.evaluate(&project.workspace.recipes[file], &evaluation.base) {
        Ok(e) => e,
        Err(e) => return render::fail_derive(e),
    };
    let detail = match project.extract(file, &evaluated) {
        Ok(d) => d,
        Err(e) => return render::fail_derive(e),
    };
    let mut out = std::io::stdout().lock();
    if args.encoding {
        let _ = out.write_all(&detail.local.encode());
        return Outcome::Done;
    }
    let variables: Vec<Variable> = SHOWN
        .iter()
        .filter_map(|v| evaluated.store.get(v).ok().flatten().map(|value| Variable { name: v.to_string(), value: value.to_string() }))
        .collect();
    let local = &detail.local;
    let sources: Vec<output::ShowSource> = local
        .sources
        .iter()
        .zip(&detail.origins)
        .map(|(s, o)| output::ShowSource {
            kind: s.kind.as_str(),
            name: s.name.clone(),
            identity: s.identity.clone(),
            origin: match o {
                Origin::Path(p) => display_path(p),
                Origin::Url(u) => u.clone(),
            },
            params: s.params.iter().map(|(k, v)| Variable { name: k.clone(), value: v.clone() }).collect(),
        })
        .collect();
    fn pairs(list: &[(impl AsRef<str>, impl AsRef<str>)]) -> Vec<Variable> {
        list.iter().map(|(k, v)| Variable { name: k.as_ref().to_string(), value: v.as_ref().to_string() }).collect()
    }
    let show = output::Show {
        version: output::VERSION,
        derivation: eval_cmd::derivation(&project, &evaluation, i),
        local_hash: detail.recipe.local_hash.to_hex(),
        appends: project.workspace.recipes[file].append_paths.iter().map(|p| display_path(p)).collect(),
        variables,
        sources,
        environment: pairs(&local.env),
        tasks: local
            .tasks
            .iter()
            .map(|t| output::ShowTask { name: t.name.to_string(), after: t.after.iter().map(|a| a.to_string()).collect(), flags: pairs(&t.flags) })
            .collect(),
        functions: pairs(&local.functions),
    };
    if args.json {
        let _ = serde_json::to_writer_pretty(&mut out, &show);
        let _ = writeln!(out);
    } else {
        let _ = print(&mut out, &show, args.functions);
    }
    Outcome::Done
}

fn print(out: &mut impl Write, s: &output::Show, functions: bool) -> std::io::Result<()> {
    let d = &s.derivation;
    writeln!(out, "{}", d.id)?;
    writeln!(out, "  file        {}", d.file)?;
    for a in &s.appends {
        writeln!(out, "  append      {a}")?;
    }
    match &d.hash {
        Some(h) => writeln!(out, "  hash        {h}")?,
        None => writeln!(out, "  hash        none (skipped)")?,
    }
    writeln!(out, "  local hash  {}", s.local_hash)?;
    let state = match (&d.reason, &d.held_by) {
        (Some(r), Some(by)) if *by != d.name => format!("{} (by {by}: {r})", d.state),
        (Some(r), _) => format!("{}: {r}", d.state),
        _ => d.state.to_string(),
    };
    writeln!(out, "  state       {state}")?;
    if d.provides.len() > 1 {
        writeln!(out, "  provides    {}", d.provides[1..].join(" "))?;
    }
    for dep in &d.depends {
        let hash = dep.hash.as_deref().map(|h| &h[..16]).unwrap_or("skipped");
        writeln!(out, "  needs       {} ({}, {hash})", dep.name, dep.role)?;
    }
    if !d.rdepends.is_empty() {
        writeln!(out, "  runtime     {}", d.rdepends.join(" "))?;
    }
    writeln!(out, "\nvariables")?;
    for v in &s.variables {
        writeln!(out, "  {:<10} {}", v.name, v.value.split_whitespace().collect::<Vec<_>>().join(" "))?;
    }
    writeln!(out, "\nsources")?;
    for src in &s.sources {
        writeln!(out, "  {} {}  {}", src.kind, src.name, src.identity)?;
        writeln!(out, "    from {}", src.origin)?;
    }
    if !s.environment.is_empty() {
        writeln!(out, "\nenvironment")?;
        for v in &s.environment {
            writeln!(out, "  {}={}", v.name, v.value)?;
        }
    }
    writeln!(out, "\ntasks")?;
    for t in &s.tasks {
        let after = if t.after.is_empty() { String::new() } else { format!(" after {}", t.after.join(" ")) };
        let flags: Vec<String> = t.flags.iter().map(|f| format!("[{}] {}", f.name, f.value)).collect();
        writeln!(out, "  {}{after}  {}", t.name, flags.join(" "))?;
    }
    if functions {
        for f in &s.functions {
            // As `bitbake -e` shows them: the body from the line after the
            // `{`, the `}` on a line of its own (an `:append` may leave no
            // newline at the end).
            writeln!(out, "\n{}() {{\n{}\n}}", f.name, f.value.trim_end_matches('\n'))?;
        }
    } else {
        let names: Vec<&str> = s.functions.iter().map(|f| f.name.as_str()).collect();
        writeln!(out, "\nfunctions (--functions prints them)\n  {}", names.join(" "))?;
    }
    Ok(())
}
