//! The derivation graph of one configuration: which recipe of each name is
//! used, who provides what, the dependency edges, the control lists'
//! states, and every derivation hash.
//!
//! Names are resolved as BitBake resolves them: `PREFERRED_VERSION_<pn>`
//! picks among the files of one name (else the highest layer priority, then
//! the highest version); a dependency name is a recipe's `PN` or one of its
//! `PROVIDES`, and when several recipes provide it without a
//! `PREFERRED_PROVIDER_<name>`, that is an error listing them.

use std::collections::VecDeque;

use grove_eval::DataStore;
use petgraph::algo::tarjan_scc;
use petgraph::Direction::Incoming;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::derivation::{DrvHash, Input, Role, derivation_hash};
use crate::error::{DeriveError, Link, Links, Names, Wanted, merge_errors};
use crate::layer::Workspace;
use crate::providers;
use crate::recipe::Recipe;

/// Why one recipe needs another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Edge {
    /// `BUILD_BASE`.
    Base,
    /// `DEPENDS`.
    Build,
    /// `RDEPENDS`: kept for roots; not part of the build.
    Runtime,
}

impl Edge {
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Base => "base",
            Edge::Build => "build",
            Edge::Runtime => "runtime",
        }
    }

    /// The variable that names a need of this kind.
    pub fn var(self) -> &'static str {
        match self {
            Edge::Base => "BUILD_BASE",
            Edge::Build => "DEPENDS",
            Edge::Runtime => "RDEPENDS",
        }
    }

    fn builds(self) -> bool {
        !matches!(self, Edge::Runtime)
    }
}

/// What the configuration's control lists make of a recipe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum State {
    /// Built when something needs it.
    Ready,
    /// `HOLD_RECIPE`: never built unless asked for by name; `by` is the
    /// held recipe (itself, or one it needs).
    Held { by: String, reason: String },
    /// `SKIP_RECIPE`, or it needs a skipped recipe: not in this
    /// configuration.
    Skipped { reason: String },
}

/// The derivation graph of one configuration.
#[derive(Debug)]
pub struct Graph {
    /// The recipe used for each name, in workspace order.
    pub recipes: Vec<Recipe>,
    /// Nodes are indexes into `recipes`; an edge goes from the recipe that
    /// needs to the recipe needed.
    pub edges: DiGraph<usize, Edge>,
    pub states: Vec<State>,
    /// Derivation hashes; `None` for skipped recipes.
    pub hashes: Vec<Option<DrvHash>>,
    /// Each recipe by its `PN`; made on first use (`grove eval` never
    /// asks).
    by_name: std::sync::OnceLock<FxHashMap<String, usize>>,
}

/// What a graph is made of besides its recipes, kept by the evaluation
/// cache: when every recipe comes from the cache unchanged, so does this.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Parts {
    /// The layers' priorities it was built with.
    priorities: Vec<i64>,
    /// The recipe file chosen for each name (indexes into the workspace's
    /// recipes), in graph order.
    chosen: Vec<u32>,
    /// Edges in the graph's order (so neighbours come out in the same order).
    edges: Vec<(u32, u32, Edge)>,
    states: Vec<State>,
    hashes: Vec<Option<DrvHash>>,
}

impl Parts {
    /// Whether these parts were built with layers of these priorities,
    /// from `recipes` recipe files (and hold together: a damaged cache
    /// may decode into parts that do not).
    pub fn built_with(&self, priorities: &[i64], recipes: usize) -> bool {
        let n = self.chosen.len();
        let fits = |i: u32| (i as usize) < n;
        self.priorities == priorities
            && self.chosen.is_sorted_by(|a, b| a < b)
            && self.chosen.last().is_none_or(|&last| (last as usize) < recipes)
            && self.states.len() == n
            && self.hashes.len() == n
            && self.edges.iter().all(|e| fits(e.0) && fits(e.1))
    }
}

/// What choosing and resolving read from the configuration: every
/// `PREFERRED_VERSION_<pn>` and `PREFERRED_PROVIDER_<name>`, read once.
#[derive(Debug, Default)]
pub struct Preferences {
    versions: FxHashMap<String, String>,
    providers: FxHashMap<String, String>,
}

impl Preferences {
    /// Reads the preferences `store` sets (in any override form).
    pub fn of(store: &DataStore) -> Preferences {
        let mut prefs = Preferences::default();
        let mut names: Vec<&str> = store.names().map(|n| n.split(':').next().unwrap_or_default()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let (map, key) = if let Some(pn) = name.strip_prefix("PREFERRED_VERSION_") {
                (&mut prefs.versions, pn)
            } else if let Some(n) = name.strip_prefix("PREFERRED_PROVIDER_") {
                (&mut prefs.providers, n)
            } else {
                continue;
            };
            if let Some(v) = store.get(name).ok().flatten().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
                map.insert(key.to_string(), v);
            }
        }
        prefs
    }

    fn version(&self, pn: &str) -> Option<&str> {
        self.versions.get(pn).map(String::as_str)
    }

    fn provider(&self, name: &str) -> Option<&str> {
        self.providers.get(name).map(String::as_str)
    }
}

impl Graph {
    /// Builds the graph from every evaluated recipe file: chooses the
    /// recipe of each name, resolves dependencies, checks for cycles,
    /// applies the control lists and hashes every derivation.
    pub fn build(workspace: &Workspace, all: Vec<Recipe>, prefs: &Preferences) -> Result<Graph, Vec<DeriveError>> {
        let mut errors = Vec::new();
        let recipes = choose_versions(workspace, all, prefs, &mut errors);
        // Skipped recipes provide nothing, unless nothing else provides
        // the name: then the dependent is skipped too, not an error.
        let mut providers: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut skipped: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, r) in recipes.iter().enumerate() {
            let map = if r.skip.is_some() { &mut skipped } else { &mut providers };
            for p in &r.provides {
                map.entry(p.as_str()).or_default().push(i);
            }
        }
        let wanted: usize = recipes.iter().map(|r| r.depends.len() + r.rdepends.len() + 1).sum();
        let mut edges: DiGraph<usize, Edge> = DiGraph::with_capacity(recipes.len(), wanted);
        for i in 0..recipes.len() {
            edges.add_node(i);
        }
        let resolver = Resolver { recipes: &recipes, providers: &providers, skipped: &skipped, prefs, helps: Default::default() };
        // Each recipe's needs are resolved in parallel (ten thousand
        // recipes name a few thousand distinct dependencies: each worker
        // resolves a name once), then added in order.
        let needs: Vec<Needs> = recipes
            .par_iter()
            .map_init(FxHashMap::<&str, Option<usize>>::default, |resolved, r| {
                let wanted = r.base.iter().map(|b| (b, Edge::Base));
                let wanted = wanted.chain(r.depends.iter().map(|d| (d, Edge::Build)));
                let mut mine: Vec<(usize, Edge)> = Vec::new();
                let mut failed = Vec::new();
                for (name, kind) in wanted.chain(r.rdepends.iter().map(|d| (d, Edge::Runtime))) {
                    let found = *resolved.entry(name.as_str()).or_insert_with(|| resolver.resolve(name, r, kind).ok());
                    match found {
                        // A recipe's needs are few: a scan finds repeats.
                        Some(j) if !mine.contains(&(j, kind)) => mine.push((j, kind)),
                        Some(_) => {}
                        // Resolved again for the error, which names who wanted it.
                        None => failed.extend(resolver.resolve(name, r, kind).err()),
                    }
                }
                (mine, failed)
            })
            .collect();
        for (i, (mine, failed)) in needs.into_iter().enumerate() {
            for (j, kind) in mine {
                edges.add_edge(NodeIndex::new(i), NodeIndex::new(j), kind);
            }
            errors.extend(failed);
        }
        let mut errors = one_per_contested_name(errors);
        // What builds need: runtime edges may form cycles, build edges not.
        // A cycle leaves recipes out of the levels; only then are the
        // cycles looked for, to name them.
        let levels = build_levels(&edges);
        if levels.is_none() {
            let build = edges.filter_map(|_, &n| Some(n), |_, &e| e.builds().then_some(e));
            errors.extend(cycles(&recipes, &build, &resolver));
        }
        let Some(levels) = levels.filter(|_| errors.is_empty()) else { return Err(errors) };
        let states = states(&recipes, &edges);
        let hashes = hashes(&recipes, &edges, levels, &states);
        Ok(Graph { recipes, edges, states, hashes, by_name: Default::default() })
    }

    /// What the graph is made of besides its recipes; `priorities` are
    /// the layers' it was built with.
    pub fn parts(&self, priorities: Vec<i64>) -> Parts {
        let edges = self.edges.raw_edges().iter().map(|e| (e.source().index() as u32, e.target().index() as u32, e.weight));
        Parts {
            priorities,
            chosen: self.recipes.iter().map(|r| r.file as u32).collect(),
            edges: edges.collect(),
            states: self.states.clone(),
            hashes: self.hashes.clone(),
        }
    }

    /// The graph `parts` were taken from, given every recipe file's recipe
    /// (by index into the workspace's recipes, each with its `file` set);
    /// the parts must fit them (see [`Parts::built_with`]).
    pub fn from_parts(parts: Parts, all: Vec<Recipe>) -> Graph {
        let mut all: Vec<Option<Recipe>> = all.into_iter().map(Some).collect();
        let recipes: Vec<Recipe> = parts.chosen.iter().filter_map(|&i| all.get_mut(i as usize)?.take()).collect();
        let mut edges: DiGraph<usize, Edge> = DiGraph::with_capacity(recipes.len(), parts.edges.len());
        for i in 0..recipes.len() {
            edges.add_node(i);
        }
        for (from, to, edge) in parts.edges {
            edges.add_edge(NodeIndex::new(from as usize), NodeIndex::new(to as usize), edge);
        }
        Graph { recipes, edges, states: parts.states, hashes: parts.hashes, by_name: Default::default() }
    }

    fn by_name(&self) -> &FxHashMap<String, usize> {
        self.by_name.get_or_init(|| self.recipes.iter().enumerate().map(|(i, r)| (r.pn.clone(), i)).collect())
    }

    /// The recipe whose `PN` is `pn`, exactly.
    pub fn index_of(&self, pn: &str) -> Option<usize> {
        self.by_name().get(pn).copied()
    }

    /// The recipe used for `name` (a `PN` or a provided name).
    pub fn find(&self, name: &str) -> Result<usize, DeriveError> {
        if let Some(&i) = self.by_name().get(name) {
            return Ok(i);
        }
        if let Some(i) = self.recipes.iter().position(|r| r.provides.iter().any(|p| p == name)) {
            return Ok(i);
        }
        let help = match grove_syntax::closest(name, self.recipes.iter().map(|r| r.pn.as_str())) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "`grove eval` lists the recipes".to_string(),
        };
        Err(DeriveError::UnknownRecipe { name: name.to_string(), help })
    }

    /// The recipes `i` needs directly, with why.
    pub fn needs(&self, i: usize) -> impl Iterator<Item = (usize, Edge)> + '_ {
        let mut out: Vec<(usize, Edge)> =
            self.edges.edges(NodeIndex::new(i)).map(|e| (e.target().index(), *e.weight())).collect();
        out.sort_by(|a, b| (a.1, &self.recipes[a.0].pn).cmp(&(b.1, &self.recipes[b.0].pn)));
        out.into_iter()
    }

    /// Every recipe reachable from `roots` (themselves included), in
    /// workspace order.
    pub fn closure(&self, roots: &[usize]) -> Vec<usize> {
        let mut seen = vec![false; self.recipes.len()];
        let mut todo: Vec<usize> = roots.to_vec();
        while let Some(i) = todo.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            todo.extend(self.edges.neighbors(NodeIndex::new(i)).map(NodeIndex::index));
        }
        (0..self.recipes.len()).filter(|&i| seen[i]).collect()
    }

    /// A shortest chain of dependencies from `from` to `to`, both included.
    pub fn path(&self, from: usize, to: usize) -> Option<Vec<(usize, Option<Edge>)>> {
        let mut came: Vec<Option<(usize, Edge)>> = vec![None; self.recipes.len()];
        let mut seen = vec![false; self.recipes.len()];
        let mut queue = VecDeque::from([from]);
        seen[from] = true;
        while let Some(i) = queue.pop_front() {
            if i == to {
                let mut path = vec![(to, None)];
                let mut at = to;
                while let Some((prev, edge)) = came[at] {
                    path.push((prev, Some(edge)));
                    at = prev;
                }
                path.reverse();
                return Some(path);
            }
            for (j, edge) in self.needs(i) {
                if !std::mem::replace(&mut seen[j], true) {
                    came[j] = Some((i, edge));
                    queue.push_back(j);
                }
            }
        }
        None
    }
}

/// The recipe file used for each name.
fn choose_versions(workspace: &Workspace, all: Vec<Recipe>, prefs: &Preferences, errors: &mut Vec<DeriveError>) -> Vec<Recipe> {
    // Names are grouped by reference (no recipe is copied or moved), in
    // the order they first appear, so errors come out in file order.
    let mut groups: indexmap::IndexMap<&str, Vec<(usize, &Recipe)>, rustc_hash::FxBuildHasher> = indexmap::IndexMap::default();
    for (i, r) in all.iter().enumerate() {
        groups.entry(r.pn.as_str()).or_default().push((i, r));
    }
    let priority = |(_, r): &(usize, &Recipe)| workspace.layers[workspace.recipes[r.file].layer].priority;
    fn version<'a>((_, r): &'a (usize, &Recipe)) -> Option<&'a str> {
        Some(r.pv.as_str())
    }
    let mut keep = vec![false; all.len()];
    for (pn, mut group) in groups {
        providers::sort_best_first(&mut group, priority, version);
        let preferred = prefs.version(pn);
        match providers::pick(&group, preferred, version) {
            Some(i) => keep[group[i].0] = true,
            None => errors.push(DeriveError::NoPreferredVersion {
                name: pn.to_string(),
                preferred: preferred.unwrap_or_default().to_string(),
                available: group.iter().map(|(_, r)| r.pv.clone()).collect(),
                place: None,
            }),
        }
    }
    let mut chosen: Vec<Recipe> = all.into_iter().zip(keep).filter_map(|(r, k)| k.then_some(r)).collect();
    // The recipes come in file order (the graph's order) already.
    if !chosen.is_sorted_by_key(|r| r.file) {
        chosen.sort_by_key(|r| r.file);
    }
    chosen
}

/// A recipe's resolved needs, and the names that resolved to nothing.
type Needs = (Vec<(usize, Edge)>, Vec<DeriveError>);

struct Resolver<'a> {
    recipes: &'a [Recipe],
    providers: &'a FxHashMap<&'a str, Vec<usize>>,
    skipped: &'a FxHashMap<&'a str, Vec<usize>>,
    prefs: &'a Preferences,
    /// What to suggest for each name nothing provides, found once per name
    /// (a statement of the configuration may make every recipe need one).
    helps: std::sync::Mutex<FxHashMap<String, String>>,
}

impl Resolver<'_> {
    /// The recipe that provides `name`, which `by` needs (`kind`).
    fn resolve(&self, name: &str, by: &Recipe, kind: Edge) -> Result<usize, DeriveError> {
        let candidates: &[usize] = self.providers.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let skipped: &[usize] = self.skipped.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let names = |c: &[usize]| c.iter().map(|&i| self.recipes[i].pn.clone()).collect::<Vec<_>>();
        if let Some(p) = self.prefs.provider(name) {
            let all = candidates.iter().chain(skipped);
            return all.copied().find(|&i| self.recipes[i].pn == p).ok_or_else(|| DeriveError::BadPreferredProvider {
                name: name.to_string(),
                preferred: p.to_string(),
                candidates: names(candidates),
                place: None,
            });
        }
        if let Some(&i) = candidates.iter().find(|&&i| self.recipes[i].pn == name) {
            return Ok(i);
        }
        match candidates {
            [one] => Ok(*one),
            [] if !skipped.is_empty() => Ok(skipped[0]),
            [] => {
                let help = self.missing_help(name);
                let wanted = Wanted { by: by.pn.clone(), var: kind.var(), file: by.file, place: None };
                Err(DeriveError::NoProvider { name: name.to_string(), wanted: Some(Box::new(wanted)), also: Names::default(), help })
            }
            many => {
                let mut candidates = names(many);
                candidates.sort();
                Err(DeriveError::ConflictingProviders { name: name.to_string(), candidates, needed_by: Names(vec![by.pn.clone()]) })
            }
        }
    }

    /// The help of an error for `name`, which no recipe provides: the
    /// closest name that one does, if any is close.
    fn missing_help(&self, name: &str) -> String {
        let helps = || self.helps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(help) = helps().get(name) {
            return help.clone();
        }
        let help = match grove_syntax::closest(name, self.providers.keys().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("no recipe is named `{name}` or lists it in PROVIDES"),
        };
        helps().insert(name.to_string(), help.clone());
        help
    }
}

/// One error per name several recipes provide, naming every recipe that
/// needs it, and one per bad `PREFERRED_PROVIDER_<name>` (a contested
/// `virtual/libc` would otherwise be reported once for every recipe of the
/// distribution). Other errors stay as they are.
fn one_per_contested_name(errors: Vec<DeriveError>) -> Vec<DeriveError> {
    let key = |e: &DeriveError| match e {
        DeriveError::ConflictingProviders { name, .. } => Some((true, name.clone())),
        DeriveError::BadPreferredProvider { name, .. } => Some((false, name.clone())),
        _ => None,
    };
    merge_errors(errors, key, |first, again| {
        if let (DeriveError::ConflictingProviders { needed_by, .. }, DeriveError::ConflictingProviders { needed_by: more, .. }) = (first, again) {
            needed_by.extend(more);
        }
    })
}

/// One error per dependency cycle (among build edges), with its full path.
fn cycles(recipes: &[Recipe], build: &DiGraph<usize, Edge>, resolver: &Resolver<'_>) -> Vec<DeriveError> {
    let mut errors = Vec::new();
    for scc in tarjan_scc(build) {
        let self_loop = scc.len() == 1 && build.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        // Walk inside the component from its first member until we return.
        let members: FxHashSet<NodeIndex> = scc.iter().copied().collect();
        let start = *scc.iter().min_by_key(|n| &recipes[n.index()].pn).expect("a component has members");
        let mut path = vec![start];
        let mut on_path: FxHashSet<NodeIndex> = FxHashSet::from_iter([start]);
        let mut at = start;
        loop {
            let mut next: Vec<NodeIndex> = build.neighbors(at).filter(|n| members.contains(n)).collect();
            next.sort_by_key(|n| &recipes[n.index()].pn);
            // Every member of a cycle's component has a successor inside it.
            let Some(step) = next.iter().copied().find(|&n| n == start).or(next.first().copied()) else { break };
            if step == start || on_path.contains(&step) {
                let from = path.iter().position(|&n| n == step).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(step);
                let names = cycle.iter().map(|n| recipes[n.index()].pn.clone()).collect();
                let links = cycle.windows(2).map(|w| link(recipes, resolver, w[0].index(), w[1].index())).collect();
                errors.push(DeriveError::Cycle { path: names, links: Links(links) });
                break;
            }
            on_path.insert(step);
            path.push(step);
            at = step;
        }
    }
    errors
}

/// Which of recipe `by`'s build needs resolved to recipe `to`: the name
/// as written, from `BUILD_BASE`, else `DEPENDS` (its place is found
/// later, on the error path only: see `Project::locate`).
fn link(recipes: &[Recipe], resolver: &Resolver<'_>, by: usize, to: usize) -> Link {
    let r = &recipes[by];
    let mut named = r.base.iter().map(|n| (n, Edge::Base)).chain(r.depends.iter().map(|n| (n, Edge::Build)));
    let found = named.find(|(n, kind)| resolver.resolve(n, r, *kind).ok() == Some(to));
    let (name, kind) = found.unwrap_or((&recipes[to].pn, Edge::Build));
    Link { name: name.clone(), wanted: Wanted { by: r.pn.clone(), var: kind.var(), file: r.file, place: None } }
}

/// Skips and holds, carried along the edges: what needs a skipped recipe
/// is skipped; what builds on a held one is held.
fn states(recipes: &[Recipe], edges: &DiGraph<usize, Edge>) -> Vec<State> {
    let mut states: Vec<State> = recipes
        .iter()
        .map(|r| match (&r.skip, &r.hold) {
            (Some(reason), _) => State::Skipped { reason: reason.clone() },
            (None, Some(reason)) => State::Held { by: r.pn.clone(), reason: reason.clone() },
            (None, None) => State::Ready,
        })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for e in edges.edge_references() {
            let (from, to) = (e.source().index(), e.target().index());
            let new = match (&states[from], &states[to]) {
                (State::Skipped { .. }, _) => continue,
                (_, State::Skipped { .. }) => {
                    State::Skipped { reason: format!("it needs {}, which is skipped", recipes[to].pn) }
                }
                (State::Ready, State::Held { by, reason }) if e.weight().builds() => {
                    State::Held { by: by.clone(), reason: reason.clone() }
                }
                _ => continue,
            };
            states[from] = new;
            changed = true;
        }
    }
    states
}

/// The recipes by level of what their builds need (Kahn's algorithm):
/// level 0 needs nothing built, a recipe at level n needs one at level
/// n - 1 and none higher. `None` when build needs form a cycle (its
/// recipes never come free).
fn build_levels(edges: &DiGraph<usize, Edge>) -> Option<Vec<Vec<usize>>> {
    let n = edges.node_count();
    // How many of each recipe's build needs are not placed yet.
    let mut waiting = vec![0u32; n];
    for e in edges.raw_edges().iter().filter(|e| e.weight.builds()) {
        waiting[e.source().index()] += 1;
    }
    let mut levels: Vec<Vec<usize>> = vec![(0..n).filter(|&i| waiting[i] == 0).collect()];
    let mut placed = levels[0].len();
    loop {
        let mut next = Vec::new();
        for &j in levels.last().expect("level 0 is always there") {
            for e in edges.edges_directed(NodeIndex::new(j), Incoming).filter(|e| e.weight().builds()) {
                let i = e.source().index();
                waiting[i] -= 1;
                if waiting[i] == 0 {
                    next.push(i);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        placed += next.len();
        levels.push(next);
    }
    (placed == n).then_some(levels)
}

/// Every derivation hash, dependencies first: a recipe's hash needs its
/// inputs' hashes, so recipes are hashed level by level, each level in
/// parallel. Skipped recipes have none.
fn hashes(recipes: &[Recipe], edges: &DiGraph<usize, Edge>, levels: Vec<Vec<usize>>, states: &[State]) -> Vec<Option<DrvHash>> {
    let mut hashes: Vec<Option<DrvHash>> = vec![None; recipes.len()];
    for level in levels {
        let done: Vec<(usize, Option<DrvHash>)> = level
            .into_par_iter()
            .map(|i| {
                if matches!(states[i], State::Skipped { .. }) {
                    return (i, None);
                }
                let inputs: Vec<Input> = edges
                    .edges(NodeIndex::new(i))
                    .filter(|e| e.weight().builds())
                    .filter_map(|e| {
                        let j = e.target().index();
                        let role = if *e.weight() == Edge::Base { Role::Base } else { Role::Build };
                        hashes[j].map(|hash| Input { role, name: &recipes[j].pn, hash })
                    })
                    .collect();
                (i, Some(derivation_hash(&recipes[i].local_hash, &inputs)))
            })
            .collect();
        for (i, h) in done {
            hashes[i] = h;
        }
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two recipes chosen out of three files, one edge between them.
    fn parts() -> Parts {
        Parts {
            priorities: vec![5, 6],
            chosen: vec![0, 2],
            edges: vec![(1, 0, Edge::Build)],
            states: vec![State::Ready, State::Ready],
            hashes: vec![Some(DrvHash([1; 32])), Some(DrvHash([2; 32]))],
        }
    }

    #[test]
    fn kept_parts_are_used_only_when_they_hold_together() {
        assert!(parts().built_with(&[5, 6], 3));
        // Other layers, or fewer recipe files than the parts name.
        assert!(!parts().built_with(&[5, 7], 3));
        assert!(!parts().built_with(&[5, 6], 2));
        // What a damaged file may decode into.
        let damaged: [fn(&mut Parts); 4] = [
            |p| p.chosen = vec![2, 0],
            |p| p.edges.push((0, 2, Edge::Runtime)),
            |p| {
                p.states.pop();
            },
            |p| p.hashes.push(None),
        ];
        for damage in damaged {
            let mut p = parts();
            damage(&mut p);
            assert!(!p.built_with(&[5, 6], 3), "{p:?}");
        }
    }
}
