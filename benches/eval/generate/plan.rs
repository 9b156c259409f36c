//! The plan of the generated recipes: names, versions, how each is built,
//! and the dependency graph they form.
//!
//! Generated recipes sit on [`LEVELS`] levels above the hand-written ones
//! (the hubs, see `hubs.rs`). A recipe needs only recipes of lower levels,
//! so the build graph has no cycle, and its depth is about the hubs' depth
//! plus [`LEVELS`], whatever the number of recipes. Most picks favour the
//! lowest levels and the hub libraries, which gives the fan-in of a real
//! distribution: a few libraries needed by very many recipes, a long tail
//! of recipes nothing needs.

use std::collections::HashSet;

use super::Rng;
use super::hubs::{self, LIBRARIES, RUNTIME, TOOLS};
use super::words::{CMAKE_OPTS, CONF_OPTS, GROUPS, MESON_OPTS, PREFIXES, STEMS, SUFFIXES};

/// Levels of generated recipes.
pub const LEVELS: usize = 8;

/// How a recipe is built.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Build {
    Autotools,
    AutotoolsBrokensep,
    Cmake,
    Meson,
    Make,
    Cargo,
    Go,
    Setuptools,
    Module,
}

impl Build {
    pub fn class(self) -> &'static str {
        match self {
            Build::Autotools => "autotools",
            Build::AutotoolsBrokensep => "autotools-brokensep",
            Build::Cmake => "cmake",
            Build::Meson => "meson",
            Build::Make => "make",
            Build::Cargo => "cargo",
            Build::Go => "go",
            Build::Setuptools => "setuptools3",
            Build::Module => "module",
        }
    }

    /// Classes from grove's standard library do not inherit `core`.
    pub fn is_stdlib(self) -> bool {
        matches!(self, Build::Autotools | Build::Cmake | Build::Meson | Build::Make)
    }

    /// The variable holding extra configure arguments, and a pool of them.
    pub fn options(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Build::Autotools | Build::AutotoolsBrokensep => Some(("EXTRA_OECONF", CONF_OPTS)),
            Build::Cmake => Some(("EXTRA_OECMAKE", CMAKE_OPTS)),
            Build::Meson => Some(("EXTRA_OEMESON", MESON_OPTS)),
            Build::Make | Build::Module => {
                Some(("EXTRA_OEMAKE", &["V=1", "STRIP=true", "PREFIX=${prefix}", "CROSS=${TARGET_SYS}-"]))
            }
            Build::Cargo => Some(("CARGO_BUILD_FLAGS", &["--features=vendored", "--no-default-features", "--locked"])),
            Build::Go => Some(("GOBUILDFLAGS", &["-mod=vendor", "-buildmode=pie", "-tags=netgo"])),
            Build::Setuptools => Some(("SETUPTOOLS_BUILD_ARGS", &["--plat-name=linux", "--py-limited-api=cp38"])),
        }
    }
}

/// One generated recipe file.
pub struct RecipePlan {
    /// `PN`: for a native twin, `<bpn>-native`.
    pub name: String,
    /// The upstream name (`BPN`).
    pub bpn: String,
    pub version: String,
    pub git: bool,
    pub group: &'static str,
    pub build: Build,
    /// Built for the build host (`inherit native`).
    pub native: bool,
    /// Another version of a name planned earlier.
    pub second: bool,
    pub level: usize,
    /// The index of this recipe's native twin, if it has one.
    pub twin: Option<usize>,
    /// `DEPENDS`, beside what the classes and includes add.
    pub deps: Vec<String>,
    /// `RDEPENDS`.
    pub rdeps: Vec<String>,
}

/// Plans `count` recipes.
pub fn plan(rng: &mut Rng, count: usize) -> Vec<RecipePlan> {
    let mut out = names(rng, count);
    dependencies(rng, &mut out);
    out
}

/// Names, versions, levels and twins.
fn names(rng: &mut Rng, count: usize) -> Vec<RecipePlan> {
    let mut names: HashSet<String> = HashSet::new();
    let mut files: HashSet<(String, String)> = HashSet::new();
    let mut out: Vec<RecipePlan> = Vec::with_capacity(count);
    while out.len() < count {
        let level = out.len() * LEVELS / count.max(1);
        // A few recipes are another version of an existing one.
        if !out.is_empty() && rng.chance(3) {
            let base = &out[rng.below(out.len())];
            let version = if base.git {
                format!("{}.{}", rng.range(0, 5), rng.range(0, 30))
            } else {
                format!("{}.{}", base.version, rng.range(1, 9))
            };
            if files.insert((base.name.clone(), version.clone())) {
                out.push(RecipePlan {
                    name: base.name.clone(),
                    bpn: base.bpn.clone(),
                    version,
                    git: false,
                    second: true,
                    twin: None,
                    deps: Vec::new(),
                    rdeps: Vec::new(),
                    ..*base
                });
            }
            continue;
        }
        // Some tools are built for the build host too (what BBCLASSEXTEND
        // = "native" gives in OpenEmbedded): a twin recipe `<name>-native`.
        if !out.is_empty() && rng.chance(10) {
            let i = rng.below(out.len());
            let base = &out[i];
            if base.native || base.second || base.twin.is_some() || base.build == Build::Module {
                continue;
            }
            let twin = RecipePlan {
                name: format!("{}-native", base.name),
                bpn: base.name.clone(),
                version: base.version.clone(),
                git: base.git,
                group: base.group,
                build: base.build,
                native: true,
                second: false,
                level: base.level,
                twin: None,
                deps: Vec::new(),
                rdeps: Vec::new(),
            };
            out[i].twin = Some(out.len());
            out.push(twin);
            continue;
        }
        let mut name = String::new();
        for attempt in 0.. {
            let prefix = rng.pick(PREFIXES);
            let stem = rng.pick(STEMS);
            let mut n = format!("{prefix}{stem}");
            if rng.chance(45) {
                n.push('-');
                n.push_str(rng.pick(STEMS));
            }
            n.push_str(rng.pick(SUFFIXES));
            if attempt > 20 {
                n.push_str(&attempt.to_string());
            }
            if !hubs::taken(&n) && names.insert(n.clone()) {
                name = n;
                break;
            }
        }
        let build = if name.starts_with("python3-") {
            Build::Setuptools
        } else if name.starts_with("rust-") {
            Build::Cargo
        } else if name.starts_with("go-") {
            Build::Go
        } else if name.starts_with("kernel-module-") {
            Build::Module
        } else {
            match rng.below(100) {
                0..35 => Build::Autotools,
                35..45 => Build::AutotoolsBrokensep,
                45..68 => Build::Cmake,
                68..85 => Build::Meson,
                85..93 => Build::Make,
                93..97 => Build::Cargo,
                _ => Build::Go,
            }
        };
        let group =
            if name.starts_with("python3-") || name.starts_with("perl-") || matches!(build, Build::Cargo | Build::Go) {
                "recipes-devtools"
            } else if name.starts_with("kernel-module-") {
                "recipes-kernel"
            } else if name.starts_with("xf86-") || name.starts_with("font-") {
                "recipes-graphics"
            } else if name.starts_with("gst-") {
                "recipes-multimedia"
            } else {
                rng.pick(GROUPS)
            };
        let git = rng.chance(15);
        let version = if git {
            "git".to_string()
        } else {
            match rng.below(10) {
                0..6 => format!("{}.{}.{}", rng.range(0, 9), rng.range(0, 30), rng.range(0, 20)),
                6..9 => format!("{}.{}", rng.range(1, 40), rng.range(0, 99)),
                _ => format!("{}{:02}{:02}", rng.range(2015, 2026), rng.range(1, 12), rng.range(1, 28)),
            }
        };
        files.insert((name.clone(), version.clone()));
        out.push(RecipePlan {
            bpn: name.clone(),
            name,
            version,
            git,
            group,
            build,
            native: false,
            second: false,
            level,
            twin: None,
            deps: Vec::new(),
            rdeps: Vec::new(),
        });
    }
    out
}

/// Recipes of one kind (target or native) by level: `order` lists them
/// lowest level first, `start[l]` is where level `l` begins in it.
struct Pool {
    order: Vec<usize>,
    start: Vec<usize>,
}

impl Pool {
    fn new(plans: &[RecipePlan], native: bool) -> Pool {
        let mut order: Vec<usize> = (0..plans.len()).filter(|&i| plans[i].native == native && !plans[i].second).collect();
        order.sort_by_key(|&i| (plans[i].level, i));
        let start = (0..=LEVELS).map(|l| order.partition_point(|&i| plans[i].level < l)).collect();
        Pool { order, start }
    }

    /// One recipe of level `level`, if there is one.
    fn at_level(&self, rng: &mut Rng, level: usize) -> Option<usize> {
        let (a, b) = (self.start[level], self.start[level + 1]);
        (b > a).then(|| self.order[a + rng.below(b - a)])
    }

    /// One recipe below `level`, the lowest levels (and within a level the
    /// first planned) much more likely: the libraries many recipes need.
    fn below(&self, rng: &mut Rng, level: usize) -> Option<usize> {
        let n = self.start[level];
        if n == 0 {
            return None;
        }
        let u = rng.below(1 << 20) as f64 / (1 << 20) as f64;
        Some(self.order[((n as f64) * u.powf(2.5)) as usize])
    }
}

fn push(deps: &mut Vec<String>, name: &str) {
    if !deps.iter().any(|d| d == name) {
        deps.push(name.to_string());
    }
}

fn weighted<'a>(rng: &mut Rng, items: &[(&'a str, usize)]) -> &'a str {
    let total: usize = items.iter().map(|(_, w)| w).sum();
    let mut at = rng.below(total);
    for (name, w) in items {
        if at < *w {
            return name;
        }
        at -= w;
    }
    items[0].0
}

/// Every recipe's `DEPENDS` and `RDEPENDS`.
fn dependencies(rng: &mut Rng, plans: &mut [RecipePlan]) {
    let targets = Pool::new(plans, false);
    let natives = Pool::new(plans, true);
    for i in 0..plans.len() {
        let (level, native) = (plans[i].level, plans[i].native);
        let pool = if native { &natives } else { &targets };
        let mut picked: Vec<usize> = Vec::new();
        // One recipe of the level just below, most of the time: chains as
        // long as the levels.
        if level > 0 && rng.chance(if native { 50 } else { 65 }) {
            picked.extend(pool.at_level(rng, level - 1));
        }
        for _ in 0..rng.range(0, if native { 2 } else { 4 }) {
            picked.extend(pool.below(rng, level));
        }
        let mut deps = Vec::new();
        for j in picked {
            let d = &plans[j];
            match d.twin {
                Some(t) if !native && rng.chance(15) => push(&mut deps, &plans[t].name),
                _ => push(&mut deps, &d.name),
            }
        }
        if native {
            for _ in 0..rng.range(0, 2) {
                push(&mut deps, rng.pick(TOOLS));
            }
        } else {
            for _ in 0..rng.range(0, 3) {
                push(&mut deps, weighted(rng, LIBRARIES));
            }
            if rng.chance(25) {
                push(&mut deps, rng.pick(TOOLS));
            }
        }
        let mut rdeps = Vec::new();
        if !native {
            if rng.chance(35) {
                for _ in 0..rng.range(1, 2) {
                    push(&mut rdeps, rng.pick(RUNTIME));
                }
            }
            // Run-time needs may point anywhere, even up: they do not order
            // builds.
            if rng.chance(15) && targets.order.len() > 1 {
                let j = targets.order[rng.below(targets.order.len())];
                if plans[j].name != plans[i].name {
                    push(&mut rdeps, &plans[j].name.clone());
                }
            }
        }
        plans[i].deps = deps;
        plans[i].rdeps = rdeps;
    }
}
