//! From recipes to derivations: layers, configurations, versions,
//! providers, the canonical encoding of a derivation, its blake3 hash, and
//! the dependency graph.

pub mod version;
