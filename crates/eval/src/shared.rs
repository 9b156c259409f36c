//! Configurations evaluated together (a matrix), and what their recipes'
//! evaluations may share.
//!
//! A recipe's statements (its file, its appends, the classes and includes
//! they pull in) are evaluated on the first configuration's base while a
//! [`Watch`] notes every variable they look up, read or write. If none of
//! those differs between the bases, the statements would have done exactly
//! the same on every base: each other configuration's store is then the
//! first one's with the differing variables taken from its own base (a
//! [`Patch`]). Finalizing (deferred inherits, then names holding `${...}`)
//! is shared the same way, watched too; only the active overrides are
//! computed per configuration. A recipe that touches a differing variable
//! is evaluated on each base on its own.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::datastore::{DataStore, Value, Var};
use crate::eval::Base;
use crate::lookup::has_ref;
use crate::watch::{Watch, base_name};

/// The bases of the configurations a matrix evaluates each recipe in.
pub struct Bases {
    pub(crate) bases: Vec<Base>,
    /// How the first base's evaluations carry over to the others.
    pub(crate) sharing: Option<Sharing>,
}

impl Bases {
    pub fn new(bases: Vec<Base>) -> Bases {
        let sharing = (bases.len() > 1).then(|| Sharing::between(&bases));
        Bases { bases, sharing }
    }

    pub fn get(&self, i: usize) -> &Base {
        &self.bases[i]
    }
}

pub(crate) struct Sharing {
    /// Every variable that differs between the first base and another.
    pub watch: Arc<Watch>,
    /// For each base, how the first base's evaluation becomes its own;
    /// `None` for the first, and for a base that cannot share.
    pub patches: Vec<Option<Patch>>,
}

impl Sharing {
    fn between(bases: &[Base]) -> Sharing {
        let lead = &bases[0];
        let mut watched: FxHashSet<Box<str>> = FxHashSet::default();
        let mut patches = vec![None];
        for base in &bases[1..] {
            let patch = Patch::between(lead, base);
            if let Some(p) = &patch {
                watched.extend(p.names.iter().cloned());
            }
            patches.push(patch);
        }
        Sharing { watch: Arc::new(Watch::new(watched)), patches }
    }
}

/// What differs between two bases, by variable: the names (before any
/// `:`) of every variable or override list that is not the same in both,
/// and the keys each base has under those names.
pub(crate) struct Patch {
    names: FxHashSet<Box<str>>,
    from_vars: Vec<Value>,
    from_overrides: Vec<Value>,
    to_vars: Vec<Value>,
    to_overrides: Vec<Value>,
}

/// The same variable: the same values, flags, pending operations, and
/// origin (so that a message points where it would).
fn same(a: &Var, b: &Var) -> bool {
    a.content == b.content
        && a.weak_default == b.weak_default
        && a.pending == b.pending
        && a.flags == b.flags
        && a.weak_flags == b.weak_flags
        && a.origin == b.origin
}

impl Patch {
    /// How `to` differs from `from`; `None` when more than variables
    /// differ (the classes the configuration inherited, its tasks) or a
    /// store records history.
    fn between(from: &Base, to: &Base) -> Option<Patch> {
        let (a, b) = (&from.store, &to.store);
        if from.inherited != to.inherited || a.tasks != b.tasks || a.history.is_some() || b.history.is_some() {
            return None;
        }
        let mut names: FxHashSet<Box<str>> = FxHashSet::default();
        for (k, v) in a.vars.iter() {
            if !b.vars.get(k).is_some_and(|w| same(v, w)) {
                names.insert(base_name(k).into());
            }
        }
        for (k, l) in a.overridedata.iter() {
            if b.overridedata.get(k) != Some(l) {
                names.insert(base_name(k).into());
            }
        }
        for k in b.vars.keys().filter(|k| a.vars.get(k).is_none()) {
            names.insert(base_name(k).into());
        }
        for k in b.overridedata.keys().filter(|k| a.overridedata.get(k).is_none()) {
            names.insert(base_name(k).into());
        }
        let family = |store: &DataStore| -> (Vec<Value>, Vec<Value>) {
            let vars = store.vars.keys().filter(|k| names.contains(base_name(k))).cloned().collect();
            let overrides = store.overridedata.keys().filter(|k| names.contains(base_name(k))).cloned().collect();
            (vars, overrides)
        };
        let (from_vars, from_overrides) = family(a);
        let (to_vars, to_overrides) = family(b);
        // A name holding `${...}` is expanded when a recipe is finalized,
        // which is shared: none may differ.
        let keys = [&from_vars, &from_overrides, &to_vars, &to_overrides];
        if keys.iter().any(|l| l.iter().any(|k| has_ref(k))) {
            return None;
        }
        Some(Patch { names, from_vars, from_overrides, to_vars, to_overrides })
    }

    /// Turns `ds`, evaluated on the first base without touching any of the
    /// differing variables, into what it would be on `base`.
    pub(crate) fn apply(&self, ds: &mut DataStore, base: &DataStore) {
        for k in &self.from_vars {
            ds.vars.remove(k);
        }
        for k in &self.from_overrides {
            ds.overridedata.remove(k);
        }
        for k in &self.to_vars {
            // (No differing name holds `${...}`: `ref_names` stays true.)
            if let Some(v) = base.vars.get(k) {
                ds.vars.insert(k.clone(), v.clone());
            }
        }
        for k in &self.to_overrides {
            if let Some(l) = base.overridedata.get(k) {
                ds.overridedata.insert(k.clone(), l.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::Bases;
    use crate::{Base, DataStore, MemLoader, RecipeInput, Session, Value};

    /// A variable expanded, and its flags expanded.
    type Dumped = (Option<String>, Vec<(String, Option<String>)>);

    /// Every variable of a store, expanded, with its flags.
    fn dump(d: &DataStore) -> BTreeMap<String, Dumped> {
        let mut out = BTreeMap::new();
        for name in d.names() {
            let value = d.get(name).expect("expands").map(|v| v.to_string());
            let var = d.var(name).expect("listed");
            let flags = var.flag_names().map(|f| (f.to_string(), d.get_flag(name, f).expect("expands").map(|v| v.to_string()))).collect();
            out.insert(name.to_string(), (value, flags));
        }
        out
    }

    /// Two configurations (x86_64, aarch64) that differ in a variable and
    /// in a variable only one of them sets (and, with `keyed_base`, in a
    /// name holding `${...}` that only one of them has): each recipe
    /// evaluated together on both must come out exactly as evaluated on
    /// each alone.
    fn check_together_as_alone(keyed_base: bool) {
        let conf = "OVERRIDES = \"${ARCH}\"\ninclude arch-${ARCH}.inc\nCFLAGS = \"-O2\"\n";
        let recipes: &[(&str, &str)] = &[
            ("plain", "do_compile() {\n    cc ${CFLAGS} ${SIMD}\n}\n"),
            ("immediate", "MODE := \"${SIMD}\"\n"),
            ("weak", "ONLY ?= \"0\"\n"),
            ("append", "SIMD:append = \" x\"\nCFLAGS += \"-g\"\n"),
            ("unset", "unset ONLY\n"),
            ("deferred", "inherit_defer klass-${ARCH}\n"),
            ("keyed", "NOTE:${PN} = \"mine\"\nNOTE = \"${EXTRA}\"\n"),
        ];
        let mut loader = MemLoader::new()
            .with("/l/conf.conf", conf)
            .with("/l/arch-x86_64.inc", "SIMD = \"sse\"\nONLY = \"1\"\n")
            .with("/l/arch-aarch64.inc", if keyed_base { "SIMD = \"neon\"\nEXTRA:${PN} = \"only here\"\n" } else { "SIMD = \"neon\"\n" })
            .with("/l/classes/klass-x86_64.grclass", "K = \"x86\"\n")
            .with("/l/classes/klass-aarch64.grclass", "K = \"arm\"\n");
        for (name, text) in recipes {
            loader.insert(format!("/l/{name}.gr"), text);
        }
        let session = Session::new(loader);
        let base = |arch: &str| {
            let mut store = DataStore::new();
            store.set("ARCH", Value::from(arch), "set", arch, None);
            session.configure(&[PathBuf::from("/l/conf.conf")], Base::new(store)).expect("configures")
        };
        let bases = Bases::new(vec![base("x86_64"), base("aarch64")]);
        for (name, _) in recipes {
            let path = PathBuf::from(format!("/l/{name}.gr"));
            let preset = [("PN", Value::from(*name))];
            let input = RecipeInput { recipe: Path::new(&path), appends: &[], preset: &preset };
            let together = session.evaluate_recipe_on_each(input, &bases, &[0, 1]);
            for (c, shared) in together.into_iter().enumerate() {
                let alone = session.evaluate_recipe(input, bases.get(c)).expect("evaluates alone");
                assert_eq!(dump(&shared.expect("evaluates together").store), dump(&alone.store), "{name} in configuration {c}");
            }
        }
    }

    #[test]
    fn recipes_evaluated_together_are_what_they_are_alone() {
        check_together_as_alone(false);
    }

    #[test]
    fn a_base_with_its_own_names_holding_references_shares_nothing() {
        check_together_as_alone(true);
    }
}
