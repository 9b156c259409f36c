//! Choosing among recipes: which version of a name, which provider of a
//! virtual name.
//!
//! Versions of one name are chosen as BitBake does: `PREFERRED_VERSION_<name>`
//! if set (a trailing `%` matches any rest), otherwise the recipe of the
//! highest-priority layer, and among those the highest version.

use std::cmp::Ordering;

use crate::layer::{RecipeFile, Workspace};
use crate::version::compare;

/// Sorts one name's candidates best first: the highest layer priority,
/// then the highest version (a candidate without a version last). The one
/// rule for both the file a command names (`getvar -r`) and the recipe the
/// graph uses.
pub fn sort_best_first<T>(items: &mut [T], priority: impl Fn(&T) -> i64, version: impl Fn(&T) -> Option<&str>) {
    items.sort_by(|a, b| {
        priority(b).cmp(&priority(a)).then_with(|| match (version(a), version(b)) {
            (Some(va), Some(vb)) => compare(vb, va),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
    });
}

/// Which of `best_first` to use: the first whose version `preferred`
/// (`PREFERRED_VERSION_<name>`) matches, or the first; `None` when a
/// preference matches nothing.
pub fn pick<T>(best_first: &[T], preferred: Option<&str>, version: impl Fn(&T) -> Option<&str>) -> Option<usize> {
    match preferred {
        Some(p) => best_first.iter().position(|r| version(r).is_some_and(|v| preferred_matches(p, v))),
        None => (!best_first.is_empty()).then_some(0),
    }
}

/// The recipe files whose file name says `name`, best first.
pub fn versions_of<'w>(workspace: &'w Workspace, name: &str) -> Vec<&'w RecipeFile> {
    let mut found: Vec<&RecipeFile> = workspace.recipes.iter().filter(|r| r.pn == name).collect();
    sort_best_first(&mut found, |r| workspace.layers[r.layer].priority, |r| r.pv.as_deref());
    found
}

/// Whether `version` is what `PREFERRED_VERSION_x = preferred` asks for.
pub fn preferred_matches(preferred: &str, version: &str) -> bool {
    match preferred.strip_suffix('%') {
        Some(prefix) => version.starts_with(prefix),
        None => compare(preferred, version) == Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_versions() {
        assert!(preferred_matches("1.2", "1.2"));
        assert!(preferred_matches("1.2", "1.02"));
        assert!(!preferred_matches("1.2", "1.2.1"));
        assert!(preferred_matches("1.2%", "1.2.1"));
        assert!(!preferred_matches("1.2%", "1.3"));
    }
}
