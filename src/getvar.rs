//! `grove getvar`: the value of one variable after evaluation.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use grove_derive::{DeriveError, Project};
use grove_eval::{DataStore, EvalError, Evaluated, Event, FsLoader, Options, Session};
use grove_syntax::SourceMap;

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::output::{self, HistoryEntry};
use crate::render::{self, display_path};

#[derive(clap::Args)]
pub struct Args {
    /// Evaluate this file alone: no layer configuration, no implicit classes.
    /// `include` and `require` resolve beside it; `inherit NAME` finds
    /// `classes/NAME.grclass` beside it, then in grove's standard library.
    #[arg(long, short = 'f', value_name = "FILE", required_unless_present = "recipe", conflicts_with = "recipe")]
    file: Option<PathBuf>,

    /// Evaluate this recipe of the layers (by name) in the configuration:
    /// its chosen version, with its appends, on the layers' configuration.
    #[arg(long, short = 'r', value_name = "RECIPE")]
    recipe: Option<String>,

    #[command(flatten)]
    config: ConfigArgs,

    /// The variable.
    #[arg(value_name = "VAR")]
    var: String,

    /// Print this flag of the variable (`VAR[NAME]`) instead of its value.
    #[arg(long, value_name = "NAME")]
    flag: Option<String>,

    /// Also show every operation that shaped the value, with file:line, the
    /// way `bitbake -e` does.
    #[arg(long)]
    history: bool,

    /// Print a JSON object instead of the bare value.
    #[arg(long)]
    json: bool,
}

/// Who read the files: the source text diagnostics point into.
enum Reader {
    File(Box<Session>),
    Layers(Box<Project>),
}

impl Reader {
    fn sources(&self) -> &SourceMap {
        match self {
            Reader::File(s) => s.sources(),
            Reader::Layers(p) => p.sources(),
        }
    }
}

pub fn run(args: Args) -> Outcome {
    let options = Options { history: args.history };
    let (session, evaluated) = match (&args.file, &args.recipe) {
        (Some(file), _) => {
            let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).map_or(PathBuf::from("."), PathBuf::from);
            let session = Session::new(FsLoader::new([dir]));
            match session.evaluate(file, &options) {
                Ok(e) => (Reader::File(Box::new(session)), e),
                Err(e) => return fail(session.sources(), e),
            }
        }
        (None, Some(recipe)) => match evaluate_recipe(&args.config, recipe, &options) {
            Ok((project, e)) => (Reader::Layers(Box::new(project)), e),
            Err(e) => return render::fail_derive(e),
        },
        (None, None) => unreachable!("clap requires --file or --recipe"),
    };
    let store = &evaluated.store;
    let value = match &args.flag {
        Some(flag) => store.get_flag(&args.var, flag),
        None => store.get(&args.var),
    };
    let value = match value {
        Ok(v) => v,
        Err(expand) => return fail(session.sources(), store.locate(expand, &args.var)),
    };
    let history = args.history.then(|| history(store, &args.var, args.flag.as_deref(), session.sources()));
    let Some(value) = value else {
        let mut err = std::io::stderr().lock();
        if let Some(h) = history {
            let _ = err.write_all(render_history(&args.var, args.flag.as_deref(), &h, None).as_bytes());
        }
        // A person at a terminal gets a hint; scripts get only the exit code.
        if std::io::stderr().is_terminal() {
            let _ = err.write_all(unset_note(store, &args.var, args.flag.as_deref()).as_bytes());
        }
        return Outcome::NotFound;
    };
    let text = if args.json {
        let out = output::GetVar {
            version: output::VERSION,
            variable: args.var.clone(),
            flag: args.flag.clone(),
            value: value.to_string(),
            history,
        };
        serde_json::to_string_pretty(&out).expect("serializable") + "\n"
    } else if let Some(h) = history {
        let unexpanded = match &args.flag {
            Some(f) => store.get_flag_unexpanded(&args.var, f),
            None => store.get_unexpanded(&args.var).ok().flatten(),
        };
        let mut text = render_history(&args.var, args.flag.as_deref(), &h, unexpanded.as_deref());
        let is_func = args.flag.is_none() && store.get_flag_unexpanded(&args.var, "func").is_some();
        text.push_str(&emit(&args.var, args.flag.as_deref(), &value, is_func));
        text
    } else {
        format!("{value}\n")
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Outcome::Done,
        // A closed pipe (`grove getvar ... | head -0`) is not our failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Done,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            Outcome::Failed
        }
    }
}

/// The recipe named `name` in the layers, evaluated in the configuration.
fn evaluate_recipe(config: &ConfigArgs, name: &str, options: &Options) -> Result<(Project, Evaluated), DeriveError> {
    let project = config.project()?;
    let configuration = config.configuration()?;
    crate::evaluation::warn_undeclared(&project, &configuration);
    let base = project.configure(&configuration, options)?;
    let recipe = project.choose_recipe(name, &base)?.clone();
    let evaluated = project.evaluate(&recipe, &base)?;
    Ok((project, evaluated))
}

/// `note: X is not set`, with the closest name that is.
fn unset_note(store: &DataStore, var: &str, flag: Option<&str>) -> String {
    let (what, names): (String, Vec<String>) = match flag {
        Some(f) => (
            format!("{var}[{f}]"),
            store.var(var).map(|v| v.flag_names().map(|n| n.to_string()).collect()).unwrap_or_default(),
        ),
        None => (var.to_string(), store.names().map(|n| n.to_string()).collect()),
    };
    let target = flag.unwrap_or(var);
    match grove_syntax::closest(target, names.iter().map(String::as_str)) {
        Some(close) if flag.is_some() => format!("note: {what} is not set; did you mean `{var}[{close}]`?\n"),
        Some(close) => format!("note: {what} is not set; did you mean `{close}`?\n"),
        None => format!("note: {what} is not set\n"),
    }
}

fn fail(sources: &SourceMap, error: EvalError) -> Outcome {
    let text = render::eval_error(sources, error);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
    Outcome::Failed
}

/// The operations on the value (or flag) itself, then those on the
/// variables that override it, as BitBake's history shows them.
fn history(store: &DataStore, var: &str, flag: Option<&str>, sources: &SourceMap) -> Vec<HistoryEntry> {
    let Some(h) = store.history() else { return Vec::new() };
    let wanted = |e: &Event| match (flag, e.flag.as_deref()) {
        (None, None) | (None, Some("_defaultval")) => true,
        (Some(f), Some(g)) => f == g,
        _ => false,
    };
    let entry = |e: &Event, op: String| {
        let (file, line) = match e.at.and_then(|s| sources.get(s.file).map(|f| (f, s.start))) {
            Some((f, start)) => (Some(display_path(&f.path)), Some(f.line(start))),
            None => (None, None),
        };
        let flag = e.flag.as_deref().filter(|f| *f != "_defaultval").map(String::from);
        let op = if e.flag.as_deref() == Some("_defaultval") { format!("{op} (weak default)") } else { op };
        HistoryEntry { op, flag, file, line, detail: e.detail.to_string() }
    };
    let mut out: Vec<HistoryEntry> = h.of(var).filter(|e| wanted(e)).map(|e| entry(e, e.op.clone())).collect();
    if flag.is_none() {
        for (other, over) in store.override_vars(var) {
            for e in h.of(other).filter(|e| wanted(e)) {
                out.push(entry(e, format!("override[{over}]:{}", e.op)));
            }
        }
    }
    out
}

fn render_history(var: &str, flag: Option<&str>, h: &[HistoryEntry], unexpanded: Option<&str>) -> String {
    let name = match flag {
        Some(f) => format!("{var}[{f}]"),
        None => var.to_string(),
    };
    let mut out = String::from("#\n");
    match h.len() {
        0 => out.push_str(&format!("# ${name}\n#   [no history recorded]\n")),
        1 => out.push_str(&format!("# ${name}\n")),
        n => out.push_str(&format!("# ${name} [{n} operations]\n")),
    }
    for e in h {
        let place = match (&e.file, e.line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            _ => "(grove)".to_string(),
        };
        let flag = e.flag.as_ref().map(|f| format!("[{f}] ")).unwrap_or_default();
        out.push_str(&format!("#   {} {place}\n#     {flag}\"{}\"\n", e.op, e.detail.replace('\n', "\n#     ")));
    }
    if let Some(u) = unexpanded {
        out.push_str(&format!("# pre-expansion value:\n#   \"{}\"\n", u.replace('\n', "\n#   ")));
    }
    if unexpanded.is_none() && h.is_empty() {
        out.push_str("#\n");
    }
    out
}

/// `VAR="value"`, or a function as `name() {...}`, as `bitbake -e` prints them.
fn emit(var: &str, flag: Option<&str>, value: &str, is_func: bool) -> String {
    if is_func {
        return format!("{var}() {{\n{value}}}\n");
    }
    let name = match flag {
        Some(f) => format!("{var}[{f}]"),
        None => var.to_string(),
    };
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("{name}=\"{escaped}\"\n")
}
