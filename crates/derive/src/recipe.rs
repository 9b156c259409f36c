//! From an evaluated recipe to what the graph needs of it: its names, its
//! dependencies, its state in the configuration's control lists, and the
//! local part of its derivation.

use std::path::{Path, PathBuf};

use grove_eval::{DataStore, EvalError, Value};
use grove_syntax::Span;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::derivation::{DrvHash, Local, TASK_FLAGS, Task};
use crate::sources::{self, Context, FileHashes, Origin, Source};
use crate::words::for_each_word;

/// A recipe as the graph sees it (and as the evaluation cache keeps it).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Recipe {
    /// Index into [`crate::Workspace::recipes`] (not cached: set on use).
    #[serde(skip)]
    pub file: usize,
    pub pn: String,
    pub pv: String,
    /// `PN` and every `PROVIDES` name.
    pub provides: Vec<String>,
    /// `DEPENDS`, in order, without repeats.
    pub depends: Vec<String>,
    /// `RDEPENDS` names, in order, without repeats or version constraints.
    pub rdepends: Vec<String>,
    /// `BUILD_BASE`: the recipe whose artifact the build runs on.
    pub base: Option<String>,
    /// `SKIP_RECIPE[pn]`: the recipe is not available in this configuration.
    pub skip: Option<String>,
    /// `HOLD_RECIPE[pn]`: derived, but never built unless asked for by name.
    pub hold: Option<String>,
    pub local_hash: DrvHash,
}

/// A recipe with its whole local part, for `show` and `explain`.
#[derive(Debug, Clone)]
pub struct Detailed {
    pub recipe: Recipe,
    pub local: Local,
    /// Where each source comes from, in `local.sources` order.
    pub origins: Vec<Origin>,
}

/// Why a recipe could not be derived (beyond evaluation errors).
#[derive(Debug)]
pub enum ExtractError {
    Eval(EvalError),
    /// A bad `SRC_URI` entry; `at` is where `SRC_URI` was set.
    Source { error: sources::SourceError, at: Option<Span> },
    NoVersion,
    /// A host path would enter the derivation.
    /// `at` is where the variable holding it was set.
    HostPath { what: String, path: String, at: Option<Span> },
}

impl From<EvalError> for ExtractError {
    fn from(e: EvalError) -> ExtractError {
        ExtractError::Eval(e)
    }
}

/// What extraction needs besides the recipe's data.
pub struct Inputs<'a> {
    pub file: usize,
    pub recipe: &'a Path,
    pub appends: &'a [PathBuf],
    pub loader: &'a dyn grove_eval::Loader,
    /// Host directories (the layers, the workspace) that must not appear
    /// in a derivation: the sandbox cannot see them, and a checkout moved
    /// elsewhere must derive the same hashes.
    pub host_paths: &'a HostPaths,
    /// Local files already hashed in this run.
    pub hashes: &'a FileHashes,
}

fn get(store: &DataStore, var: &str) -> Result<Option<Value>, EvalError> {
    store.get(var).map_err(|e| store.locate(e, var))
}

fn flag(store: &DataStore, var: &str, name: &str) -> Result<Option<Value>, EvalError> {
    store.get_flag(var, name).map_err(|e| store.locate(e, var))
}

fn words(v: Option<Value>) -> Vec<String> {
    // Room for a usual list at once (a recipe's DEPENDS has a handful).
    let mut out: Vec<String> = Vec::with_capacity(8);
    for w in grove_syntax::words(v.as_deref().unwrap_or("")) {
        if !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    out
}

/// `RDEPENDS` words without `(>= 1.0)` constraints.
fn runtime_names(v: Option<Value>) -> Vec<String> {
    let text = v.as_deref().unwrap_or("");
    let mut plain = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    words(Some(Value::from(plain.as_str())))
}

/// A flag that is on: set, not empty, not `0`.
fn is_set(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !v.is_empty() && &**v != "0")
}

/// Reads a finalized recipe.
pub fn extract(store: &DataStore, inputs: &Inputs<'_>) -> Result<Detailed, ExtractError> {
    let pn = get(store, "PN")?.map(|v| String::from(&*v)).unwrap_or_default();
    let pv = get(store, "PV")?.map(|v| String::from(&*v)).filter(|v| !v.is_empty()).ok_or(ExtractError::NoVersion)?;
    let pr = get(store, "PR")?.map(|v| String::from(&*v)).filter(|v| !v.is_empty());
    let mut provides = vec![pn.clone()];
    for p in words(get(store, "PROVIDES")?) {
        if !provides.contains(&p) {
            provides.push(p);
        }
    }
    let control = |list: &str| -> Result<Option<String>, EvalError> {
        Ok(flag(store, list, &pn)?.map(|v| String::from(&*v)).filter(|v| !v.is_empty()))
    };
    let base = get(store, "BUILD_BASE")?.map(|v| v.trim().to_string()).filter(|b| !b.is_empty() && *b != pn);

    // One walk of the variables finds the exported ones and the functions.
    let mut env = Vec::with_capacity(8);
    let mut functions: FxHashMap<&str, &Value> = FxHashMap::with_capacity_and_hasher(64, Default::default());
    for (name, var) in store.vars() {
        let on = |flag: &str| is_set(var.flag_unexpanded(flag));
        if on("func") {
            functions.insert(name, name);
            continue;
        }
        if !on("export") || on("unexport") || name.contains(':') || name.starts_with("__") {
            continue;
        }
        if let Some(v) = get(store, name)? {
            env.push((name.clone(), v));
        }
    }
    // Names are unique (each a variable's).
    env.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let mut tasks = Vec::with_capacity(store.tasks().len());
    for t in store.tasks() {
        // One lookup for the task's `deps` and its flags. Names and values
        // are the store's, shared: an `after` task is the one declared.
        let var = store.var(t);
        let deps = var.and_then(|v| v.flag("deps")).map_or("", |d| &**d);
        let after = grove_syntax::words(deps).filter_map(|d| store.tasks().iter().find(|x| &***x == d).cloned()).collect();
        let mut flags = Vec::new();
        // A task has a few of the flags: only those are read (expanded).
        for f in TASK_FLAGS.iter().filter(|f| var.is_some_and(|v| v.flag_unexpanded(f).is_some())) {
            if let Some(v) = flag(store, t, f)? {
                flags.push((*f, v));
            }
        }
        tasks.push(Task { name: t.clone(), after, flags });
    }
    let functions = reachable_functions(store, store.tasks(), &functions)?;

    let src_uri = get(store, "SRC_URI")?.map(|v| String::from(&*v)).unwrap_or_default();
    let cx = Context {
        store,
        search: Context::search_dirs(store, inputs.recipe, inputs.appends),
        loader: inputs.loader,
        hashes: inputs.hashes,
    };
    let (sources, origins): (Vec<Source>, Vec<Origin>) =
        sources::resolve(&src_uri, &cx)
            .map_err(|error| ExtractError::Source { error, at: store.origin("SRC_URI") })?
            .into_iter()
            .unzip();

    let mut runtime = runtime_names(get(store, "RDEPENDS")?);
    let rdepends = runtime.clone();
    runtime.sort();
    let local = Local {
        name: pn.clone(),
        version: match &pr {
            Some(pr) => format!("{pv}-{pr}"),
            None => pv.clone(),
        },
        arch: get(store, "ARCH")?.map(|v| String::from(&*v)).unwrap_or_default(),
        env,
        tasks,
        functions,
        sources,
        runtime,
        force: control("FORCE_REBUILD")?,
    };
    // Every hashed value is in the encoding: one search of it clears them
    // all (a search of each value cost more than the search itself).
    let encoding = local.encode();
    if let Some(path) = inputs.host_paths.find_bytes(&encoding) {
        check_host_paths(&local, inputs.host_paths, store)?;
        // The one part left: the recipe's name, version or arch.
        let what = "the recipe's name, version or ARCH".to_string();
        return Err(ExtractError::HostPath { what, path: path.to_string(), at: None });
    }
    let recipe = Recipe {
        file: inputs.file,
        pn: pn.clone(),
        pv,
        provides,
        depends: words(get(store, "DEPENDS")?),
        rdepends,
        base,
        skip: control("SKIP_RECIPE")?,
        hold: control("HOLD_RECIPE")?,
        local_hash: Local::hash_encoding(&encoding),
    };
    Ok(Detailed { recipe, local, origins })
}

/// Every shell function the tasks can reach: a word of a reachable body
/// that names a function makes that function reachable (a superset of what
/// runs, which is the safe side for a hash).
/// `functions` are the store's, by name.
fn reachable_functions(store: &DataStore, tasks: &[Value], functions: &FxHashMap<&str, &Value>) -> Result<Vec<(Value, Value)>, EvalError> {
    // The functions are few (tens), the words of their bodies many: every
    // word is one lookup in the map, and nothing is copied (names and
    // bodies are the store's values, shared).
    // Most words (`install`, `-d`, `${D}/...`) name no function: their
    // first byte and length rule them out before any hashing.
    let mut first = [false; 256];
    let (mut shortest, mut longest) = (usize::MAX, 0);
    // Words starting with a digit or `-` are never taken for names.
    for f in functions.keys().filter(|f| f.starts_with(|c: char| !c.is_ascii_digit() && c != '-')) {
        first[usize::from(f.as_bytes()[0])] = true;
        (shortest, longest) = (shortest.min(f.len()), longest.max(f.len()));
    }
    let may_name = |w: &str| first[usize::from(w.as_bytes()[0])] && (shortest..=longest).contains(&w.len());
    let mut reached: FxHashSet<&str> = FxHashSet::with_capacity_and_hasher(functions.len(), Default::default());
    let mut todo: Vec<&Value> = Vec::new();
    for task in tasks {
        if let Some(&f) = functions.get(&**task) {
            if reached.insert(&**f) {
                todo.push(f);
            }
        }
    }
    let mut found: Vec<(Value, Value)> = Vec::with_capacity(functions.len());
    while let Some(name) = todo.pop() {
        let body = get(store, name)?.unwrap_or_default();
        for_each_word(&body, |word| {
            if !may_name(word) {
                return;
            }
            if let Some(&f) = functions.get(word) {
                if reached.insert(&**f) {
                    todo.push(f);
                }
            }
        });
        found.push((name.clone(), body));
    }
    // Names are unique: ordered by name alone, as a full sort would.
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Host directories that must not appear in a derivation, with a
/// searcher for each (built once: every value of every recipe is searched).
#[derive(Debug, Default)]
pub struct HostPaths {
    finders: Vec<(String, memchr::memmem::Finder<'static>)>,
}

impl HostPaths {
    pub fn new(paths: impl IntoIterator<Item = String>) -> HostPaths {
        let mut paths: Vec<String> = paths.into_iter().filter(|p| !p.is_empty()).collect();
        paths.sort_by_key(String::len);
        // A text holding a layer inside the workspace holds the workspace
        // too: searching for the shorter path alone finds every leak (the
        // layers usually lie in the workspace, so this halves the search).
        let mut kept: Vec<String> = Vec::new();
        for p in paths {
            if !kept.iter().any(|k| p.starts_with(k.as_str())) {
                kept.push(p);
            }
        }
        let finders = kept
            .into_iter()
            .map(|p| {
                let finder = memchr::memmem::Finder::new(p.as_bytes()).into_owned();
                (p, finder)
            })
            .collect();
        HostPaths { finders }
    }

    /// The first host path in `text`.
    pub fn find(&self, text: &str) -> Option<&str> {
        self.find_bytes(text.as_bytes())
    }

    /// [`HostPaths::find`] in bytes.
    pub fn find_bytes(&self, bytes: &[u8]) -> Option<&str> {
        self.finders.iter().find(|(_, f)| f.find(bytes).is_some()).map(|(p, _)| p.as_str())
    }
}

fn check_host_paths(local: &Local, host_paths: &HostPaths, store: &DataStore) -> Result<(), ExtractError> {
    // `var` is the variable whose value it is, for the location; `what`
    // names the value, and is only written out for an error.
    let leak = |what: &dyn Fn() -> String, var: &str, text: &str| -> Result<(), ExtractError> {
        match host_paths.find(text) {
            Some(p) => Err(ExtractError::HostPath { what: what(), path: p.to_string(), at: store.origin(var) }),
            None => Ok(()),
        }
    };
    for (k, v) in &local.env {
        leak(&|| format!("exported variable {k}"), k, v)?;
    }
    for (name, body) in &local.functions {
        leak(&|| name.to_string(), name, body)?;
    }
    for t in &local.tasks {
        for (f, v) in &t.flags {
            leak(&|| format!("{}[{f}]", t.name), &t.name, v)?;
        }
    }
    for source in &local.sources {
        leak(&|| format!("the source {}", source.name), "SRC_URI", &source.name)?;
        for (k, v) in &source.params {
            leak(&|| format!("the source {}'s {k}", source.name), "SRC_URI", v)?;
        }
    }
    for name in &local.runtime {
        leak(&|| format!("the runtime dependency {name}"), "RDEPENDS", name)?;
    }
    if let Some(force) = &local.force {
        leak(&|| "FORCE_REBUILD".to_string(), "FORCE_REBUILD", force)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::HostPaths;

    #[test]
    fn host_paths_inside_another_are_found_through_it() {
        let paths = HostPaths::new(["/w/layer".to_string(), "/w".to_string(), "/other/layer".to_string(), String::new()]);
        assert_eq!(paths.finders.len(), 2, "/w/layer is found by /w");
        assert_eq!(paths.find("cp /w/layer/files/a ."), Some("/w"));
        assert_eq!(paths.find("cd /other/layer"), Some("/other/layer"));
        assert_eq!(paths.find("cd /other"), None);
        assert_eq!(paths.find(""), None);
    }
}
