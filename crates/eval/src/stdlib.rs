//! The standard classes, embedded so grove works from any directory.
//!
//! They are found after the layers, under the path `<stdlib>/classes/NAME.grclass`.

use std::path::{Path, PathBuf};

/// The prefix of the paths of embedded files.
pub const PREFIX: &str = "<stdlib>";

static FILES: &[(&str, &str)] = &[
    ("classes/base.grclass", include_str!("../../../stdlib/classes/base.grclass")),
    ("classes/autotools.grclass", include_str!("../../../stdlib/classes/autotools.grclass")),
    ("classes/cmake.grclass", include_str!("../../../stdlib/classes/cmake.grclass")),
    ("classes/meson.grclass", include_str!("../../../stdlib/classes/meson.grclass")),
    ("classes/make.grclass", include_str!("../../../stdlib/classes/make.grclass")),
    ("classes/import.grclass", include_str!("../../../stdlib/classes/import.grclass")),
    ("conf/defaults.conf", include_str!("../../../stdlib/conf/defaults.conf")),
];

/// The embedded file at `relative` (e.g. `classes/autotools.grclass`).
pub fn get(relative: &str) -> Option<&'static str> {
    FILES.iter().find(|(p, _)| *p == relative).map(|(_, t)| *t)
}

/// The path under which an embedded file is shown and cached.
pub fn path(relative: &str) -> PathBuf {
    Path::new(PREFIX).join(relative)
}

/// The embedded file a `<stdlib>/...` path names, if it is one.
pub fn lookup(path: &Path) -> Option<&'static str> {
    let relative = path.strip_prefix(PREFIX).ok()?;
    get(relative.to_str()?)
}

/// Names of every embedded class, for suggestions.
pub fn class_names() -> impl Iterator<Item = &'static str> {
    FILES.iter().filter_map(|(p, _)| p.strip_prefix("classes/")?.strip_suffix(".grclass"))
}
