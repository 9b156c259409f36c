//! Evaluating a workspace into a derivation graph, for every command that
//! needs one; errors are rendered here, all of them.

use grove_derive::{Configuration, DeriveError, Graph, Project};
use grove_eval::{Base, Options};

use crate::Outcome;
use crate::config_args::ConfigArgs;
use crate::render;

/// One configuration of a project, evaluated.
pub struct Evaluation {
    pub base: Base,
    pub graph: Graph,
    pub axes: Axes,
}

/// The configuration's axes as the configuration set them.
#[derive(Debug, Clone)]
pub struct Axes {
    pub version: String,
    pub flavor: String,
    pub arch: String,
    pub kind: String,
}

impl Axes {
    pub fn of(base: &Base) -> Axes {
        let get = |v: &str| base.store.get(v).ok().flatten().map(|v| v.to_string()).unwrap_or_default();
        Axes { version: get("VERSION"), flavor: get("FLAVOR"), arch: get("ARCH"), kind: get("KIND") }
    }
}

impl Evaluation {
    /// `name-version-flavor-arch-<hash>` of recipe `i`, or its name and
    /// version alone when it has no hash (skipped).
    pub fn id(&self, i: usize) -> String {
        let r = &self.graph.recipes[i];
        match &self.graph.hashes[i] {
            Some(h) => grove_derive::derivation::short_id(&r.pn, &r.pv, &self.axes.flavor, &self.axes.arch, h),
            None => format!("{}-{}", r.pn, r.pv),
        }
    }
}

/// Prints every error, then a count when there are several.
pub fn fail_all(errors: Vec<DeriveError>) -> Outcome {
    let count = errors.len();
    for e in errors {
        render::fail_derive(e);
    }
    if count > 1 {
        eprintln!("{count} errors");
    }
    Outcome::Failed
}

/// Opens the project the arguments name and evaluates one configuration.
pub fn evaluate(args: &ConfigArgs) -> Result<(Project, Evaluation), Outcome> {
    let project = args.project().map_err(render::fail_derive)?;
    let config = args.configuration().map_err(render::fail_derive)?;
    let evaluation = evaluate_in(&project, &config)?;
    Ok((project, evaluation))
}

/// Evaluates one configuration of an opened project.
pub fn evaluate_in(project: &Project, config: &Configuration) -> Result<Evaluation, Outcome> {
    let base = project.configure(config, &Options::default()).map_err(render::fail_derive)?;
    let graph = project.graph(&base).map_err(fail_all)?;
    let axes = Axes::of(&base);
    Ok(Evaluation { base, graph, axes })
}
