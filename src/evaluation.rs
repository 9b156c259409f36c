//! Evaluating a workspace into a derivation graph, for every command that
//! needs one; errors are rendered here, all of them.

use std::io::Write;
use std::path::{Path, PathBuf};

use grove_derive::cache::{Reading, Stats};
use grove_derive::{Configuration, DeriveError, Graph, Layer, Project};
use grove_eval::{Base, Options};

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::render;

/// One configuration of a project, evaluated.
pub struct Evaluation {
    pub base: Base,
    pub graph: Graph,
    pub axes: Axes,
    /// How many recipes came from the cache and how many were evaluated.
    pub stats: Stats,
}

/// The configuration's axes as the configuration set them.
#[derive(Debug, Clone)]
pub struct Axes {
    pub version: String,
    pub flavor: String,
    pub arch: String,
    pub kind: String,
}

impl std::fmt::Display for Axes {
    /// `version flavor arch kind`, as `eval --matrix` heads each configuration.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} {}", self.version, self.flavor, self.arch, self.kind)
    }
}

impl Axes {
    /// [`Evaluation::id`], from the graph and these axes alone.
    pub fn id(&self, graph: &Graph, i: usize) -> String {
        let r = &graph.recipes[i];
        match &graph.hashes[i] {
            Some(h) => grove_derive::derivation::short_id(&r.pn, &r.pv, &self.flavor, &self.arch, h),
            None => format!("{}-{}", r.pn, r.pv),
        }
    }

    pub fn of(base: &Base) -> Axes {
        let get = |v: &str| base.store.get(v).ok().flatten().map(|v| v.to_string()).unwrap_or_default();
        Axes { version: get("VERSION"), flavor: get("FLAVOR"), arch: get("ARCH"), kind: get("KIND") }
    }
}

impl Evaluation {
    /// `name-version-flavor-arch-<hash>` of recipe `i`, or its name and
    /// version alone when it has no hash (skipped).
    pub fn id(&self, i: usize) -> String {
        self.axes.id(&self.graph, i)
    }
}

/// Opens the project the arguments name and evaluates one configuration.
pub fn evaluate(args: &ConfigArgs) -> Result<(Project, Evaluation), Outcome> {
    let config = args.configuration().map_err(render::fail_derive)?;
    let (project, reading) = open(args, Some(&config))?;
    let evaluation = evaluate_with(&project, &config, reading)?;
    Ok((project, evaluation))
}

/// Opens the project the arguments name; with `config`, its evaluation
/// cache is read while the layers are walked.
pub fn open(args: &ConfigArgs, config: Option<&Configuration>) -> Result<(Project, Option<Reading>), Outcome> {
    let layers = args.layers().map_err(render::fail_derive)?;
    let file = config.filter(|_| !args.no_cache).and_then(|c| cache_file(layers.conf.as_deref(), &layers.layers, c));
    let reading = file.map(Reading::start);
    let project = args.walk(layers).map_err(render::fail_derive)?;
    if let Some(config) = config {
        warn_undeclared(&project, config);
    }
    Ok((project, reading))
}

/// Warns when `--flavor`, `--arch` or `--kind` names a value no root
/// declares: a typo would otherwise evaluate, quietly, a configuration
/// nothing builds (`--flavor debg` matches no `:debug` override).
pub fn warn_undeclared(project: &Project, config: &Configuration) {
    type Axis = fn(&Configuration) -> &Option<String>;
    let axes: [(&str, Axis); 3] = [("flavor", |c| &c.flavor), ("arch", |c| &c.arch), ("kind", |c| &c.kind)];
    if project.workspace.roots.is_empty() || axes.iter().all(|(_, of)| of(config).is_none()) {
        return;
    }
    // Errors in the roots are reported where the roots are evaluated
    // (`--matrix`); here they only mean nothing to compare with.
    let Ok(matrix) = project.matrix(config) else { return };
    for (axis, of) in axes {
        let Some(value) = of(config) else { continue };
        let mut declared: Vec<&str> = Vec::new();
        for v in matrix.iter().filter_map(|c| of(c).as_deref()) {
            if !declared.contains(&v) {
                declared.push(v);
            }
        }
        if declared.is_empty() || declared.contains(&value.as_str()) {
            continue;
        }
        let hint = match grove_syntax::closest(value, declared.iter().copied()) {
            Some(c) => format!(": did you mean `{c}`?"),
            None => String::new(),
        };
        eprintln!("warning: no root declares the {axis} `{value}` (they declare {}){hint}", declared.join(", "));
    }
}

/// Evaluates one configuration of an opened project.
pub fn evaluate_in(project: &Project, config: &Configuration, cached: bool) -> Result<Evaluation, Outcome> {
    let mut all = evaluate_all(project, std::slice::from_ref(config), cached, None)?;
    Ok(all.pop().expect("one configuration, one evaluation"))
}

/// Evaluates one configuration of an opened project, with the evaluation
/// cache `reading` reads.
pub fn evaluate_with(project: &Project, config: &Configuration, reading: Option<Reading>) -> Result<Evaluation, Outcome> {
    let mut all = evaluate_all(project, std::slice::from_ref(config), false, reading)?;
    Ok(all.pop().expect("one configuration, one evaluation"))
}

/// Evaluates configurations of an opened project together (each recipe is
/// read once for all of them). The first configuration's cache is what
/// `first` reads; with `cached`, the others' caches are read too.
pub fn evaluate_all(project: &Project, configs: &[Configuration], cached: bool, first: Option<Reading>) -> Result<Vec<Evaluation>, Outcome> {
    let ws = &project.workspace;
    let mut first = first;
    let mut bases = Vec::with_capacity(configs.len());
    let mut caches = Vec::with_capacity(configs.len());
    // What names this build of grove, read only if a cache is.
    let build = std::cell::OnceCell::new();
    for config in configs {
        let reading = first.take().or_else(|| cached.then(|| cache_file(ws.conf.as_deref(), &ws.layers, config)).flatten().map(Reading::start));
        let base = project.configure(config, &Options::default()).map_err(render::fail_derive)?;
        caches.push(reading.map(|r| (r, project.cache_key(build.get_or_init(build_id), config, &base))));
        bases.push(base);
    }
    let results = project.graphs_cached(bases.iter().zip(caches).collect());
    let mut out = Vec::with_capacity(configs.len());
    let mut failed: Vec<(Axes, Vec<DeriveError>)> = Vec::new();
    for (base, result) in bases.into_iter().zip(results) {
        let axes = Axes::of(&base);
        match result {
            Ok((graph, stats)) => out.push(Evaluation { base, graph, axes, stats }),
            Err(errors) => failed.push((axes, errors)),
        }
    }
    match failed.len() {
        0 => Ok(out),
        _ => Err(fail_all(configs.len(), failed)),
    }
}

/// The errors of the configurations that failed: each diagnostic once,
/// however many recipes met it (a class that does not parse is one error,
/// not one for every recipe that inherits it) and however many
/// configurations found it, preceded by the configurations it came from
/// when not all of them did; then a count when there are several.
fn fail_all(configurations: usize, failed: Vec<(Axes, Vec<DeriveError>)>) -> Outcome {
    // Each text with the configurations that found it (once each, however
    // many times one did).
    let mut distinct: indexmap::IndexMap<String, Vec<String>> = indexmap::IndexMap::new();
    for (axes, errors) in failed {
        let label = axes.to_string();
        for e in errors {
            let labels = distinct.entry(render::derive_text(e)).or_default();
            if labels.last() != Some(&label) {
                labels.push(label.clone());
            }
        }
    }
    let count = distinct.len();
    let mut stderr = std::io::stderr().lock();
    for (text, labels) in distinct {
        if labels.len() < configurations {
            let _ = writeln!(stderr, "in {} of {configurations} configurations ({}):", labels.len(), labels.join(", "));
        }
        let _ = stderr.write_all(text.as_bytes());
    }
    if count > 1 {
        let _ = writeln!(stderr, "{count} errors");
    }
    Outcome::Failed
}

/// Where grove keeps its caches; `None` when there is no home for them.
pub fn cache_dir() -> Option<PathBuf> {
    let env = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty()).map(PathBuf::from);
    env("GROVE_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("grove")))
        .or_else(|| env("HOME").map(|h| h.join(".cache/grove")))
}

/// Where the cache of the workspace `conf` with `layers`, in this
/// configuration, lives; `None` when there is no home for caches.
fn cache_file(conf: Option<&Path>, layers: &[Layer], config: &Configuration) -> Option<PathBuf> {
    let dir = cache_dir()?;
    let mut h = blake3::Hasher::new();
    for p in conf.iter().copied().chain(layers.iter().map(|l| l.root.as_path())) {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(b"\0");
    }
    for (k, v) in config.settings() {
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(v.as_bytes());
        h.update(b"\0");
    }
    Some(dir.join("eval").join(format!("{}.bin", &h.finalize().to_hex()[..32])))
}

/// What names this build of grove: a rebuilt binary must not trust what
/// an older one cached.
fn build_id() -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    match meta {
        Ok(m) => format!("{} {} {}", m.len(), m.mtime(), m.mtime_nsec()).into_bytes(),
        Err(_) => b"unknown".to_vec(),
    }
}
