//! Layers and the workspace that lists them.
//!
//! A layer is a directory with `conf/layer.conf` (its `LAYER_NAME`,
//! `LAYER_PRIORITY` and `LAYER_DEPENDS`), `recipes/<group>/<name>_<version>.gr`
//! (or `<name>.gr` with `PV` inside), `.grappend` files, `classes/` and
//! `roots/`. A workspace file, `grove.conf`, lists the layers in `LAYERS`
//! (paths relative to it) and sets the configuration; `--layer DIR` works
//! without one.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use grove_eval::{FsLoader, Kind, Listing, Session};
use rustc_hash::FxHashMap;

use crate::cache::Stamp;
use crate::error::DeriveError;
use crate::walk::{self, Dir, Known};

/// The workspace file's name.
pub const WORKSPACE_FILE: &str = "grove.conf";

/// One layer.
#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    pub root: PathBuf,
    pub priority: i64,
    pub depends: Vec<String>,
    /// `conf/layer.conf`.
    pub conf: PathBuf,
}

/// A recipe file and what its name says.
#[derive(Debug, Clone)]
pub struct RecipeFile {
    /// Index into [`Workspace::layers`].
    pub layer: usize,
    pub path: PathBuf,
    /// `PN`, `PV` and `PR` from `<name>_<version>_<revision>.gr`.
    pub pn: String,
    pub pv: Option<String>,
    pub pr: Option<String>,
    /// Indexes into [`Workspace::appends`] that apply, lowest priority first.
    pub appends: Vec<usize>,
    /// Their paths, in the same order: what evaluation reads after the
    /// recipe, and what the evaluation cache checks.
    pub append_paths: Vec<PathBuf>,
}

/// A `.grappend` file.
#[derive(Debug, Clone)]
pub struct AppendFile {
    pub layer: usize,
    pub path: PathBuf,
    /// The file name without `.grappend`; a `%` matches any rest.
    pub pattern: String,
}

/// The layers of a project and every recipe in them.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// `grove.conf`, if there is one.
    pub conf: Option<PathBuf>,
    /// Every layer, lowest priority first (ties keep their declared order).
    pub layers: Vec<Layer>,
    pub recipes: Vec<RecipeFile>,
    pub appends: Vec<AppendFile>,
    /// `roots/*.grroot` of every layer, lowest priority layer first.
    pub roots: Vec<PathBuf>,
    /// A digest of the paths of every other file of the layers (classes,
    /// includes, configuration, files for `file://`): a file appearing or
    /// going away among these may change what an include, an inherit or a
    /// source finds.
    pub others: [u8; 32],
    /// Every directory and file the walk saw, for the loader: a probe of a
    /// listed directory then needs no system call.
    pub listing: Arc<Listing>,
    /// The stamp of every regular file of the layers by its index in
    /// `listing`, taken while walking (relative to an open directory: much
    /// cheaper than a lookup of the whole path later), for the evaluation
    /// cache.
    stamps: Vec<Option<Stamp>>,
}

impl Workspace {
    /// Reads the workspace file (if any) and the layers it lists, then
    /// `extra` layers. Every path is made absolute and canonical.
    pub fn open(conf: Option<&Path>, extra: &[PathBuf]) -> Result<Workspace, DeriveError> {
        Workspace::open_cached(conf, extra, None)
    }

    /// [`Workspace::open`], keeping the layers' listing in `cache_dir`
    /// between runs (see [`crate::walk`]).
    pub fn open_cached(conf: Option<&Path>, extra: &[PathBuf], cache_dir: Option<&Path>) -> Result<Workspace, DeriveError> {
        Workspace::layers(conf, extra)?.walk(cache_dir)
    }

    /// The first half of [`Workspace::open`]: the workspace file and the
    /// layers, not yet walked.
    pub fn layers(conf: Option<&Path>, extra: &[PathBuf]) -> Result<Layers, DeriveError> {
        let conf = conf.map(workspace_file).transpose()?;
        let mut roots = Vec::new();
        if let Some(conf) = &conf {
            let dir = conf.parent().expect("a file has a directory").to_path_buf();
            let listed = read_var(conf, &dir, "LAYERS")?.unwrap_or_default();
            for entry in grove_syntax::words(&listed) {
                let path = dir.join(entry);
                roots.push(canonical(&path).map_err(|_| missing_layer(path, Path::new(entry), Some(conf)))?);
            }
        }
        for path in extra {
            roots.push(canonical(path).map_err(|_| missing_layer(path.clone(), path, None))?);
        }
        let mut layers = Vec::new();
        for root in roots {
            if layers.iter().any(|l: &Layer| l.root == root) {
                continue;
            }
            layers.push(read_layer(&root)?);
        }
        check_layers(&layers)?;
        layers.sort_by_key(|l| l.priority);
        Ok(Layers { conf, layers })
    }

    /// The stamp the walk took of a file of the layers.
    pub fn stamp(&self, path: &Path) -> Option<Stamp> {
        self.listing.entry(path).and_then(|i| self.stamps[i])
    }

    /// Finds the workspace file in `dir` or the nearest directory above it.
    pub fn find(dir: &Path) -> Option<PathBuf> {
        dir.ancestors().map(|d| d.join(WORKSPACE_FILE)).find(|p| p.is_file())
    }

    /// Reads what the walk of each layer found: the listing, the stamps,
    /// recipes, appends, roots and the other files, in walk order.
    fn scan(&mut self, walked: &[Vec<Dir>]) {
        let all = || walked.iter().flatten();
        let entries = all().map(|d| d.entries.len()).sum();
        let names = all().flat_map(|d| &d.entries).map(|e| e.name.len()).sum();
        let mut listing = Listing::with_capacity(all().count(), entries, names);
        self.stamps.reserve(entries);
        // Room for every recipe at once: a list of 10,000 grown by doubling
        // took fresh memory (and its page faults) at each step, on the one
        // thread that works while the layers are scanned.
        let recipes = all().flat_map(|d| &d.entries).filter(|e| e.kind == Kind::File && e.name.as_bytes().ends_with(b".gr")).count();
        self.recipes.reserve(recipes);
        // Hashed at once: blake3 is fast on one long input, slow on many
        // short ones.
        let mut others = Vec::new();
        for (layer, dirs) in walked.iter().enumerate() {
            let mut at = 0;
            while at < dirs.len() {
                self.scan_dir(layer, dirs, &mut at, None, &mut listing, &mut others);
            }
        }
        self.listing = Arc::new(listing);
        self.others = blake3::derive_key("grove 2026 other files of the layers", &others);
        for recipe in &mut self.recipes {
            let stem = recipe.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            // Layers are sorted by priority, so appends already are too.
            recipe.appends = (0..self.appends.len()).filter(|&i| append_matches(&self.appends[i].pattern, stem)).collect();
            recipe.append_paths = recipe.appends.iter().map(|&i| self.appends[i].path.clone()).collect();
        }
    }

    /// `dirs[*at]`, then each directory below it where its name comes
    /// (the walk's order: a directory before what is below it); `top` is
    /// the layer's top directory it is in (`None`: the layer's own).
    fn scan_dir(&mut self, layer: usize, dirs: &[Dir], at: &mut usize, top: Option<Top>, listing: &mut Listing, others: &mut Vec<u8>) {
        let dir = &dirs[*at];
        *at += 1;
        let first = listing.add_dir(&dir.path, dir.entries.iter().map(|e| (&*e.name, e.kind)));
        self.stamps.resize(listing.len(), None);
        let mut listed = false;
        for (i, entry) in dir.entries.iter().enumerate() {
            match entry.kind {
                Kind::Dir => {
                    let below = top.unwrap_or(match entry.name.as_bytes() {
                        b"recipes" => Top::Recipes,
                        b"roots" => Top::Roots,
                        _ => Top::Other,
                    });
                    self.scan_dir(layer, dirs, at, Some(below), listing, others);
                }
                Kind::Other => {}
                Kind::File => {
                    let top = top.unwrap_or(Top::Other);
                    self.stamps[first + i] = entry.stamp;
                    let name = entry.name.to_str().unwrap_or_default();
                    let path = || walk::join(&dir.path, &entry.name);
                    match (top, name.strip_suffix(".gr"), name.strip_suffix(".grappend")) {
                        (Top::Recipes, Some(stem), _) => {
                            let mut parts = stem.splitn(3, '_');
                            let pn = parts.next().unwrap_or_default().to_string();
                            let pv = parts.next().map(String::from);
                            let pr = parts.next().map(String::from);
                            self.recipes.push(RecipeFile { layer, path: path(), pn, pv, pr, appends: Vec::new(), append_paths: Vec::new() });
                        }
                        (Top::Recipes, _, Some(stem)) => {
                            let pattern = stem.to_string();
                            self.appends.push(AppendFile { layer, path: path(), pattern });
                        }
                        (Top::Roots, _, _) if name.ends_with(".grroot") => self.roots.push(path()),
                        _ => {
                            // Paths hold no NUL: each directory's, then
                            // each name, ends at one.
                            if !std::mem::replace(&mut listed, true) {
                                others.push(0);
                                others.extend_from_slice(dir.path.as_os_str().as_bytes());
                                others.push(0);
                            }
                            others.extend_from_slice(entry.name.as_bytes());
                            others.push(0);
                        }
                    }
                }
            }
        }
    }

    /// Every directory searched for includes and classes: the layers,
    /// highest priority first.
    pub fn search_path(&self) -> Vec<PathBuf> {
        self.layers.iter().rev().map(|l| l.root.clone()).collect()
    }

    /// `.grappend` files that match no recipe (BitBake reports these, as they
    /// usually mean a recipe was renamed or upgraded).
    pub fn dangling_appends(&self) -> Vec<&AppendFile> {
        (0..self.appends.len())
            .filter(|i| !self.recipes.iter().any(|r| r.appends.contains(i)))
            .map(|i| &self.appends[i])
            .collect()
    }

    /// Pairs of recipe files of one layer whose names give the same name
    /// and version (`base/zlib_1.2.13.gr` and `libs/zlib_1.2.13.gr`; `1.2`
    /// and `1.02` are one version, as versions are chosen): only one of
    /// each pair can be used, so the other is usually a copy left behind.
    /// Files without a version in their name are not paired.
    pub fn repeated_recipes(&self) -> Vec<(&RecipeFile, &RecipeFile)> {
        type Key<'a> = (usize, &'a str);
        let mut first: FxHashMap<Key<'_>, &RecipeFile> = FxHashMap::with_capacity_and_hasher(self.recipes.len(), Default::default());
        // Further versions of a name (few recipes have several).
        let mut more: FxHashMap<Key<'_>, Vec<&RecipeFile>> = FxHashMap::default();
        let mut repeated = Vec::new();
        for r in &self.recipes {
            let Some(pv) = r.pv.as_deref() else { continue };
            let key = (r.layer, r.pn.as_str());
            let earliest = *first.entry(key).or_insert(r);
            if std::ptr::eq(earliest, r) {
                continue;
            }
            let others = more.entry(key).or_default();
            let same = |o: &&&RecipeFile| o.pv.as_deref().is_some_and(|v| crate::version::compare(v, pv).is_eq());
            match std::iter::once(&earliest).chain(others.iter()).find(same) {
                Some(o) => repeated.push((*o, r)),
                None => others.push(r),
            }
        }
        repeated
    }
}

/// The workspace file `--workspace` names, made absolute.
fn workspace_file(path: &Path) -> Result<PathBuf, DeriveError> {
    let missing = |problem| DeriveError::MissingWorkspace { path: path.to_path_buf(), problem };
    let conf = path.canonicalize().map_err(|_| missing("does not exist"))?;
    if !conf.is_file() {
        return Err(missing("is not a file"));
    }
    Ok(conf)
}

/// The error for a layer at `path` (written `as_written`) that does not
/// exist, with the layer beside it whose name is close, if one is.
fn missing_layer(path: PathBuf, as_written: &Path, from: Option<&PathBuf>) -> DeriveError {
    let near = closest_layer(&path).map(|n| as_written.with_file_name(n).display().to_string());
    DeriveError::MissingLayer { path, from: from.cloned(), near }
}

/// The name of the layer beside `path` (which does not exist) that is
/// closest to its name, if one is close.
fn closest_layer(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let layers = layers_in(parent);
    grove_syntax::closest(name, layers.iter().map(String::as_str)).map(String::from)
}

/// The names of the layers (directories with `conf/layer.conf`) in `dir`,
/// sorted; none if it cannot be read.
fn layers_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("conf/layer.conf").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// A workspace's layers, read but not yet walked (see [`Workspace::layers`]).
#[derive(Debug, Clone)]
pub struct Layers {
    /// `grove.conf`, if there is one.
    pub conf: Option<PathBuf>,
    /// Every layer, lowest priority first.
    pub layers: Vec<Layer>,
}

impl Layers {
    /// Walks the layers (see [`crate::walk`]; the listing is kept in
    /// `cache_dir`, if given) into the workspace.
    pub fn walk(self, cache_dir: Option<&Path>) -> Result<Workspace, DeriveError> {
        let started = walk::now();
        let file = cache_dir.map(|dir| listing_file(dir, &self.layers));
        let bytes = file.as_ref().and_then(|f| std::fs::read(f).ok()).unwrap_or_default();
        let known = file.as_ref().map(|_| Known::parse(&bytes));
        let walked = self.layers.iter().map(|l| walk::walk(&l.root, known.as_ref())).collect::<Result<Vec<_>, _>>()?;
        if let (Some(file), Some(known)) = (&file, &known) {
            let all = || walked.iter().flatten();
            if all().count() != known.len() || all().any(|d| d.listed) {
                // A listing that cannot be kept costs time, never results.
                let _ = walk::save(file, started, all());
            }
        }
        let Layers { conf, layers } = self;
        let mut workspace = Workspace {
            conf,
            layers,
            recipes: Vec::new(),
            appends: Vec::new(),
            roots: Vec::new(),
            others: [0; 32],
            listing: Arc::default(),
            stamps: Vec::new(),
        };
        workspace.scan(&walked);
        Ok(workspace)
    }
}

/// `name_1.2.grappend` matches `name_1.2.gr`; `name_%.grappend` (or
/// `name_1.%`) matches every version that starts with what precedes `%`.
pub fn append_matches(pattern: &str, recipe_stem: &str) -> bool {
    match pattern.split_once('%') {
        Some((prefix, _)) => recipe_stem.starts_with(prefix),
        None => pattern == recipe_stem,
    }
}

fn canonical(path: &Path) -> Result<PathBuf, DeriveError> {
    path.canonicalize().map_err(|e| DeriveError::Io { path: path.to_path_buf(), reason: e.to_string() })
}

/// Which of a layer's top directories a file is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Recipes,
    Roots,
    /// Any other, or the layer's own directory.
    Other,
}

/// Where the listing of `layers` is kept, in `cache_dir`.
fn listing_file(cache_dir: &Path, layers: &[Layer]) -> PathBuf {
    let mut h = blake3::Hasher::new();
    for layer in layers {
        h.update(layer.root.as_os_str().as_bytes());
        h.update(b"\0");
    }
    cache_dir.join("listing").join(format!("{}.bin", &h.finalize().to_hex()[..32]))
}

/// Evaluates one configuration file alone and reads a variable.
fn read_var(file: &Path, dir: &Path, var: &str) -> Result<Option<String>, DeriveError> {
    read_vars(file, dir, &[var], &[]).map(|mut v| v.remove(0))
}

fn read_vars(file: &Path, dir: &Path, vars: &[&str], preset: &[(&str, &str)]) -> Result<Vec<Option<String>>, DeriveError> {
    // The layers' classes and includes are not known yet: what cannot be
    // found is skipped here, and read for real when the configuration is.
    let session = Session::new(FsLoader::new([dir.to_path_buf()])).lenient();
    let preset: Vec<(&str, grove_eval::Value)> = preset.iter().map(|(k, v)| (*k, grove_eval::Value::from(*v))).collect();
    let input = grove_eval::RecipeInput { recipe: file, appends: &[], preset: &preset };
    let evaluated = session
        .evaluate_recipe(input, &grove_eval::Base::default())
        .map_err(|error| DeriveError::eval(file, error, &session))?;
    vars.iter()
        .map(|v| {
            let value = evaluated.store.get(v).map_err(|e| DeriveError::eval(file, evaluated.store.locate(e, v), &session))?;
            Ok(value.map(|s| s.to_string()))
        })
        .collect()
}

fn read_layer(root: &Path) -> Result<Layer, DeriveError> {
    let conf = root.join("conf/layer.conf");
    if !conf.is_file() {
        return Err(DeriveError::NotALayer { path: root.to_path_buf(), inside: layers_in(root) });
    }
    let layerdir = root.to_string_lossy();
    let values = read_vars(&conf, root, &["LAYER_NAME", "LAYER_PRIORITY", "LAYER_DEPENDS"], &[("LAYERDIR", &layerdir)])?;
    let name = values[0].clone().unwrap_or_else(|| root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let priority = match &values[1] {
        None => 0,
        Some(p) => p.trim().parse().map_err(|_| DeriveError::BadPriority { layer: name.clone(), value: p.clone(), conf: conf.clone() })?,
    };
    let depends = grove_syntax::words(values[2].as_deref().unwrap_or("")).map(String::from).collect();
    Ok(Layer { name, root: root.to_path_buf(), priority, depends, conf })
}

fn check_layers(layers: &[Layer]) -> Result<(), DeriveError> {
    for (i, layer) in layers.iter().enumerate() {
        if let Some(other) = layers[..i].iter().find(|l| l.name == layer.name) {
            return Err(DeriveError::DuplicateLayer { name: layer.name.clone(), first: other.root.clone(), second: layer.root.clone() });
        }
    }
    for layer in layers {
        for dep in &layer.depends {
            if !layers.iter().any(|l| &l.name == dep) {
                let names = layers.iter().map(|l| l.name.as_str());
                return Err(DeriveError::MissingLayerDependency {
                    layer: layer.name.clone(),
                    needs: dep.clone(),
                    help: match grove_syntax::closest(dep, names) {
                        Some(c) => format!("did you mean `{c}`? Add the layer to LAYERS in grove.conf or pass --layer"),
                        None => "add the layer to LAYERS in grove.conf or pass --layer DIR".to_string(),
                    },
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_patterns() {
        assert!(append_matches("zlib_1.3", "zlib_1.3"));
        assert!(!append_matches("zlib_1.3", "zlib_1.3.1"));
        assert!(append_matches("zlib_%", "zlib_1.3.1"));
        assert!(append_matches("zlib_1.%", "zlib_1.3.1"));
        assert!(!append_matches("zlib_1.%", "zlib_2.0"));
        assert!(!append_matches("zlib_%", "zlib-ng_2.0"));
    }
}
