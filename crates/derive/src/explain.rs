//! Why a derivation's hash changed between two evaluations, the way
//! `bitbake-diffsigs` and `nix-diff` answer it: which part of the recipe's
//! own derivation differs, which variables were edited to make it differ,
//! and which dependencies changed under it.

use grove_eval::DataStore;
use grove_eval::lookup::references;
use rustc_hash::FxHashSet;

use crate::derivation::Local;

/// One difference between two local parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A single value: the version, the architecture, the forced-rebuild token.
    Field { what: String, old: Option<String>, new: Option<String> },
    /// An exported variable.
    Env { name: String, old: Option<String>, new: Option<String> },
    /// A task was added or removed, or its order or flags changed.
    Task { name: String, old: Option<String>, new: Option<String> },
    /// A shell function's expanded body.
    Function { name: String, old: Option<String>, new: Option<String> },
    /// A source's identity or parameters.
    Source { name: String, old: Option<String>, new: Option<String> },
    /// The runtime dependency names.
    Runtime { old: Vec<String>, new: Vec<String> },
}

/// Pairs up two sorted-by-name lists and reports what differs.
fn pair<N: AsRef<str>, T: PartialEq>(
    old: &[(N, T)],
    new: &[(N, T)],
    mut report: impl FnMut(&str, Option<&T>, Option<&T>),
) {
    let mut names: Vec<&str> = old.iter().chain(new).map(|(n, _)| n.as_ref()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let a = old.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v);
        let b = new.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v);
        if a != b {
            report(name, a, b);
        }
    }
}

/// Everything that differs between two local parts.
pub fn diff(old: &Local, new: &Local) -> Vec<Change> {
    let mut out = Vec::new();
    let mut field = |what: &str, a: Option<&String>, b: Option<&String>| {
        if a != b {
            out.push(Change::Field { what: what.to_string(), old: a.cloned(), new: b.cloned() });
        }
    };
    field("name", Some(&old.name), Some(&new.name));
    field("version", Some(&old.version), Some(&new.version));
    field("arch", Some(&old.arch), Some(&new.arch));
    field("FORCE_REBUILD", old.force.as_ref(), new.force.as_ref());
    pair(&old.env, &new.env, |n, a, b| {
        out.push(Change::Env { name: n.to_string(), old: a.map(|v| v.to_string()), new: b.map(|v| v.to_string()) });
    });
    let describe = |l: &Local| -> Vec<(String, String)> {
        l.tasks
            .iter()
            .map(|t| {
                // As `show` lists them: `after A B [flag] value ...`.
                let after = (!t.after.is_empty()).then(|| format!("after {}", t.after.join(" ")));
                let flags = t.flags.iter().map(|(k, v)| format!("[{k}] {v}"));
                (t.name.to_string(), after.into_iter().chain(flags).collect::<Vec<_>>().join(" "))
            })
            .collect()
    };
    let (ta, tb) = (describe(old), describe(new));
    pair(&sorted(ta), &sorted(tb), |n, a, b| {
        out.push(Change::Task { name: n.to_string(), old: a.cloned(), new: b.cloned() });
    });
    pair(&old.functions, &new.functions, |n, a, b| {
        out.push(Change::Function { name: n.to_string(), old: a.map(|v| v.to_string()), new: b.map(|v| v.to_string()) });
    });
    let sources = |l: &Local| -> Vec<(String, String)> {
        let list = l.sources.iter().map(|s| {
            let params: Vec<String> = s.params.iter().map(|(k, v)| format!(";{k}={v}")).collect();
            (s.name.clone(), format!("{}{}", s.identity, params.concat()))
        });
        sorted(list.collect())
    };
    pair(&sources(old), &sources(new), |n, a, b| {
        out.push(Change::Source { name: n.to_string(), old: a.cloned(), new: b.cloned() });
    });
    if old.runtime != new.runtime {
        out.push(Change::Runtime { old: old.runtime.clone(), new: new.runtime.clone() });
    }
    out
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// A variable whose value as written differs between two evaluations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The variables, reachable through `${...}` from `roots` in either
/// evaluation, whose values as written (overrides and appends applied,
/// nothing expanded) differ: the edits that made the derivation differ.
pub fn edited_variables(old: &DataStore, new: &DataStore, roots: &[String]) -> Vec<Edited> {
    let raw = |s: &DataStore, v: &str| s.get_unexpanded(v).ok().flatten().map(|v| v.to_string());
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut todo: Vec<String> = roots.to_vec();
    let mut out = Vec::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let (a, b) = (raw(old, &name), raw(new, &name));
        for value in [&a, &b].into_iter().flatten() {
            todo.extend(references(value).filter(|r| !seen.contains(*r)).map(String::from));
        }
        if a != b {
            out.push(Edited { name, old: a, new: b });
        }
    }
    out.sort_by(|x, y| x.name.cmp(&y.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derivation::Task;
    use grove_eval::Value;

    #[test]
    fn a_task_is_described_as_show_lists_it() {
        let local = |dirs: &str| Local {
            name: "lua".into(),
            version: "5.4".into(),
            arch: "x86_64".into(),
            env: Vec::new(),
            tasks: vec![
                Task { name: "do_configure".into(), after: Vec::new(), flags: vec![("dirs", Value::from(dirs))] },
                Task { name: "do_compile".into(), after: vec!["do_configure".into()], flags: vec![("dirs", Value::from(dirs))] },
            ],
            functions: Vec::new(),
            sources: Vec::new(),
            runtime: Vec::new(),
            force: None,
        };
        let changes: Vec<(String, Option<String>)> = diff(&local("/b/1"), &local("/b/2"))
            .into_iter()
            .filter_map(|c| match c {
                Change::Task { name, new, .. } => Some((name, new)),
                _ => None,
            })
            .collect();
        assert_eq!(
            changes,
            [
                ("do_compile".to_string(), Some("after do_configure [dirs] /b/2".to_string())),
                ("do_configure".to_string(), Some("[dirs] /b/2".to_string())),
            ]
        );
    }

    #[test]
    fn the_edited_variable_is_found_behind_the_one_referenced() {
        let mut old = DataStore::new();
        let mut new = DataStore::new();
        for s in [&mut old, &mut new] {
            s.set("do_configure", Value::from("./configure ${OPTS}"), "set", "", None);
            s.set("OPTS", Value::from("${PREFIX_OPT} --quiet"), "set", "", None);
        }
        old.set("PREFIX_OPT", Value::from("--prefix=/usr"), "set", "", None);
        new.set("PREFIX_OPT", Value::from("--prefix=/opt"), "set", "", None);
        let edited = edited_variables(&old, &new, &["do_configure".to_string()]);
        assert_eq!(
            edited,
            [Edited { name: "PREFIX_OPT".into(), old: Some("--prefix=/usr".into()), new: Some("--prefix=/opt".into()) }]
        );
    }
}
