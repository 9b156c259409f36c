//! Evaluation: statements of a file and of everything it includes and
//! inherits, applied in order to a [`DataStore`] (BitBake's `ast.py` node
//! `eval` methods and `BBHandler.inherit`), then finalized (deferred
//! inherits, keys holding `${...}` expanded).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::cell::RefCell;
use std::sync::Arc;

use thread_local::ThreadLocal;

use grove_syntax::ast::{Assign, AssignOp, Function, IncludeKind, Stmt, StmtKind};
use grove_syntax::{Parse, SourceFile, SourceMap, Span};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::datastore::{DataStore, Parsed, Value, common};
use crate::error::{EvalError, ExpandError};
use crate::shared::{Bases, Sharing};
use crate::loader::{LoadError, Loader, Probe};
use crate::stdlib;

/// At most this many statements are evaluated for one recipe.
pub const MAX_STATEMENTS: usize = 1_000_000;
/// At most this many bytes of values are stored for one recipe (a real one
/// stores well under a megabyte).
pub const MAX_STORED_BYTES: usize = 256 << 20;
/// Includes may nest this deep.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// A parsed file, shared by every evaluation that reads it.
#[derive(Debug)]
pub struct Loaded {
    pub source: Arc<SourceFile>,
    pub parse: Parse,
    /// The path as a value, for `FILE`.
    pub path_value: Value,
}

/// How to evaluate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Record every operation, for `getvar --history`.
    pub history: bool,
}

/// What every recipe of one configuration starts from, BitBake's
/// configuration data: the variables the configuration files set and the
/// classes they inherited (which a recipe's `inherit` then skips).
#[derive(Debug, Clone, Default)]
pub struct Base {
    pub store: DataStore,
    pub(crate) inherited: FxHashSet<OsString>,
    /// Every configuration file read, in order.
    pub files: Vec<PathBuf>,
}

impl Base {
    /// A base holding `store`, before any configuration file is read.
    pub fn new(store: DataStore) -> Base {
        Base { store, ..Base::default() }
    }

    /// A copy for one thread to evaluate recipes on (see
    /// [`DataStore::detached`]).
    pub fn detached(&self) -> Base {
        Base { store: self.store.detached(), inherited: self.inherited.clone(), files: self.files.clone() }
    }
}

/// A recipe to evaluate on a [`Base`].
#[derive(Debug, Clone, Copy)]
pub struct RecipeInput<'a> {
    pub recipe: &'a Path,
    /// `.grappend` files, applied after the recipe in this order.
    pub appends: &'a [PathBuf],
    /// Set before the recipe is read (`PN`, `PV` from the file name).
    pub preset: &'a [(&'a str, Value)],
}

/// The outcome of evaluating a recipe.
#[derive(Debug)]
pub struct Evaluated {
    pub store: DataStore,
    /// Every file read, in order, the recipe first.
    pub files: Vec<PathBuf>,
}

/// Files, their parses and where to look for includes and classes; shared
/// by all evaluations (and threads) of one run.
pub struct Session {
    loader: Box<dyn Loader>,
    sources: SourceMap,
    /// What the session remembers, one copy per thread: every recipe
    /// reads the same classes and includes, and threads that shared one
    /// copy would contend for its lock and for the reference counts of
    /// every name and value of its syntax trees (each evaluation clones
    /// them into its store). A class is parsed once per thread instead.
    memo: ThreadLocal<RefCell<Memo>>,
    search: Vec<PathBuf>,
    /// Skip a `require` or `inherit` whose file is not found instead of
    /// failing: for reading a workspace's or layer's own settings before
    /// the layers (and so their classes and includes) are known.
    lenient: bool,
}

impl Session {
    pub fn new(loader: impl Loader + 'static) -> Session {
        Session {
            loader: Box::new(loader),
            sources: SourceMap::new(),
            memo: ThreadLocal::new(),
            search: Vec::new(),
            lenient: false,
        }
    }

    /// A session that skips a `require` or `inherit` it cannot find (see
    /// the `lenient` field): only for a first look at configuration files.
    pub fn lenient(mut self) -> Session {
        self.lenient = true;
        self
    }

    /// Directories searched (after the including file's own) for includes
    /// and `classes/`: the layers, highest priority first.
    pub fn with_search_path(mut self, dirs: impl IntoIterator<Item = PathBuf>) -> Session {
        self.search = dirs.into_iter().collect();
        self
    }

    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The loader every file is read through (sources named by `file://`
    /// are read through it too, so they are confined like recipes).
    pub fn loader(&self) -> &dyn Loader {
        &*self.loader
    }

    /// Reads and parses a file, once per session.
    pub fn load(&self, path: &Path) -> Result<Arc<Loaded>, LoadError> {
        self.load_inner(path, true)
    }

    /// Reads and parses a file; `keep` caches the parse for the rest of the
    /// session (classes and includes are read by many recipes; a recipe is
    /// read once, and keeping its tree would make memory grow with the
    /// number of recipes).
    fn load_inner(&self, path: &Path, keep: bool) -> Result<Arc<Loaded>, LoadError> {
        {
            let memo = self.memo().borrow();
            if let Some(l) = memo.parsed.get(path.as_os_str()) {
                return Ok(l.clone());
            }
            if let Some(l) = memo.pinned.as_ref().and_then(|p| p.get(path.as_os_str())) {
                return Ok(l.clone());
            }
        }
        let text: Arc<str> = match stdlib::lookup(path) {
            Some(t) => t.into(),
            None => self.loader.read(path)?,
        };
        let source = self.sources.add(path, text);
        let parse = grove_syntax::parse(source.id, &source.text);
        let path_value = path_text(path);
        let loaded = Arc::new(Loaded { source, parse, path_value });
        let mut memo = self.memo().borrow_mut();
        if keep {
            memo.parsed.insert(path.as_os_str().to_owned(), loaded.clone());
        } else if let Some(pinned) = &mut memo.pinned {
            pinned.insert(path.as_os_str().to_owned(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Evaluates a recipe (or any file) and everything it pulls in.
    pub fn evaluate(&self, path: &Path, options: &Options) -> Result<Evaluated, EvalError> {
        // The new store becomes the recipe's: no copy of an empty base.
        let store = if options.history { DataStore::with_history() } else { DataStore::new() };
        self.evaluate_on(store, FxHashSet::default(), RecipeInput { recipe: path, appends: &[], preset: &[] })
    }

    fn probe_top(&self, path: &Path) -> Result<PathBuf, EvalError> {
        if stdlib::lookup(path).is_some() {
            return Ok(path.to_path_buf());
        }
        match self.loader.probe(path) {
            Probe::File(p) => Ok(p),
            Probe::Missing => Err(read_error(path, &LoadError::NotFound, None)),
            Probe::Forbidden(p) => Err(read_error(&p, &LoadError::Forbidden, None)),
        }
    }

    fn interp(&self, base: &Base, top_dir: PathBuf) -> Interp<'_> {
        self.interp_on(base.store.clone(), base.inherited.clone(), top_dir)
    }

    fn interp_on(&self, ds: DataStore, inherited: FxHashSet<OsString>, top_dir: PathBuf) -> Interp<'_> {
        Interp {
            session: self,
            ds,
            top_dir,
            stack: Vec::new(),
            inherited,
            deferred: Vec::new(),
            statements: 0,
            files: Vec::new(),
        }
    }

    /// Reads configuration files, in order, on top of `base` (which holds
    /// what the command line set): the result is what every recipe of the
    /// configuration starts from. Nothing is finalized; each recipe is.
    pub fn configure(&self, files: &[PathBuf], base: Base) -> Result<Base, EvalError> {
        let mut interp = self.interp(&base, PathBuf::new());
        for path in files {
            let top = self.probe_top(path)?;
            interp.top_dir = dir_of(&top);
            interp.ds.set("FILE", path_text(&top), "set", "", None);
            interp.file(&top, None)?;
        }
        // inherit_defer in a configuration file: there is no later point
        // that belongs to it, so it applies at the end of the configuration.
        interp.inherit_deferred()?;
        let mut files_read = base.files;
        files_read.extend(interp.files);
        Ok(Base { store: interp.ds, inherited: interp.inherited, files: files_read })
    }

    /// Evaluates a recipe, then its appends, on a copy of `base`, and
    /// finalizes it (BitBake's parse of one recipe on the configuration).
    pub fn evaluate_recipe(&self, input: RecipeInput<'_>, base: &Base) -> Result<Evaluated, EvalError> {
        self.evaluate_on(base.store.clone(), base.inherited.clone(), input)
    }

    /// [`Session::evaluate_recipe`] on the bases `which` of `bases` (the
    /// configurations of a matrix): the recipe and its appends are read
    /// and parsed once for all of them, and forgotten after. When the
    /// recipe's statements touch no variable that differs between the
    /// configurations, they are evaluated once, on the first base (see
    /// [`Bases`]); each configuration then only finalizes its copy.
    pub fn evaluate_recipe_on_each(&self, input: RecipeInput<'_>, bases: &Bases, which: &[usize]) -> Vec<Result<Evaluated, EvalError>> {
        if let [one] = which {
            return vec![self.evaluate_recipe(input, &bases.bases[*one])];
        }
        let outer = self.memo().borrow_mut().pinned.replace(FxHashMap::default());
        let out = match &bases.sharing {
            Some(sharing) if which.first() == Some(&0) => self.evaluate_shared(input, bases, sharing, which),
            _ => which.iter().map(|&c| self.evaluate_recipe(input, &bases.bases[c])).collect(),
        };
        self.memo().borrow_mut().pinned = outer;
        out
    }

    fn evaluate_shared(&self, input: RecipeInput<'_>, bases: &Bases, sharing: &Sharing, which: &[usize]) -> Vec<Result<Evaluated, EvalError>> {
        let lead = &bases.bases[0];
        let mut ds = lead.store.clone();
        sharing.watch.reset();
        ds.watch(Some(sharing.watch.clone()));
        // The statements, and finalizing up to the active overrides (which
        // differ between the configurations by design).
        let prepared = self.prepare(ds, lead.inherited.clone(), input).and_then(|(mut interp, top)| {
            interp.settle_keys(&top, input)?;
            Ok(interp)
        });
        let shared = !sharing.watch.touched();
        let prepared = prepared.map(|mut interp| {
            interp.ds.watch(None);
            interp
        });
        let mut interp = match prepared {
            Ok(interp) if shared => interp,
            // A failure, or statements that depend on the configuration:
            // each configuration is evaluated on its own.
            lead => {
                let lead = lead.and_then(|mut interp| interp.settle_overrides());
                let others = which[1..].iter().map(|&c| self.evaluate_recipe(input, &bases.bases[c]));
                return std::iter::once(lead).chain(others).collect();
            }
        };
        let mut others: Vec<Result<Evaluated, EvalError>> = Vec::with_capacity(which.len() - 1);
        for &c in &which[1..] {
            let base = &bases.bases[c];
            others.push(match &sharing.patches[c] {
                Some(patch) => {
                    let mut copy = interp.fork();
                    patch.apply(&mut copy.ds, &base.store);
                    copy.settle_overrides()
                }
                None => self.evaluate_recipe(input, base),
            });
        }
        let mut out = vec![interp.settle_overrides()];
        out.extend(others);
        out
    }

    /// [`Session::evaluate_recipe`] on `ds`, which becomes the recipe's
    /// store.
    fn evaluate_on(&self, ds: DataStore, inherited: FxHashSet<OsString>, input: RecipeInput<'_>) -> Result<Evaluated, EvalError> {
        let (mut interp, top) = self.prepare(ds, inherited, input)?;
        interp.complete(&top, input)
    }

    /// A recipe's and its appends' statements evaluated on `ds`, not yet
    /// finalized; and the recipe's path as the loader found it.
    fn prepare(&self, ds: DataStore, inherited: FxHashSet<OsString>, input: RecipeInput<'_>) -> Result<(Interp<'_>, PathBuf), EvalError> {
        let top = self.probe_top(input.recipe)?;
        let top_dir = dir_of(&top);
        let mut interp = self.interp_on(ds, inherited, top_dir);
        interp.ds.set("FILE", path_text(&top), "set", "", None);
        for (name, value) in input.preset {
            interp.ds.set(*name, value.clone(), "set", value, None);
        }
        interp.file(&top, None)?;
        for append in input.appends {
            let path = self.probe_top(append)?;
            // BitBake points FILE at each append while it is read.
            interp.ds.set("FILE", path_text(&path), "set", "", None);
            interp.file(&path, None)?;
        }
        Ok((interp, top))
    }

    /// Where `relative` is looked for, in order: beside the including file,
    /// beside the recipe, the layers; then the standard library.
    fn candidates(&self, current_dir: Option<&Path>, top_dir: &Path, relative: &str) -> Vec<PathBuf> {
        if Path::new(relative).is_absolute() {
            return vec![PathBuf::from(relative)];
        }
        let mut dirs: Vec<&Path> = Vec::new();
        for dir in current_dir.into_iter().chain([top_dir]).chain(self.search.iter().map(PathBuf::as_path)) {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        let mut out: Vec<PathBuf> = dirs.into_iter().map(|d| d.join(relative)).collect();
        out.push(stdlib::path(relative));
        out
    }

    /// The first candidate for `relative` that is not missing. Every recipe
    /// of a directory looks up the same classes and includes, so the answer
    /// is kept for the session.
    fn find(&self, current_dir: Option<&Path>, top_dir: &Path, relative: &str) -> Probe {
        let query = FindQuery {
            // No path holds a NUL byte, so it stands for "no directory".
            current_dir: current_dir.map_or(&b"\0"[..], |p| p.as_os_str().as_encoded_bytes()),
            top_dir: top_dir.as_os_str().as_encoded_bytes(),
            relative,
        };
        if let Some(p) = self.memo().borrow().found.get(&query) {
            return p.clone();
        }
        let probe = self
            .candidates(current_dir, top_dir, relative)
            .iter()
            .map(|c| self.probe(c))
            .find(|p| !matches!(p, Probe::Missing))
            .unwrap_or(Probe::Missing);
        let key = FindKey {
            current_dir: query.current_dir.into(),
            top_dir: query.top_dir.into(),
            relative: relative.into(),
        };
        self.memo().borrow_mut().found.insert(key, probe.clone());
        probe
    }

    fn probe(&self, path: &Path) -> Probe {
        if stdlib::lookup(path).is_some() {
            return Probe::File(path.to_path_buf());
        }
        if let Some(p) = self.memo().borrow().probes.get(path.as_os_str()) {
            return p.clone();
        }
        let probe = self.loader.probe(path);
        self.memo().borrow_mut().probes.insert(path.as_os_str().to_owned(), probe.clone());
        probe
    }

    /// This thread's [`Memo`].
    fn memo(&self) -> &RefCell<Memo> {
        self.memo.get_or_default()
    }
}

fn read_error(path: &Path, e: &LoadError, at: Option<Span>) -> EvalError {
    let help = match e {
        LoadError::NotFound => "check the path".to_string(),
        LoadError::Forbidden => "recipes may only read files inside their layers".to_string(),
        LoadError::NotUtf8 { .. } => "recipes, classes and includes must be UTF-8 text".to_string(),
        LoadError::Io(_) => "check the file's permissions".to_string(),
    };
    EvalError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
        help,
        file: at.map(|s| s.file),
        at: at.map(|s| s.source_span()),
    }
}

/// What a [`Session`] remembers on one thread.
#[derive(Default)]
struct Memo {
    /// Parsed classes and includes (recipes are read once), by the bytes
    /// of their paths (cheaper to hash than a `Path`, component by component).
    parsed: FxHashMap<OsString, Arc<Loaded>>,
    /// What the loader said of each candidate path: classes and includes
    /// are looked up for every recipe.
    probes: FxHashMap<OsString, Probe>,
    /// [`Session::find`]'s answers.
    found: hashbrown::HashMap<FindKey, Probe, FxBuildHasher>,
    /// The parses of the recipe being evaluated on several bases (see
    /// [`Session::evaluate_recipe_on_each`]): read once, kept only while
    /// it is evaluated, so memory does not grow with the recipes.
    pinned: Option<FxHashMap<OsString, Arc<Loaded>>>,
}

/// What [`Session::find`] remembers an answer by. Its `Hash` matches
/// [`FindQuery`]'s, field for field, so a lookup needs no allocation.
#[derive(Debug, Hash, PartialEq, Eq)]
struct FindKey {
    current_dir: Box<[u8]>,
    top_dir: Box<[u8]>,
    relative: Box<str>,
}

#[derive(Hash)]
struct FindQuery<'a> {
    current_dir: &'a [u8],
    top_dir: &'a [u8],
    relative: &'a str,
}

impl hashbrown::Equivalent<FindKey> for FindQuery<'_> {
    fn equivalent(&self, key: &FindKey) -> bool {
        *key.current_dir == *self.current_dir && *key.top_dir == *self.top_dir && *key.relative == *self.relative
    }
}

/// The state of one evaluation.
struct Interp<'s> {
    session: &'s Session,
    ds: DataStore,
    top_dir: PathBuf,
    /// Files being evaluated, outermost first.
    stack: Vec<PathBuf>,
    /// Classes applied (by their paths' bytes: paths come canonical from
    /// the loader, and hashing bytes is cheaper than hashing components).
    inherited: FxHashSet<OsString>,
    deferred: Vec<(Value, PathBuf, Span)>,
    statements: usize,
    files: Vec<PathBuf>,
}

fn is_class(path: &Path) -> bool {
    // The bytes of the name (`Path::extension` parses every component).
    crate::loader::split_name(path).is_some_and(|(_, name)| name.len() > 8 && name.ends_with(b".grclass"))
}

/// A path as a value. `to_str` first: its check is several times faster
/// than the lossy conversion's, and paths are nearly always UTF-8.
fn path_text(path: &Path) -> Value {
    match path.to_str() {
        Some(text) => Value::from(text),
        None => Value::from(path.to_string_lossy().as_ref()),
    }
}

/// The directory of a file the loader found (`Path::parent` parses every
/// component; `split_name` scans bytes).
fn dir_of(path: &Path) -> PathBuf {
    crate::loader::split_name(path).map(|(dir, _)| dir.to_path_buf()).unwrap_or_default()
}

impl<'s> Interp<'s> {
    fn file(&mut self, path: &Path, from: Option<Span>) -> Result<(), EvalError> {
        let loaded = self.session.load_inner(path, from.is_some()).map_err(|e| read_error(path, &e, from))?;
        if !loaded.parse.errors.is_empty() {
            return Err(EvalError::Syntax {
                path: path.to_path_buf(),
                file: loaded.source.id,
                errors: loaded.parse.errors.clone(),
            });
        }
        if let Some(span) = from.filter(|_| self.stack.len() >= MAX_INCLUDE_DEPTH) {
            return Err(EvalError::IncludeTooDeep { limit: MAX_INCLUDE_DEPTH, file: span.file, at: span.source_span() });
        }
        self.files.push(path.to_path_buf());
        let class = is_class(path);
        if class {
            self.inherited.insert(path.as_os_str().to_owned());
        }
        // BitBake points FILE at an included file while it is evaluated.
        let old_file = if !class && from.is_some() {
            let old = self.ds.get_raw("FILE");
            self.ds.set("FILE", loaded.path_value.clone(), "set", "", None);
            old
        } else {
            None
        };
        self.stack.push(path.to_path_buf());
        for stmt in &loaded.parse.ast.stmts {
            self.statement(stmt)?;
        }
        self.stack.pop();
        if let Some(old) = old_file {
            self.ds.set("FILE", old.clone(), "set", "", None);
        }
        Ok(())
    }

    fn current(&self) -> &Path {
        self.stack.last().map(PathBuf::as_path).unwrap_or(Path::new(""))
    }

    fn expand(&self, text: &str, at: Span) -> Result<Value, EvalError> {
        self.ds.expand(text, None).map_err(|e| expand_error(e, at))
    }

    fn statement(&mut self, stmt: &Stmt) -> Result<(), EvalError> {
        self.statements += 1;
        if self.statements > MAX_STATEMENTS {
            return Err(EvalError::TooManyStatements {
                limit: MAX_STATEMENTS,
                file: stmt.span.file,
                at: stmt.span.source_span(),
            });
        }
        if self.ds.stored_bytes() > MAX_STORED_BYTES {
            return Err(EvalError::TooMuchData { limit: MAX_STORED_BYTES, file: stmt.span.file, at: stmt.span.source_span() });
        }
        let at = Some(stmt.span);
        match &stmt.kind {
            StmtKind::Assign(a) => self.assign(a, stmt.span)?,
            StmtKind::Export { var } => self.ds.set_flag(var, "export", Some(common("1")), "exported", "", at),
            StmtKind::Unset { var, flag: None } => self.ds.delete(var, at),
            StmtKind::Unset { var, flag: Some(flag) } => self.ds.delete_flag(var, flag, at),
            StmtKind::Include { kind, files, files_span } => {
                let names = self.expand(files, *files_span)?;
                for name in grove_syntax::words(&names) {
                    self.include(name, *kind, *files_span)?;
                }
            }
            StmtKind::Inherit { classes, classes_span, deferred } => {
                if *deferred {
                    self.deferred.push((classes.clone(), self.current().to_path_buf(), *classes_span));
                } else {
                    self.inherit(classes, *classes_span)?;
                }
            }
            StmtKind::Function(f) => self.function(f, stmt.span)?,
            StmtKind::ExportFunctions { names } => self.export_functions(names, stmt.span)?,
            StmtKind::AddTask { tasks, after, before } => {
                for task in grove_syntax::words(tasks) {
                    self.ds.add_task(task, after, before, at);
                }
            }
            StmtKind::DelTask { tasks } => {
                let tasks = self.expand(tasks, stmt.span)?;
                for task in grove_syntax::words(&tasks) {
                    self.ds.delete_task(task, at);
                }
            }
        }
        Ok(())
    }

    /// BitBake's `DataNode.eval`.
    fn assign(&mut self, a: &Assign, span: Span) -> Result<(), EvalError> {
        let name = &a.var;
        let key: &str = name;
        let at = Some(span);
        if a.export {
            self.ds.set_flag(key, "export", Some(common("1")), "exported", "", at);
        }
        let current = || match &a.flag {
            Some(flag) => self.ds.get_flag_raw(key, flag),
            None => self.ds.get_raw(key),
        };
        let (op, value): (&str, Value) = match a.op {
            AssignOp::Set | AssignOp::WeakDefault => ("set", a.value.clone()),
            AssignOp::Default => ("set?", current().unwrap_or_else(|| a.value.clone())),
            AssignOp::Immediate => {
                let name = [key, "[:=]"].concat();
                let v = self.ds.expand(&a.value, Some(&name)).map_err(|e| expand_error(e, a.value_span))?;
                ("immediate", v)
            }
            AssignOp::Append => ("append", joined(&[current().as_deref().unwrap_or(""), " ", &a.value])),
            AssignOp::Prepend => ("prepend", joined(&[&a.value, " ", current().as_deref().unwrap_or("")])),
            AssignOp::DotAppend => ("postdot", joined(&[current().as_deref().unwrap_or(""), "", &a.value])),
            AssignOp::DotPrepend => ("predot", joined(&[&a.value, "", current().as_deref().unwrap_or("")])),
        };
        match (&a.flag, a.op == AssignOp::WeakDefault) {
            (Some(flag), true) => self.ds.set_weak_flag(key, flag, value, &a.value, at),
            (Some(flag), false) => self.ds.set_flag(name, flag, Some(value), op, &a.value, at),
            (None, true) => self.ds.set_weak_default(name, value, &a.value, at),
            (None, false) => self.ds.set(Parsed { text: name, keyword: a.keyword }, value, op, &a.value, at),
        }
        Ok(())
    }

    /// BitBake's `MethodNode.eval` for shell functions.
    fn function(&mut self, f: &Function, span: Span) -> Result<(), EvalError> {
        let at = Some(span);
        let existing = self.ds.get_unexpanded(&f.name).map_err(|e| expand_error(e, f.name_span))?;
        if existing.is_some_and(|v| !v.is_empty()) {
            self.ds.delete_flag(&f.name, "fakeroot", at);
        }
        if f.fakeroot {
            self.ds.set_flag(&f.name, "fakeroot", Some(common("1")), "set", "1", at);
        }
        self.ds.set_flag(&f.name, "func", Some(common("1")), "set", "1", at);
        self.ds.set(Parsed { text: &f.name, keyword: f.keyword }, f.body.clone(), "set", &f.body, at);
        Ok(())
    }

    /// BitBake's `ExportFuncsNode.eval`: `do_x` becomes a call to
    /// `CLASS_do_x` unless the recipe (or a class not using
    /// EXPORT_FUNCTIONS) already defined it.
    fn export_functions(&mut self, names: &[Value], span: Span) -> Result<(), EvalError> {
        const SENTINEL: &str = "    # Export function set\n";
        let path = self.current().to_path_buf();
        if !is_class(&path) {
            return Err(EvalError::ExportFunctionsOutsideClass { file: span.file, at: span.source_span() });
        }
        let class = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let at = Some(span);
        for func in names {
            let called = [&class, "_", func].concat();
            let base = self.ds.get_unexpanded(func).map_err(|e| expand_error(e, span))?;
            if let Some(b) = &base {
                if !b.is_empty() && !b.contains(SENTINEL) {
                    continue;
                }
                if !b.is_empty() {
                    self.ds.set_flag(func, "func", None, "set", "", at);
                }
            }
            if let Some(v) = self.ds.get_flag_unexpanded(&called, "func").filter(|v| !v.is_empty()) {
                self.ds.set_flag(func, "func", Some(v.clone()), "set", &v, at);
            }
            for flag in ["dirs", "cleandirs", "fakeroot"] {
                if let Some(v) = self.ds.get_flag_unexpanded(func, flag).filter(|v| !v.is_empty()) {
                    self.ds.set_flag(&called, flag, Some(v.clone()), "set", &v, at);
                }
            }
            if class.contains('-') {
                return Err(EvalError::ClassNameWithDash {
                    class,
                    function: func.to_string(),
                    file: span.file,
                    at: span.source_span(),
                });
            }
            let body = [SENTINEL, "    ", &called, "\n"].concat();
            self.ds.set(func, body.as_str().into(), "set", &body, at);
        }
        Ok(())
    }

    fn candidates(&self, relative: &str) -> Vec<PathBuf> {
        self.session.candidates(crate::loader::parent_dir(self.current()), &self.top_dir, relative)
    }

    /// Finds a file: the first candidate that exists. A candidate outside
    /// the allowed directories is an error, not a miss.
    fn find(&self, name: &str, span: Span) -> Result<Option<PathBuf>, EvalError> {
        match self.session.find(crate::loader::parent_dir(self.current()), &self.top_dir, name) {
            Probe::File(p) => Ok(Some(p)),
            Probe::Missing => Ok(None),
            Probe::Forbidden(p) => {
                let allowed = self.session.loader.roots().iter().map(|r| r.display().to_string()).collect::<Vec<_>>();
                Err(EvalError::OutsideLayers { path: p, allowed: allowed.join(", "), file: span.file, at: span.source_span() })
            }
        }
    }

    /// BitBake's `include_single_file`.
    fn include(&mut self, name: &str, kind: IncludeKind, span: Span) -> Result<(), EvalError> {
        if kind == IncludeKind::IncludeAll {
            let mut dirs = vec![self.top_dir.clone()];
            for d in &self.session.search {
                if !dirs.contains(d) {
                    dirs.push(d.clone());
                }
            }
            for dir in dirs {
                if let Probe::File(p) = self.session.probe(&dir.join(name)) {
                    self.include_file(p, span)?;
                }
            }
            return Ok(());
        }
        if Path::new(name) == self.current() {
            return Ok(());
        }
        match self.find(name, span)? {
            Some(path) => self.include_file(path, span),
            None if kind == IncludeKind::Require && !self.session.lenient => Err(EvalError::MissingRequire {
                name: name.to_string(),
                help: self.missing_help(name),
                file: span.file,
                at: span.source_span(),
            }),
            None => Ok(()),
        }
    }

    fn include_file(&mut self, path: PathBuf, span: Span) -> Result<(), EvalError> {
        if let Some(i) = self.stack.iter().position(|p| *p == path) {
            let mut chain: Vec<String> = self.stack[i..].iter().map(|p| p.display().to_string()).collect();
            chain.push(path.display().to_string());
            return Err(EvalError::IncludeCycle { chain, file: span.file, at: span.source_span() });
        }
        self.file(&path, Some(span))
    }

    fn missing_help(&self, name: &str) -> String {
        if Path::new(name).is_absolute() {
            return format!("looked in {name}; use `include` if the file is optional");
        }
        let dirs: Vec<PathBuf> = self
            .candidates(name)
            .iter()
            .filter(|c| !c.starts_with(stdlib::PREFIX))
            .filter_map(|c| c.parent().map(Path::to_path_buf))
            .collect();
        let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        let looked = format!("looked in {}; use `include` if the file is optional", searched.join(", "));
        // A typo: the file in those directories with the closest name,
        // written as `name` is.
        let file = Path::new(name).file_name().and_then(|f| f.to_str()).unwrap_or(name);
        let files: Vec<String> = dirs.iter().flat_map(|d| self.session.loader.list(d)).collect();
        match grove_syntax::closest(file, files.iter().map(String::as_str)) {
            Some(near) => format!("did you mean `{}`? ({looked})", Path::new(name).with_file_name(near).display()),
            None => looked,
        }
    }

    /// BitBake's `BBHandler.inherit`.
    fn inherit(&mut self, classes: &str, span: Span) -> Result<(), EvalError> {
        let names = self.expand(classes, span)?;
        for name in grove_syntax::words(&names) {
            let relative = if Path::new(name).is_absolute() || name.ends_with(".grclass") {
                name.to_string()
            } else {
                ["classes/", name, ".grclass"].concat()
            };
            let Some(path) = self.find(&relative, span)? else {
                if self.session.lenient {
                    continue;
                }
                return Err(EvalError::MissingClass {
                    name: name.to_string(),
                    help: self.class_help(name),
                    file: span.file,
                    at: span.source_span(),
                });
            };
            if self.inherited.contains(path.as_os_str()) {
                continue;
            }
            self.file(&path, Some(span))?;
        }
        Ok(())
    }

    fn class_help(&self, name: &str) -> String {
        let mut known: Vec<String> = stdlib::class_names().map(String::from).collect();
        let mut dirs = vec![self.top_dir.clone()];
        if let Some(d) = self.current().parent() {
            dirs.push(d.to_path_buf());
        }
        dirs.extend(self.session.search.iter().cloned());
        for dir in dirs {
            let files = self.session.loader.list(&dir.join("classes"));
            known.extend(files.iter().filter_map(|f| f.strip_suffix(".grclass")).map(String::from));
        }
        match grove_syntax::closest(name, known.iter().map(String::as_str)) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!(
                "classes are found as classes/{name}.grclass beside the recipe, in the layers, or in grove's standard library ({})",
                stdlib::class_names().collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Every `inherit_defer` so far, in order (more may be added by the
    /// classes they inherit).
    fn inherit_deferred(&mut self) -> Result<(), EvalError> {
        while !self.deferred.is_empty() {
            let (classes, from, span) = self.deferred.remove(0);
            self.stack.push(from);
            let result = self.inherit(&classes, span);
            self.stack.pop();
            result?;
        }
        Ok(())
    }

    /// A copy of this evaluation between two statements (its store copied).
    fn fork(&self) -> Interp<'s> {
        Interp {
            session: self.session,
            ds: self.ds.clone(),
            top_dir: self.top_dir.clone(),
            stack: self.stack.clone(),
            inherited: self.inherited.clone(),
            deferred: self.deferred.clone(),
            statements: self.statements,
            files: self.files.clone(),
        }
    }

    /// The end of a recipe's evaluation (BitBake's `finalize` up to
    /// `expandKeys`; there are no anonymous functions to run).
    fn complete(&mut self, top: &Path, input: RecipeInput<'_>) -> Result<Evaluated, EvalError> {
        self.settle_keys(top, input)?;
        self.settle_overrides()
    }

    /// `FILE` back to the recipe after its appends, deferred inherits,
    /// then keys holding `${...}`.
    fn settle_keys(&mut self, top: &Path, input: RecipeInput<'_>) -> Result<(), EvalError> {
        if !input.appends.is_empty() {
            self.ds.set("FILE", path_text(top), "set", "", None);
        }
        self.inherit_deferred()?;
        let mut todo: Vec<(Value, Value)> = Vec::new();
        // Only the variables whose names hold `${...}` are looked at.
        let mut keys: Vec<Value> = self.ds.ref_names.clone();
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            if self.ds.vars.get(key).is_none_or(is_empty) {
                continue;
            }
            let expanded = self.ds.expand(key, None).map_err(|e| self.ds.locate(e, key))?;
            if expanded != *key {
                todo.push((key.clone(), expanded));
            }
        }
        todo.sort();
        for (key, new) in todo {
            self.ds.rename(&key, &new);
        }
        Ok(())
    }

    /// The active overrides, which must settle for the recipe to mean
    /// anything (BitBake computes them while finalizing, too); the
    /// evaluation is then done.
    fn settle_overrides(&mut self) -> Result<Evaluated, EvalError> {
        self.ds.overrides().map_err(|e| self.ds.locate(e, "OVERRIDES"))?;
        Ok(Evaluated { store: std::mem::take(&mut self.ds), files: std::mem::take(&mut self.files) })
    }
}

/// `parts` end to end, as one value: written in a buffer this thread
/// keeps, then copied once (a `String` made for it would be allocated,
/// copied into the value and freed, for every `+=` of every recipe).
fn joined(parts: &[&str]) -> Value {
    thread_local! {
        static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        for p in parts {
            buffer.push_str(p);
        }
        let value = Value::from(buffer.as_str());
        // Kept for the next one, unless a huge value made it huge.
        if buffer.capacity() > crate::lookup::MAX_KEPT_BUFFER {
            *buffer = String::new();
        }
        value
    })
}

fn is_empty(v: &crate::datastore::Var) -> bool {
    v.content.is_none()
        && v.weak_default.is_none()
        && v.pending.is_empty()
        && v.flags.is_empty()
        && v.weak_flags.is_empty()
}

/// An expansion error during evaluation, pointed at the statement that
/// needed the value.
pub fn expand_error(expand: ExpandError, at: Span) -> EvalError {
    let shown = expand.var.as_str().into();
    EvalError::Expand { expand, shown, file: Some(at.file), at: Some(at.source_span()) }
}
