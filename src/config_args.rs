//! The command-line options that choose a workspace and a configuration,
//! shared by every command that evaluates layers.

use std::path::PathBuf;

use grove_derive::{Configuration, DeriveError, Layers, Project, Workspace};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// A layer directory to use, after those grove.conf lists (repeatable).
    #[arg(long = "layer", value_name = "DIR")]
    pub layers: Vec<PathBuf>,

    /// The workspace file (default: grove.conf in the current directory or
    /// the nearest one above it).
    #[arg(long, value_name = "FILE")]
    pub workspace: Option<PathBuf>,

    /// The release series (VERSION).
    #[arg(long = "series", value_name = "VERSION")]
    pub version: Option<String>,

    /// The flavor (FLAVOR): opt, debug, ...
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: Option<String>,

    /// The architecture (ARCH).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,

    /// The root kind (KIND): runtime, sdk, devel.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,

    /// Set a variable (VAR=VALUE) or a flag (VAR[FLAG]=VALUE) over what the
    /// configuration files say (repeatable).
    #[arg(long = "set", value_name = "VAR=VALUE")]
    pub set: Vec<String>,

    /// Evaluate every recipe, ignoring (and not updating) the evaluation
    /// cache. The cache lives in $GROVE_CACHE_DIR, else
    /// $XDG_CACHE_HOME/grove, else ~/.cache/grove.
    #[arg(long)]
    pub no_cache: bool,
}

impl ConfigArgs {
    /// The project: grove.conf (given or found) and the layers.
    pub fn project(&self) -> Result<Project, DeriveError> {
        self.walk(self.layers()?)
    }

    /// grove.conf (given or found) and the layers, not yet walked.
    pub fn layers(&self) -> Result<Layers, DeriveError> {
        let conf = match &self.workspace {
            Some(f) => Some(f.clone()),
            None => std::env::current_dir().ok().and_then(|d| Workspace::find(&d)),
        };
        if conf.is_none() && self.layers.is_empty() {
            return Err(DeriveError::NoWorkspace { dir: std::env::current_dir().unwrap_or_default() });
        }
        Workspace::layers(conf.as_deref(), &self.layers)
    }

    /// The project of `layers`, walked.
    pub fn walk(&self, layers: Layers) -> Result<Project, DeriveError> {
        // The layers' listing is kept beside the evaluation cache, and
        // like it, not used with --no-cache.
        let cache = if self.no_cache { None } else { crate::evaluation::cache_dir() };
        Ok(Project::new(layers.walk(cache.as_deref())?))
    }

    pub fn configuration(&self) -> Result<Configuration, DeriveError> {
        let set = self.set.iter().map(|s| Configuration::parse_setting(s)).collect::<Result<_, _>>()?;
        Ok(Configuration {
            version: self.version.clone(),
            flavor: self.flavor.clone(),
            arch: self.arch.clone(),
            kind: self.kind.clone(),
            set,
        })
    }
}
