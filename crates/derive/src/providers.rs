//! Choosing among recipes: which version of a name, which provider of a
//! virtual name.
//!
//! Versions of one name are chosen as BitBake does: `PREFERRED_VERSION_<name>`
//! if set (a trailing `%` matches any rest), otherwise the recipe of the
//! highest-priority layer, and among those the highest version.

use std::cmp::Ordering;

use crate::layer::{RecipeFile, Workspace};
use crate::version::compare;

/// The recipe files whose file name says `name`, best first.
pub fn versions_of<'w>(workspace: &'w Workspace, name: &str, version_of: impl Fn(&RecipeFile) -> Option<String>) -> Vec<&'w RecipeFile> {
    let mut found: Vec<&RecipeFile> = workspace.recipes.iter().filter(|r| r.pn == name).collect();
    found.sort_by(|a, b| {
        let pa = workspace.layers[a.layer].priority;
        let pb = workspace.layers[b.layer].priority;
        pb.cmp(&pa).then_with(|| match (version_of(a), version_of(b)) {
            (Some(va), Some(vb)) => compare(&vb, &va),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
    });
    found
}

/// Whether `version` is what `PREFERRED_VERSION_x = preferred` asks for.
pub fn preferred_matches(preferred: &str, version: &str) -> bool {
    match preferred.strip_suffix('%') {
        Some(prefix) => version.starts_with(prefix),
        None => compare(preferred, version) == Ordering::Equal,
    }
}

/// The recipe to use for `name`: the first of `candidates` (best first)
/// whose version matches `preferred`, or the first one.
pub fn choose<'w>(candidates: &[&'w RecipeFile], preferred: Option<&str>, version_of: impl Fn(&RecipeFile) -> Option<String>) -> Option<&'w RecipeFile> {
    match preferred {
        Some(p) => candidates.iter().copied().find(|r| version_of(r).is_some_and(|v| preferred_matches(p, &v))),
        None => candidates.first().copied(),
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
