//! Layers and the workspace that lists them.
//!
//! A layer is a directory with `conf/layer.conf` (its `LAYER_NAME`,
//! `LAYER_PRIORITY` and `LAYER_DEPENDS`), `recipes/<group>/<name>_<version>.gr`
//! (or `<name>.gr` with `PV` inside), `.grappend` files, `classes/` and
//! `roots/`. A workspace file, `grove.conf`, lists the layers in `LAYERS`
//! (paths relative to it) and sets the configuration; `--layer DIR` works
//! without one.

use std::path::{Path, PathBuf};

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use std::sync::Arc;

use grove_eval::{FsLoader, Listing, Session};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::cache::Stamp;

use crate::error::DeriveError;

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
    /// Every other file of the layers (classes, includes, configuration,
    /// files for `file://`): a file appearing or going away among these
    /// may change what an include, an inherit or a source finds.
    pub others: Vec<PathBuf>,
    /// The stamp of every regular file of the layers, taken while listing
    /// them (relative to the open directory: much cheaper than a lookup
    /// of the whole path later), for the evaluation cache.
    pub stamps: FxHashMap<OsString, Stamp>,
    /// Every directory and file the walk saw, for the loader: a probe of a
    /// listed directory then needs no system call.
    pub listing: Arc<Listing>,
}

impl Workspace {
    /// Reads the workspace file (if any) and the layers it lists, then
    /// `extra` layers. Every path is made absolute and canonical.
    pub fn open(conf: Option<&Path>, extra: &[PathBuf]) -> Result<Workspace, DeriveError> {
        let conf = conf.map(canonical).transpose()?;
        let mut roots = Vec::new();
        if let Some(conf) = &conf {
            let dir = conf.parent().expect("a file has a directory").to_path_buf();
            let listed = read_var(conf, &dir, "LAYERS")?.unwrap_or_default();
            for entry in listed.split_whitespace() {
                let path = dir.join(entry);
                roots.push(canonical(&path).map_err(|_| DeriveError::MissingLayer { path, from: conf.clone() })?);
            }
        }
        for path in extra {
            roots.push(canonical(path)?);
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
        let mut workspace = Workspace { conf, layers, recipes: Vec::new(), appends: Vec::new(), roots: Vec::new(), others: Vec::new(), stamps: FxHashMap::default(), listing: Arc::default() };
        workspace.scan()?;
        Ok(workspace)
    }

    /// Finds the workspace file in `dir` or the nearest directory above it.
    pub fn find(dir: &Path) -> Option<PathBuf> {
        dir.ancestors().map(|d| d.join(WORKSPACE_FILE)).find(|p| p.is_file())
    }

    fn scan(&mut self) -> Result<(), DeriveError> {
        let mut listing = Listing::default();
        for (index, layer) in self.layers.iter().enumerate() {
            let found = walk(&layer.root, Top::Layer)?;
            for (path, top, entry) in found {
                let stamp = match entry {
                    Entry::Dir => {
                        listing.add_dir(&path);
                        continue;
                    }
                    Entry::Other => {
                        listing.add_other(&path);
                        continue;
                    }
                    Entry::File(stamp) => stamp,
                };
                listing.add_file(&path);
                if let Some(stamp) = stamp {
                    self.stamps.insert(path.as_os_str().to_owned(), stamp);
                }
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                match (top, name.strip_suffix(".gr"), name.strip_suffix(".grappend")) {
                    (Top::Recipes, Some(stem), _) => {
                        let mut parts = stem.splitn(3, '_');
                        let pn = parts.next().unwrap_or_default().to_string();
                        let pv = parts.next().map(String::from);
                        let pr = parts.next().map(String::from);
                        self.recipes.push(RecipeFile { layer: index, path, pn, pv, pr, appends: Vec::new() });
                    }
                    (Top::Recipes, _, Some(stem)) => {
                        let pattern = stem.to_string();
                        self.appends.push(AppendFile { layer: index, path, pattern });
                    }
                    (Top::Roots, _, _) if name.ends_with(".grroot") => self.roots.push(path),
                    _ => self.others.push(path),
                }
            }
        }
        self.listing = Arc::new(listing);
        for recipe in &mut self.recipes {
            let stem = recipe.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            // Layers are sorted by priority, so appends already are too.
            recipe.appends = (0..self.appends.len()).filter(|&i| append_matches(&self.appends[i].pattern, stem)).collect();
        }
        Ok(())
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
    /// The layer's own directory.
    Layer,
    Recipes,
    Roots,
    Other,
}

/// What [`walk`] found at a path.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// A regular file, with its stamp.
    File(Option<Stamp>),
    /// A directory, listed entirely (dot files aside).
    Dir,
    /// Anything else (a symlink, a socket).
    Other,
}

/// An entry found by [`walk`]: its path, the top directory it is under,
/// and what it is.
type Found = (PathBuf, Top, Entry);

/// Every entry under `dir` (and `dir` itself), in name order at every
/// level, files stamped. Subdirectories are walked in parallel (a layer of
/// 10,000 recipes has thousands of small directories); the order does not
/// depend on it.
///
/// Each directory is opened relative to its parent's descriptor and each
/// file stamped relative to its directory's, so the kernel never looks up
/// a whole path again: on a no-op evaluation the walk is most of the work.
fn walk(dir: &Path, top: Top) -> Result<Vec<Found>, DeriveError> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    match rustix::fs::open(dir, flags, Mode::empty()) {
        Ok(fd) => walk_at(dir, &fd, top),
        Err(rustix::io::Errno::NOENT) => Ok(Vec::new()),
        Err(e) => Err(io_error(dir, e)),
    }
}

/// [`walk`] of the open directory `fd` at `dir`.
fn walk_at(dir: &Path, fd: &rustix::fd::OwnedFd, top: Top) -> Result<Vec<Found>, DeriveError> {
    let mut names: Vec<(OsString, rustix::fs::FileType)> = Vec::new();
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 32 << 10];
    let mut entries = rustix::fs::RawDir::new(fd, &mut buf);
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let name = entry.file_name().to_bytes();
        // `.`, `..`, and version control and editors' state: not part of a layer.
        if name.first() == Some(&b'.') {
            continue;
        }
        names.push((OsString::from(std::ffi::OsStr::from_bytes(name)), entry.file_type()));
    }
    // Sorted by name (short strings, cheap to compare), so the whole walk
    // comes out in one order whatever the file system's.
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Entries are looked at in parallel, in runs kept in order.
    let runs: Vec<Result<Vec<Found>, DeriveError>> = names
        .into_par_iter()
        .fold(
            || Ok(Vec::new()),
            |run: Result<Vec<Found>, DeriveError>, (name, kind)| {
                let mut run = run?;
                visit(dir, fd, top, &name, kind, &mut run)?;
                Ok(run)
            },
        )
        .collect();
    let mut out = vec![(dir.to_path_buf(), top, Entry::Dir)];
    for run in runs {
        out.extend(run?);
    }
    Ok(out)
}

/// One entry of the directory `fd` at `dir`: a file is stamped, a
/// directory walked.
fn visit(
    dir: &Path,
    fd: &rustix::fd::OwnedFd,
    top: Top,
    name: &std::ffi::OsStr,
    mut kind: rustix::fs::FileType,
    out: &mut Vec<Found>,
) -> Result<(), DeriveError> {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags};
    let path = dir.join(name);
    let mut stat = None;
    if kind == FileType::Unknown || kind == FileType::RegularFile {
        // Some file systems do not say what an entry is; statx does.
        let s = rustix::fs::statx(fd, name, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::BASIC_STATS);
        if let Ok(s) = &s {
            kind = FileType::from_raw_mode(s.stx_mode.into());
        }
        stat = s.ok();
    }
    match kind {
        FileType::Directory => {
            let below = match (top, name.as_encoded_bytes()) {
                (Top::Layer, b"recipes") => Top::Recipes,
                (Top::Layer, b"roots") => Top::Roots,
                (Top::Layer, _) => Top::Other,
                (t, _) => t,
            };
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let sub = rustix::fs::openat(fd, name, flags, Mode::empty()).map_err(|e| io_error(&path, e))?;
            out.extend(walk_at(&path, &sub, below)?);
        }
        FileType::RegularFile => {
            let stamp = stat.as_ref().map(Stamp::from_statx);
            out.push((path, if top == Top::Layer { Top::Other } else { top }, Entry::File(stamp)));
        }
        _ => out.push((path, top, Entry::Other)),
    }
    Ok(())
}

fn io_error(path: &Path, e: rustix::io::Errno) -> DeriveError {
    DeriveError::Io { path: path.to_path_buf(), reason: std::io::Error::from(e).to_string() }
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
            let value = evaluated.store.get(v).map_err(|e| {
                // Point at where the variable was set.
                let at = evaluated.store.origin(&e.var).or_else(|| evaluated.store.origin(v));
                DeriveError::eval(file, grove_eval::expand_error_at(e, at), &session)
            })?;
            Ok(value.map(|s| s.to_string()))
        })
        .collect()
}

fn read_layer(root: &Path) -> Result<Layer, DeriveError> {
    let conf = root.join("conf/layer.conf");
    if !conf.is_file() {
        return Err(DeriveError::NotALayer { path: root.to_path_buf() });
    }
    let layerdir = root.to_string_lossy();
    let values = read_vars(&conf, root, &["LAYER_NAME", "LAYER_PRIORITY", "LAYER_DEPENDS"], &[("LAYERDIR", &layerdir)])?;
    let name = values[0].clone().unwrap_or_else(|| root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let priority = match &values[1] {
        None => 0,
        Some(p) => p.trim().parse().map_err(|_| DeriveError::BadPriority { layer: name.clone(), value: p.clone(), conf: conf.clone() })?,
    };
    let depends = values[2].as_deref().unwrap_or("").split_whitespace().map(String::from).collect();
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
