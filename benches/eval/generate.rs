//! Generates a workspace of realistic recipes for the evaluation and
//! derivation benchmarks.
//!
//! It is modelled on an OpenEmbedded build: a workspace file (`grove.conf`,
//! `local.conf` and `bblayers.conf` in spirit) that names one layer and
//! the distribution, and the layer `meta-grovix` with
//!
//! - `conf/distro/grovix.conf`: the distribution's settings, preferred
//!   providers and versions, and its global class `core` (what
//!   `bitbake.conf` and a distro's `INHERIT` provide), read once per
//!   configuration;
//! - `classes/`: `core`, build-system classes using `EXPORT_FUNCTIONS`,
//!   feature classes such as `systemd` or `ptest`, `native` and `cross`;
//! - shared `.inc` files (per recipe family beside the recipes, layer-wide
//!   ones under `conf/include/`);
//! - `recipes/<group>/<name>_<version>.gr` files of 20–60 lines each, with
//!   their patches and other local files in `<group>/<name>/`: about 80
//!   hand-written ones (native tools, the cross toolchain, the C library,
//!   the libraries most packages need; see `hubs.rs`) and the rest drawn
//!   at random (see `plan.rs` for the shape of the dependency graph);
//! - `roots/platform.grroot`, which declares four configurations (flavors
//!   `opt` and `debug` on `x86_64` and `aarch64`).
//!
//! Every name in `DEPENDS`/`RDEPENDS`, including those the classes and
//! includes add, has exactly one provider (or a preferred one), every
//! source is pinned, and the build graph has no cycle: the workspace
//! derives to a full hashed graph in every configuration of the matrix.
//! Recipes also evaluate alone (each layer class inherits `core`), which
//! is what the `eval` phase of the benchmark measures.
//!
//! Everything is derived from one seed with a small xorshift generator, so
//! a given `(count, seed)` always produces the same bytes. The content only
//! uses what grove evaluates (no inline or anonymous python).

mod classes;
mod hubs;
mod plan;
mod rng;
mod text;
mod words;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use rng::Rng;

/// The layer's directory in the workspace.
pub const LAYER_DIR: &str = "meta-grovix";
/// The configurations `roots/platform.grroot` declares.
pub const MATRIX: usize = 4;

/// What was written.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The workspace file, `grove.conf`.
    pub workspace: PathBuf,
    /// The layer's directory.
    pub root: PathBuf,
    /// Every recipe, sorted.
    pub recipes: Vec<PathBuf>,
    /// Hand-written recipes, native twins and second versions among them.
    pub hubs: usize,
    pub natives: usize,
    pub versions: usize,
    pub classes: usize,
    pub includes: usize,
    /// All files written (recipes, classes, includes, local sources,
    /// configuration).
    pub files: usize,
    /// Lines of all files written.
    pub lines: usize,
    /// Lines of the recipe files alone.
    pub recipe_lines: usize,
    pub bytes: usize,
}

struct Writer {
    files: usize,
    lines: usize,
    bytes: usize,
    dirs: HashSet<PathBuf>,
}

impl Writer {
    fn write(&mut self, path: &Path, text: &str) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            if !self.dirs.contains(dir) {
                fs::create_dir_all(dir)?;
                self.dirs.insert(dir.to_path_buf());
            }
        }
        fs::write(path, text)?;
        self.files += 1;
        self.lines += text.lines().count();
        self.bytes += text.len();
        Ok(())
    }
}

/// Writes a workspace of `count` recipes under `root` (which should be
/// empty): `root/grove.conf` and the layer `root/meta-grovix`.
pub fn generate(root: &Path, count: usize, seed: u64) -> io::Result<Layer> {
    let mut rng = Rng::new(seed);
    let mut w = Writer { files: 0, lines: 0, bytes: 0, dirs: HashSet::new() };
    let layer = root.join(LAYER_DIR);

    for (name, text) in classes::CLASSES {
        w.write(&layer.join("classes").join(format!("{name}.grclass")), text)?;
    }
    for (i, (group, name)) in words::FAMILY_INCS.iter().enumerate() {
        let text = text::family_inc(&mut Rng::new(seed ^ ((i as u64 + 1) * 0x1000_0001)), name);
        w.write(&layer.join("recipes").join(group).join(format!("{name}.inc")), &text)?;
    }
    for (i, name) in words::LAYER_INCS.iter().enumerate() {
        let text = text::layer_inc(&mut Rng::new(seed ^ ((i as u64 + 1) * 0x2000_0003)), name);
        w.write(&layer.join("conf/include").join(format!("{name}.inc")), &text)?;
    }
    let (classes, includes) = (classes::CLASSES.len(), words::FAMILY_INCS.len() + words::LAYER_INCS.len());

    let mut recipes = Vec::with_capacity(count);
    let mut recipe_lines = 0;
    let hubs = hubs::HUBS.len().min(count);
    for h in &hubs::HUBS[..hubs] {
        let (text, local) = text::hub_recipe(&mut rng, h);
        recipe_lines += text.lines().count();
        let dir = layer.join("recipes").join(h.group);
        let bpn = h.pn.strip_suffix("-native").or(h.pn.strip_suffix("-cross")).unwrap_or(h.pn);
        for (name, content) in local {
            w.write(&dir.join(bpn).join(name), &content)?;
        }
        let path = dir.join(format!("{}_{}.gr", h.pn, h.pv));
        w.write(&path, &text)?;
        recipes.push(path);
    }

    let plans = plan::plan(&mut rng, count - hubs);
    for p in &plans {
        let (lines, local) = text::recipe(&mut rng, p);
        assert!((20..=60).contains(&lines.len()), "{} has {} lines", p.name, lines.len());
        recipe_lines += lines.len();
        let mut text = lines.join("\n");
        text.push('\n');
        let dir = layer.join("recipes").join(p.group);
        for (name, content) in local {
            w.write(&dir.join(&p.bpn).join(name), &content)?;
        }
        let path = dir.join(format!("{}_{}.gr", p.name, p.version));
        assert!(!path.exists(), "{} generated twice", path.display());
        w.write(&path, &text)?;
        recipes.push(path);
    }
    recipes.sort();

    configuration(&mut w, root, &layer, &plans)?;
    Ok(Layer {
        workspace: root.join("grove.conf"),
        root: layer,
        recipes,
        hubs,
        natives: plans.iter().filter(|p| p.native).count(),
        versions: plans.iter().filter(|p| p.second).count(),
        classes,
        includes,
        files: w.files,
        lines: w.lines,
        recipe_lines,
        bytes: w.bytes,
    })
}

/// The workspace file, the layer's configuration, the distribution's and
/// the roots.
fn configuration(w: &mut Writer, root: &Path, layer: &Path, plans: &[plan::RecipePlan]) -> io::Result<()> {
    w.write(
        &root.join("grove.conf"),
        &format!(
            "# The benchmark's workspace: one layer and the distribution it defines.\n\
             LAYERS = \"{LAYER_DIR}\"\n\
             VERSION ?= \"4.2\"\n\
             DISTRO = \"grovix\"\n\
             \n\
             # The distribution's configuration comes from the layers, as\n\
             # OpenEmbedded's bitbake.conf includes conf/distro/${{DISTRO}}.conf.\n\
             include conf/distro/${{DISTRO}}.conf\n"
        ),
    )?;
    w.write(
        &layer.join("conf/layer.conf"),
        "# meta-grovix: the grovix distribution and its recipes.\nLAYER_NAME = \"grovix\"\nLAYER_PRIORITY = \"6\"\n",
    )?;
    let mut d = String::new();
    let _ = writeln!(d, "# grovix: the distribution's configuration, read once per configuration.");
    let _ = writeln!(d, "DISTRO_NAME = \"Grovix Reference Distribution\"");
    let _ = writeln!(d, "DISTRO_VERSION = \"4.2\"");
    let _ = writeln!(d, "DISTRO_FEATURES ??= \"acl ipv6 pam systemd usrmerge wayland x11 opengl\"");
    let _ = writeln!(d, "TCLIBC ?= \"glibc\"");
    let _ = writeln!(d);
    let _ = writeln!(d, "# Names several recipes provide.");
    for (name, pn) in hubs::PREFERRED_PROVIDERS {
        let _ = writeln!(d, "PREFERRED_PROVIDER_{name} = \"{pn}\"");
    }
    // Keep the older of the first few names that have two versions.
    let seconds = plans.iter().filter(|p| p.second);
    let mut pinned = 0;
    for s in seconds {
        let Some(first) = plans.iter().find(|p| p.name == s.name && !p.second && !p.git) else { continue };
        if pinned == 0 {
            let _ = writeln!(d);
            let _ = writeln!(d, "# Versions the distribution holds back.");
        }
        let _ = writeln!(d, "PREFERRED_VERSION_{} = \"{}\"", s.name, first.version);
        pinned += 1;
        if pinned == 3 {
            break;
        }
    }
    let _ = writeln!(d);
    let _ = writeln!(d, "# The distribution's global class (OpenEmbedded's INHERIT += \"...\"):");
    let _ = writeln!(d, "# read here once, not once per recipe.");
    let _ = writeln!(d, "inherit core");
    w.write(&layer.join("conf/distro/grovix.conf"), &d)?;
    w.write(
        &layer.join("roots/platform.grroot"),
        "# The platform root: grove eval --matrix derives it in these configurations.\n\
         ROOT_FLAVORS = \"opt debug\"\n\
         ROOT_ARCHS = \"x86_64 aarch64\"\n\
         ROOT_KINDS = \"runtime\"\n",
    )?;
    Ok(())
}
