//! A project: a workspace, one evaluation session over it, and the
//! configurations its recipes are evaluated in.
//!
//! A configuration is read once (grove's defaults, `grove.conf`, each
//! layer's `conf/layer.conf`, lowest priority first) into a [`Base`]; every
//! recipe is then evaluated on a copy of it, as BitBake evaluates recipes on
//! its configuration data. Values given on the command line are set before
//! the configuration is read, so `:=` sees them, and again after, so that
//! no assignment in a file overrides them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use grove_eval::{Base, Bases, DataStore, Evaluated, FsLoader, Options, RecipeInput, Session, Value, stdlib};
use grove_syntax::SourceMap;
use rayon::prelude::*;

use crate::cache::{self, Cache, Read, Reading, Stats};
use crate::error::{DeriveError, Names, Wanted};
use crate::graph::{Graph, Preferences};
use crate::layer::{RecipeFile, Workspace};
use crate::providers;
use crate::recipe::{self, Detailed, HostPaths, Inputs, Recipe};
use crate::sources::{FileHashes, Origin};

/// The axes of one configuration, and extra `--set VAR=value` settings.
#[derive(Debug, Clone, Default)]
pub struct Configuration {
    pub version: Option<String>,
    pub flavor: Option<String>,
    pub arch: Option<String>,
    pub kind: Option<String>,
    pub set: Vec<(String, String)>,
}

impl Configuration {
    /// Reads `VAR=value`.
    pub fn parse_setting(text: &str) -> Result<(String, String), DeriveError> {
        match text.split_once('=') {
            Some((var, value)) if !var.trim().is_empty() => Ok((var.trim().to_string(), value.to_string())),
            _ => Err(DeriveError::BadSetting { value: text.to_string() }),
        }
    }

    /// Every value the command line sets, axes first.
    pub fn settings(&self) -> Vec<(&str, &str)> {
        let axes = [("VERSION", &self.version), ("FLAVOR", &self.flavor), ("ARCH", &self.arch), ("KIND", &self.kind)];
        let mut out: Vec<(&str, &str)> = axes.iter().filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))).collect();
        out.extend(self.set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        out
    }
}

/// The workspace and the session that reads its files.
pub struct Project {
    pub workspace: Workspace,
    session: Session,
    /// Host directories no derivation may mention.
    host_paths: HostPaths,
    /// Local sources hashed so far (the matrix reads each once, not once
    /// per configuration).
    hashes: FileHashes,
}

impl Project {
    /// A project over `workspace`: files are read only from the workspace
    /// file's directory and the layers.
    pub fn new(workspace: Workspace) -> Project {
        let mut roots: Vec<PathBuf> = workspace.layers.iter().map(|l| l.root.clone()).collect();
        if let Some(dir) = workspace.conf.as_deref().and_then(Path::parent) {
            roots.push(dir.to_path_buf());
        }
        let host_paths = HostPaths::new(
            roots.iter().filter(|r| r.components().count() > 2).map(|r| r.to_string_lossy().into_owned()),
        );
        let session = Session::new(FsLoader::new(roots).with_listing(workspace.listing.clone())).with_search_path(workspace.search_path());
        Project { workspace, session, host_paths, hashes: FileHashes::default() }
    }

    pub fn sources(&self) -> &SourceMap {
        self.session.sources()
    }

    /// Reads one configuration into the base every recipe starts from.
    pub fn configure(&self, config: &Configuration, options: &Options) -> Result<Base, DeriveError> {
        let settings = config.settings();
        let mut store = if options.history { DataStore::with_history() } else { DataStore::new() };
        apply(&mut store, &settings);
        let mut base = Base::new(store);
        let mut files = vec![stdlib::path("conf/defaults.conf")];
        files.extend(self.workspace.conf.clone());
        let context = files.last().expect("the defaults are always read").clone();
        base = self.session.configure(&files, base).map_err(|e| DeriveError::eval(&context, e, &self.session))?;
        for layer in &self.workspace.layers {
            base.store.set("LAYERDIR", Value::from(layer.root.to_string_lossy().as_ref()), "set", "", None);
            base = self
                .session
                .configure(std::slice::from_ref(&layer.conf), base)
                .map_err(|e| DeriveError::eval(&layer.conf, e, &self.session))?;
        }
        base.store.delete("LAYERDIR", None);
        apply(&mut base.store, &settings);
        Ok(base)
    }

    /// The configurations the roots declare: for each `roots/*.grroot`,
    /// read on top of `config`'s configuration, every combination of its
    /// `ROOT_FLAVORS`, `ROOT_ARCHS` and `ROOT_KINDS` (each defaults to the
    /// configuration's own value). Without roots, `config` alone.
    pub fn matrix(&self, config: &Configuration) -> Result<Vec<Configuration>, DeriveError> {
        if self.workspace.roots.is_empty() {
            return Ok(vec![config.clone()]);
        }
        let base = self.configure(config, &Options::default())?;
        let mut out: Vec<Configuration> = Vec::new();
        for root in &self.workspace.roots {
            let read = self.session.configure(std::slice::from_ref(root), base.clone());
            let read = read.map_err(|e| DeriveError::eval(root, e, &self.session))?;
            let list = |var: &str, axis: &str| -> Result<Vec<String>, DeriveError> {
                let value = match read.store.get(var).map_err(|e| DeriveError::eval(root, read.store.locate(e, var), &self.session))? {
                    Some(v) if !v.trim().is_empty() => v,
                    _ => read.store.get(axis).ok().flatten().unwrap_or_default(),
                };
                Ok(grove_syntax::words(&value).map(String::from).collect())
            };
            let (flavors, archs, kinds) = (list("ROOT_FLAVORS", "FLAVOR")?, list("ROOT_ARCHS", "ARCH")?, list("ROOT_KINDS", "KIND")?);
            for flavor in &flavors {
                for arch in &archs {
                    for kind in &kinds {
                        let mut c = config.clone();
                        (c.flavor, c.arch, c.kind) = (Some(flavor.clone()), Some(arch.clone()), Some(kind.clone()));
                        if !out.iter().any(|o| o.settings() == c.settings()) {
                            out.push(c);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Evaluates one recipe file, with its appends, on `base`.
    pub fn evaluate(&self, recipe: &RecipeFile, base: &Base) -> Result<Evaluated, DeriveError> {
        let evaluated = self.with_input(recipe, |input| self.session.evaluate_recipe(input, base));
        evaluated.map_err(|e| DeriveError::eval(&recipe.path, e, &self.session))
    }

    /// [`Project::evaluate`] on the bases `which` of `bases`, the files
    /// read once (and the statements evaluated once where they can be,
    /// see [`Bases`]).
    pub fn evaluate_on_each(&self, recipe: &RecipeFile, bases: &Bases, which: &[usize]) -> Vec<Result<Evaluated, DeriveError>> {
        let evaluated = self.with_input(recipe, |input| self.session.evaluate_recipe_on_each(input, bases, which));
        evaluated.into_iter().map(|e| e.map_err(|e| DeriveError::eval(&recipe.path, e, &self.session))).collect()
    }

    /// What the session is given to evaluate `recipe`.
    fn with_input<T>(&self, recipe: &RecipeFile, f: impl FnOnce(RecipeInput<'_>) -> T) -> T {
        let mut preset: Vec<(&str, Value)> = vec![("PN", Value::from(recipe.pn.as_str()))];
        if let Some(pv) = &recipe.pv {
            preset.push(("PV", Value::from(pv.as_str())));
        }
        if let Some(pr) = &recipe.pr {
            preset.push(("PR", Value::from(pr.as_str())));
        }
        f(RecipeInput { recipe: &recipe.path, appends: &recipe.append_paths, preset: &preset })
    }

    /// Evaluates recipe files in parallel, each in the configurations that
    /// need it: `work` pairs a recipe (an index into the workspace's
    /// recipes) with indexes into `bases`. A recipe is read once for all
    /// its configurations. `each(config, recipe, evaluated)` turns an
    /// evaluation into what the caller keeps (stores are large; keep only
    /// what is needed). Results come in `work`'s order.
    pub fn evaluate_some<T: Send>(
        &self,
        work: &[(usize, Vec<usize>)],
        bases: &[&Base],
        each: impl Fn(usize, usize, Evaluated) -> Result<T, DeriveError> + Sync,
    ) -> Vec<Vec<(usize, Result<T, DeriveError>)>> {
        // A data store caches reads, so it is not shared between threads:
        // each worker copies the bases once (through a lock, used only then).
        let shared = std::sync::Mutex::new(bases.iter().map(|b| (*b).clone()).collect::<Vec<Base>>());
        let copy = || Bases::new(shared.lock().unwrap_or_else(|e| e.into_inner()).iter().map(Base::detached).collect());
        work.par_iter()
            .map_init(copy, |copies, (i, configs)| {
                let recipe = &self.workspace.recipes[*i];
                let evaluated = self.evaluate_on_each(recipe, copies, configs);
                let done = configs.iter().zip(evaluated).map(|(&c, e)| (c, e.and_then(|e| each(c, *i, e)))).collect();
                // Derived: the texts are needed only by the errors that
                // point into them, which hold them (see `SourceMap::release`).
                for path in std::iter::once(&recipe.path).chain(&recipe.append_paths) {
                    self.session.sources().release(path);
                }
                done
            })
            .collect()
    }

    /// Reads an evaluated recipe file into its local derivation.
    pub fn extract(&self, index: usize, evaluated: &Evaluated) -> Result<Detailed, DeriveError> {
        let file = &self.workspace.recipes[index];
        let inputs = Inputs {
            file: index,
            recipe: &file.path,
            appends: &file.append_paths,
            loader: self.session.loader(),
            host_paths: &self.host_paths,
            hashes: &self.hashes,
        };
        recipe::extract(&evaluated.store, &inputs).map_err(|e| DeriveError::extract(&file.path, e, &self.session))
    }

    /// Evaluates and extracts one recipe file.
    pub fn detail(&self, index: usize, base: &Base) -> Result<Detailed, DeriveError> {
        let evaluated = self.evaluate(&self.workspace.recipes[index], base)?;
        self.extract(index, &evaluated)
    }

    /// Evaluates every recipe of the configuration `base` into the
    /// derivation graph; every error found on the way is returned.
    pub fn graph(&self, base: &Base) -> Result<Graph, Vec<DeriveError>> {
        self.graph_cached(base, None).map(|(g, _)| g)
    }

    /// The evaluation cache's key for this configuration; `build` names
    /// grove's build (a change of grove must not reuse old results).
    pub fn cache_key(&self, build: &[u8], config: &Configuration, base: &Base) -> [u8; 32] {
        cache::key(build, &config.settings(), &base.files, &self.workspace.others)
    }

    /// [`Project::graph`], reusing what the cache file `cache.0` reads
    /// (for key `cache.1`) still holds, and saving what was evaluated anew.
    pub fn graph_cached(&self, base: &Base, cache: Option<CacheReading>) -> Result<(Graph, Stats), Vec<DeriveError>> {
        self.graphs_cached(vec![(base, cache)]).pop().expect("one configuration, one graph")
    }

    /// [`Project::graph_cached`] for several configurations at once (a
    /// matrix): each recipe that some configuration's cache cannot answer
    /// is read once and evaluated in each configuration that needs it,
    /// while its files are at hand; the graphs are then built in parallel.
    pub fn graphs_cached(&self, configs: Vec<(&Base, Option<CacheReading>)>) -> Vec<Built> {
        let workspace = &self.workspace;
        let recipes = &workspace.recipes;
        let stamp_of = |p: &Path| workspace.stamp(p).or_else(|| cache::Stamp::of(p));
        let bases: Vec<&Base> = configs.iter().map(|(b, _)| *b).collect();
        // What each configuration's cache still holds; the rest is work.
        let mut states: Vec<Pending> = Vec::with_capacity(configs.len());
        let mut needs: Vec<Vec<usize>> = vec![Vec::new(); recipes.len()];
        for (c, (base, cache)) in configs.into_iter().enumerate() {
            let file = cache.as_ref().map(|(reading, _)| reading.path().to_path_buf());
            let mut loaded = cache.map(|(reading, key)| Cache::load(reading, key, &stamp_of));
            let mut slots: Vec<Option<(Recipe, Read)>> = (0..recipes.len()).map(|_| None).collect();
            let mut evaluated = 0;
            for (i, r) in recipes.iter().enumerate() {
                match loaded.as_mut().and_then(|l| l.take(i, &r.path, &r.append_paths)) {
                    Some((recipe, read)) => slots[i] = Some((Recipe { file: i, ..recipe }, read)),
                    None => {
                        needs[i].push(c);
                        evaluated += 1;
                    }
                }
            }
            let prefs = Preferences::of(&base.store);
            states.push(Pending { file, loaded, slots, evaluated, prefs, errors: Vec::new() });
        }
        let work: Vec<(usize, Vec<usize>)> = needs.into_iter().enumerate().filter(|(_, c)| !c.is_empty()).collect();
        // What each recipe read is kept for the cache only.
        let keeping: Vec<bool> = states.iter().map(|s| s.loaded.is_some()).collect();
        let results = self.evaluate_some(&work, &bases, |c, i, e| {
            let detail = self.extract(i, &e)?;
            if !keeping[c] {
                return Ok((detail.recipe, Read::Paths(Arc::default())));
            }
            let mut read = e.files;
            read.extend(detail.origins.iter().filter_map(|o| match o {
                Origin::Path(p) => Some(p.clone()),
                Origin::Url(_) => None,
            }));
            Ok((detail.recipe, Read::Paths(read.into())))
        });
        for ((i, _), done) in work.iter().zip(results) {
            // A recipe usually reads the same files in every configuration:
            // one list is kept for all of them.
            let mut last: Option<Arc<[PathBuf]>> = None;
            for (c, r) in done {
                match r {
                    Ok((recipe, Read::Paths(read))) => {
                        let read = match last.take() {
                            Some(l) if *l == *read => l,
                            _ => read,
                        };
                        last = Some(read.clone());
                        states[c].slots[*i] = Some((recipe, Read::Paths(read)));
                    }
                    Ok(kept) => states[c].slots[*i] = Some(kept),
                    Err(e) => states[c].errors.push(e),
                }
            }
        }
        let priorities: Vec<i64> = workspace.layers.iter().map(|l| l.priority).collect();
        // Without caches to write, the graphs are built in parallel; with
        // them, one configuration at a time, its cache written before the
        // next is built (each copy of every recipe and its encoding is
        // large: four at once took a matrix of 10,000 recipes near 300 MB).
        let built: Vec<Built> = if states.iter().all(|s| s.loaded.is_none()) {
            states.into_par_iter().map(|state| self.finish(state, &priorities).0).collect()
        } else {
            states
                .into_iter()
                .map(|state| {
                    let (result, save) = self.finish(state, &priorities);
                    if let Some(save) = save {
                        save.write(self, &stamp_of);
                    }
                    result
                })
                .collect()
        };
        built.into_iter().zip(bases).map(|(b, base)| b.map_err(|errors| self.locate(errors, base))).collect()
    }

    /// `file:line:col` of the statement that set the configuration's
    /// variable `var` (none for `--set`).
    fn place_of(&self, base: &Base, var: &str) -> Option<String> {
        base.store.source_of(var).map(|span| self.session.sources().describe(span))
    }

    /// An error about the configuration's preferences, given where the
    /// preference was set; other errors as they are.
    fn locate_configured(&self, e: DeriveError, base: &Base) -> DeriveError {
        match e {
            DeriveError::NoPreferredVersion { name, preferred, available, place: None } => {
                let place = self.place_of(base, &format!("PREFERRED_VERSION_{name}"));
                DeriveError::NoPreferredVersion { name, preferred, available, place }
            }
            DeriveError::BadPreferredProvider { name, preferred, candidates, place: None } => {
                let place = self.place_of(base, &format!("PREFERRED_PROVIDER_{name}"));
                DeriveError::BadPreferredProvider { name, preferred, candidates, place }
            }
            e => e,
        }
    }

    /// Errors that name a recipe's variable, given where it was set: the
    /// recipe is evaluated again for it (on errors only, so the graph
    /// need not keep every variable's place; in parallel, as a statement
    /// of the configuration may fail every recipe). A missing dependency
    /// that one statement gave many recipes is then one error.
    fn locate(&self, errors: Vec<DeriveError>, base: &Base) -> Vec<DeriveError> {
        // The statement that names the dependency: the one that last set
        // the variable, else its last `:append` or `:prepend` that does;
        // else (a name reached through `${...}`) the recipe's file.
        let place = |base: &Base, wanted: &Wanted, name: &str| {
            let recipe = &self.workspace.recipes[wanted.file];
            let sources = self.session.sources();
            let names_it = |span: &grove_syntax::Span| {
                let text = sources.get(span.file).map(|f| f.text.clone()).unwrap_or_default();
                let statement = text.get(span.start as usize..span.end as usize).unwrap_or_default();
                grove_syntax::words(statement).any(|w| w.trim_matches('"') == name)
            };
            let found = self.evaluate(recipe, base).ok().and_then(|e| e.store.var(wanted.var)?.statements().find(names_it));
            match found {
                Some(span) => sources.describe(span),
                None => recipe.path.display().to_string(),
            }
        };
        let needs_recipe = |e: &DeriveError| matches!(e, DeriveError::NoProvider { wanted: Some(_), .. } | DeriveError::Cycle { .. });
        if !errors.iter().any(needs_recipe) {
            return errors.into_iter().map(|e| self.locate_configured(e, base)).collect();
        }
        // Each worker evaluates on its own copy (see `evaluate_some`).
        let shared = std::sync::Mutex::new(base.clone());
        let copy = || shared.lock().unwrap_or_else(|e| e.into_inner()).detached();
        let located: Vec<DeriveError> = errors
            .into_par_iter()
            .map_init(copy, |base, e| match e {
                DeriveError::NoProvider { name, wanted: Some(mut wanted), also, help } => {
                    wanted.place = wanted.place.take().or_else(|| Some(place(base, &wanted, &name)));
                    DeriveError::NoProvider { name, wanted: Some(wanted), also, help }
                }
                DeriveError::Cycle { path, mut links } => {
                    for link in &mut links.0 {
                        link.wanted.place = Some(place(base, &link.wanted, &link.name));
                    }
                    DeriveError::Cycle { path, links }
                }
                e => self.locate_configured(e, base),
            })
            .collect();
        one_per_statement(located)
    }

    /// One configuration's graph from its recipes, and what its cache
    /// should keep.
    fn finish(&self, state: Pending, priorities: &[i64]) -> (Built, Option<Save>) {
        let Pending { file, loaded, slots, evaluated, prefs, errors } = state;
        if !errors.is_empty() {
            return (Err(errors), None);
        }
        let workspace = &self.workspace;
        let recipes = &workspace.recipes;
        let stats = Stats { reused: recipes.len() - evaluated, evaluated };
        // No errors: slot `i` holds recipe file `i`. Without a cache to
        // write, what was read is not needed, and the recipes are taken out
        // where the slots are (no new list: 10,000 recipes are megabytes).
        let (Some(path), Some(mut cache)) = (file, loaded) else {
            let values = slots.into_iter().filter_map(|s| s.map(|(recipe, _)| recipe)).collect();
            return (Graph::build(workspace, values, &prefs).map(|g| (g, stats)), None);
        };
        let (mut values, mut reads) = (Vec::with_capacity(slots.len()), Vec::with_capacity(slots.len()));
        for (recipe, read) in slots.into_iter().flatten() {
            values.push(recipe);
            reads.push(read);
        }
        // Every recipe from the cache, unchanged: so is the graph.
        if let Some(parts) = cache.take_graph(recipes.len(), priorities) {
            return (Ok((Graph::from_parts(parts, values), stats)), None);
        }
        let changed = evaluated > 0 || cache.stale > 0 || cache.len() != values.len();
        let kept = values.clone();
        let graph = Graph::build(workspace, values, &prefs);
        // Errors are not kept: the entries are, when they changed.
        let save = (changed || graph.is_ok()).then(|| {
            let parts = graph.as_ref().ok().map(|g| g.parts(priorities.to_vec()));
            Save { cache, path, recipes: kept, reads, parts }
        });
        (graph.map(|g| (g, stats)), save)
    }
}

/// Missing dependencies that one statement named for several recipes (a
/// class's or the configuration's `DEPENDS:append`, say) as one error,
/// which lists them all; other errors as they are, in order.
fn one_per_statement(errors: Vec<DeriveError>) -> Vec<DeriveError> {
    let key = |e: &DeriveError| match e {
        DeriveError::NoProvider { name, wanted: Some(w), .. } => Some((name.clone(), w.var, w.place.clone()?)),
        _ => None,
    };
    crate::error::merge_errors(errors, key, |first, again| {
        if let (DeriveError::NoProvider { also, .. }, DeriveError::NoProvider { wanted: Some(w), also: more, .. }) = (first, again) {
            also.extend(std::iter::once(w.by).chain(more));
        }
    })
}

/// What one configuration's evaluation cache is to keep.
struct Save {
    cache: Cache,
    path: PathBuf,
    recipes: Vec<Recipe>,
    reads: Vec<Read>,
    parts: Option<crate::graph::Parts>,
}

impl Save {
    fn write(self, project: &Project, stamp_of: &(dyn Fn(&Path) -> Option<cache::Stamp> + Sync)) {
        let workspace = &project.workspace;
        let files = &workspace.recipes;
        let entries = self.recipes.iter().zip(&self.reads).map(|(r, read)| (files[r.file].path.as_path(), files[r.file].append_paths.as_slice(), r, read));
        // A cache that cannot be written costs time, never results.
        let _ = self.cache.save(&self.path, entries, self.parts, stamp_of);
    }
}

/// An evaluation cache being read, and the key its entries must have.
pub type CacheReading = (Reading, [u8; 32]);

/// One configuration's graph, or every error found on the way.
pub type Built = Result<(Graph, Stats), Vec<DeriveError>>;

/// One configuration's evaluation in [`Project::graphs_cached`], before
/// its graph is built.
struct Pending {
    /// The cache file, and what it still holds.
    file: Option<PathBuf>,
    loaded: Option<Cache>,
    /// Recipe file `i`'s recipe, once known.
    slots: Vec<Option<(Recipe, Read)>>,
    /// How many recipes were evaluated (the rest came from the cache).
    evaluated: usize,
    prefs: Preferences,
    errors: Vec<DeriveError>,
}

/// Whether `path` names one of grove's embedded files (no file on disk).
pub(crate) fn is_embedded(path: &Path) -> bool {
    stdlib::lookup(path).is_some()
}

impl Project {
    /// The recipe file to use for `name` (a file name's `PN`):
    /// `PREFERRED_VERSION_<name>` if set, else the highest layer priority,
    /// then the highest version.
    pub fn choose_recipe(&self, name: &str, base: &Base) -> Result<&RecipeFile, DeriveError> {
        let candidates = providers::versions_of(&self.workspace, name);
        if candidates.is_empty() {
            let names = self.workspace.recipes.iter().map(|r| r.pn.as_str());
            let help = match grove_syntax::closest(name, names) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("no layer has recipes/*/{name}_<version>.gr or {name}.gr"),
            };
            return Err(DeriveError::NoProvider { name: name.to_string(), wanted: None, also: Names::default(), help });
        }
        let var = format!("PREFERRED_VERSION_{name}");
        let preferred = base.store.get(&var).ok().flatten();
        let chosen = providers::pick(&candidates, preferred.as_deref(), |r| r.pv.as_deref());
        chosen.map(|i| candidates[i]).ok_or_else(|| DeriveError::NoPreferredVersion {
            name: name.to_string(),
            preferred: preferred.as_deref().unwrap_or_default().to_string(),
            available: candidates.iter().filter_map(|r| r.pv.clone()).collect(),
            place: self.place_of(base, &var),
        })
    }
}

/// Sets each `VAR=value` (or `VAR[flag]=value`).
fn apply(store: &mut DataStore, settings: &[(&str, &str)]) {
    for (var, value) in settings {
        match var.strip_suffix(']').and_then(|v| v.split_once('[')) {
            Some((var, flag)) => store.set_flag(var, flag, Some(Value::from(*value)), "set", value, None),
            None => store.set(*var, Value::from(*value), "set", value, None),
        }
    }
}
