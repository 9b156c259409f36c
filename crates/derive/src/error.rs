//! Errors of layers, configurations and derivations.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use grove_eval::{EvalError, Session};
use grove_syntax::SourceFile;
use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum DeriveError {
    #[error("{}: {reason}", path.display())]
    #[diagnostic(code(grove::derive::io))]
    Io { path: PathBuf, reason: String },

    #[error("no workspace: there is no grove.conf in {} or above it, and no --layer was given", dir.display())]
    #[diagnostic(
        code(grove::derive::no_workspace),
        help("run grove in a directory with a grove.conf (LAYERS = \"...\"), or pass --workspace FILE or --layer DIR")
    )]
    NoWorkspace { dir: PathBuf },

    /// `problem`: "does not exist", or "is not a file".
    #[error("workspace file {} {problem}", path.display())]
    #[diagnostic(
        code(grove::derive::missing_workspace),
        help("--workspace names a grove.conf (LAYERS = \"...\"); without it, grove looks for grove.conf in the current directory and above")
    )]
    MissingWorkspace { path: PathBuf, problem: &'static str },

    /// `inside`: the layers in it (a directory of layers given for one).
    #[error("{} is not a layer: it has no conf/layer.conf", path.display())]
    #[diagnostic(
        code(grove::derive::not_a_layer),
        help("{}", if inside.is_empty() {
            "a layer is a directory with conf/layer.conf, recipes/ and classes/".to_string()
        } else {
            format!("it holds the layers {}: give each of them (--layer once per layer, or each in LAYERS)", inside.join(", "))
        })
    )]
    NotALayer { path: PathBuf, inside: Vec<String> },

    /// `from`: the workspace file that lists it, or `None` for `--layer`;
    /// `near`: a layer beside it whose name is close.
    #[error("layer {} {} does not exist", path.display(), from.as_ref().map_or("given with --layer".to_string(), |f| format!("listed in {}", f.display())))]
    #[diagnostic(
        code(grove::derive::missing_layer),
        help("{}", match (near, from) {
            (Some(n), _) => format!("did you mean `{n}`?"),
            (None, Some(_)) => "LAYERS paths are relative to grove.conf".to_string(),
            (None, None) => "a --layer path is relative to the current directory".to_string(),
        })
    )]
    MissingLayer { path: PathBuf, from: Option<PathBuf>, near: Option<String> },

    #[error("two layers are named `{name}`: {} and {}", first.display(), second.display())]
    #[diagnostic(code(grove::derive::duplicate_layer), help("set a distinct LAYER_NAME in one of their conf/layer.conf"))]
    DuplicateLayer { name: String, first: PathBuf, second: PathBuf },

    #[error("layer `{layer}` needs layer `{needs}`, which is not in the workspace")]
    #[diagnostic(code(grove::derive::missing_layer_dependency), help("{help}"))]
    MissingLayerDependency { layer: String, needs: String, help: String },

    #[error("LAYER_PRIORITY of layer `{layer}` is `{value}`, not a number ({})", conf.display())]
    #[diagnostic(code(grove::derive::bad_priority), help("priorities are integers; higher wins"))]
    BadPriority { layer: String, value: String, conf: PathBuf },

    #[error("`{value}` is not VAR=VALUE")]
    #[diagnostic(code(grove::derive::bad_setting), help("write --set VAR=value"))]
    BadSetting { value: String },

    /// An evaluation failed; `source_file` is the file the error points
    /// into, so that it can be shown without the session that read it.
    #[error("{} could not be evaluated: {error}", path.display())]
    #[diagnostic(code(grove::derive::eval))]
    Eval { path: PathBuf, error: Box<EvalError>, source_file: Option<Arc<SourceFile>> },

    /// `wanted` says which recipe's variable named it, and where that
    /// variable was set once it is known; `also`, the other recipes the
    /// same statement made need it (one in a class or the configuration
    /// names it for many: it is reported once).
    #[error("{}no recipe provides `{name}`{}", at(wanted.as_ref().and_then(|w| w.place.as_deref())), wanted_by(wanted.as_deref(), also))]
    #[diagnostic(code(grove::derive::no_provider), help("{help}"))]
    NoProvider { name: String, wanted: Option<Box<Wanted>>, also: Names, help: String },

    /// Reported once for the name, with every recipe that needs it.
    #[error("`{name}` is provided by several recipes: {} (needed by {needed_by})", candidates.join(", "))]
    #[diagnostic(code(grove::derive::conflicting_providers), help("choose one with PREFERRED_PROVIDER_{name} = \"...\" in grove.conf or a layer's configuration"))]
    ConflictingProviders { name: String, candidates: Vec<String>, needed_by: Names },

    /// `place`: where the preference was set, once known.
    #[error("{}PREFERRED_PROVIDER_{name} is `{preferred}`, which does not provide `{name}`", at(place.as_deref()))]
    #[diagnostic(code(grove::derive::bad_preferred_provider), help("recipes that provide it: {}", candidates.join(", ")))]
    BadPreferredProvider { name: String, preferred: String, candidates: Vec<String>, place: Option<String> },

    /// `place`: where the preference was set, once known.
    #[error("{}PREFERRED_VERSION_{name} is `{preferred}`, but the layers have {name} {}", at(place.as_deref()), available.join(", "))]
    #[diagnostic(code(grove::derive::no_preferred_version), help("change PREFERRED_VERSION_{name}, or add that version's recipe"))]
    NoPreferredVersion { name: String, preferred: String, available: Vec<String>, place: Option<String> },

    /// `place` is `file:line:col` of where `SRC_URI` was set, else the recipe.
    #[error("{place}: source `{entry}`: {reason}")]
    #[diagnostic(code(grove::derive::bad_source), help("{help}"))]
    BadSource { place: String, entry: String, reason: String, help: String },

    #[error("{place}: {what} contains the host path {host}")]
    #[diagnostic(
        code(grove::derive::host_path),
        help("a build sees only sandbox paths (${{WORKDIR}}, ${{S}}, ${{D}}, ...); bring layer files in with file:// in SRC_URI")
    )]
    HostPath { place: String, what: String, host: String },

    /// `links` say, for each step of `path`, which variable of the recipe
    /// named the next one (and where, once it is known).
    #[error("dependency cycle: {}", path.join(" -> "))]
    #[diagnostic(code(grove::derive::cycle), help("a recipe cannot need itself to build; drop one of these needs:{links}"))]
    Cycle { path: Vec<String>, links: Links },

    #[error("`{name}` is not a recipe of this configuration")]
    #[diagnostic(code(grove::derive::unknown_recipe), help("{help}"))]
    UnknownRecipe { name: String, help: String },

    #[error("recipe {} has no version", path.display())]
    #[diagnostic(code(grove::derive::no_version), help("name the file <name>_<version>.gr or set PV in it"))]
    NoVersion { path: PathBuf },
}

/// The recipe, and its variable, that named a dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The recipe's name.
    pub by: String,
    /// `DEPENDS`, `RDEPENDS` or `BUILD_BASE`.
    pub var: &'static str,
    /// The recipe's file (an index into the workspace's recipes).
    pub file: usize,
    /// `file:line:col` of the statement that set `var` and names the
    /// dependency, else the recipe's file.
    pub place: Option<String>,
}

/// Recipe names, shown as a list that stops after a few.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(pub Vec<String>);

impl Extend<String> for Names {
    /// Adds names at the end; one repeating the last is dropped (a recipe
    /// that needs a name to build and to run comes twice in a row).
    fn extend<I: IntoIterator<Item = String>>(&mut self, names: I) {
        for name in names {
            if self.0.last() != Some(&name) {
                self.0.push(name);
            }
        }
    }
}

impl IntoIterator for Names {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl std::fmt::Display for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 5;
        let names = &self.0;
        // "and 1 more" would take the place of the name itself.
        let shown = if names.len() > SHOWN + 1 { SHOWN } else { names.len() };
        f.write_str(&names[..shown].join(", "))?;
        if shown < names.len() {
            write!(f, " and {} more", names.len() - shown)?;
        }
        Ok(())
    }
}

/// `file:line:col: ` before a message, when the place is known.
fn at(place: Option<&str>) -> String {
    place.map(|p| format!("{p}: ")).unwrap_or_default()
}

/// `errors` in order, those for which `key` gives the same key merged
/// into the first of them by `absorb(first, again)`.
pub(crate) fn merge_errors<K: std::hash::Hash + Eq>(
    errors: Vec<DeriveError>,
    key: impl Fn(&DeriveError) -> Option<K>,
    absorb: impl Fn(&mut DeriveError, DeriveError),
) -> Vec<DeriveError> {
    let mut merged: Vec<DeriveError> = Vec::with_capacity(errors.len());
    let mut first: rustc_hash::FxHashMap<K, usize> = Default::default();
    for e in errors {
        let Some(k) = key(&e) else {
            merged.push(e);
            continue;
        };
        match first.entry(k) {
            std::collections::hash_map::Entry::Occupied(at) => absorb(&mut merged[*at.get()], e),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(merged.len());
                merged.push(e);
            }
        }
    }
    merged
}

/// ` (DEPENDS of lua)`, or of several recipes: ` (DEPENDS of a, b and 3 more)`.
fn wanted_by(wanted: Option<&Wanted>, also: &Names) -> String {
    let Some(w) = wanted else { return String::new() };
    let by = Names(std::iter::once(&w.by).chain(&also.0).cloned().collect());
    format!(" ({} of {by})", w.var)
}

/// One step of a dependency cycle: `wanted.by` names `name`, which the
/// next recipe of the cycle provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub name: String,
    pub wanted: Wanted,
}

/// The steps of a dependency cycle, shown a line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(pub Vec<Link>);

impl std::fmt::Display for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for Link { name, wanted } in &self.0 {
            write!(f, "\n  {}{} of {} names `{name}`", at(wanted.place.as_deref()), wanted.var, wanted.by)?;
        }
        Ok(())
    }
}

impl DeriveError {
    /// Wraps what went wrong while reading an evaluated recipe.
    pub fn extract(path: &Path, error: crate::recipe::ExtractError, session: &Session) -> DeriveError {
        use crate::recipe::ExtractError;
        // Where the offending variable was set, else the recipe.
        let place = |at: Option<grove_syntax::Span>| match at {
            Some(span) => session.sources().describe(span),
            None => path.display().to_string(),
        };
        match error {
            ExtractError::Eval(e) => DeriveError::eval(path, e, session),
            ExtractError::Source { error: s, at } => {
                DeriveError::BadSource { place: place(at), entry: s.entry, reason: s.reason, help: s.help }
            }
            ExtractError::NoVersion => DeriveError::NoVersion { path: path.to_path_buf() },
            ExtractError::HostPath { what, path: host, at } => DeriveError::HostPath { place: place(at), what, host },
        }
    }

    /// Wraps an evaluation error with the source text it points into, so
    /// it can be shown without the session that read the file.
    pub fn eval(path: &Path, error: EvalError, session: &Session) -> DeriveError {
        let source_file = error.file().and_then(|f| session.sources().get(f));
        DeriveError::Eval { path: path.to_path_buf(), error: Box::new(error), source_file }
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn long_lists_of_names_stop_after_five() {
        let names = |n: usize| Names((1..=n).map(|i| format!("r{i}")).collect()).to_string();
        assert_eq!(names(1), "r1");
        assert_eq!(names(5), "r1, r2, r3, r4, r5");
        // "and 1 more" would be no shorter than the name it stands for.
        assert_eq!(names(6), "r1, r2, r3, r4, r5, r6");
        assert_eq!(names(7), "r1, r2, r3, r4, r5 and 2 more");
    }
}
