//! From recipes to derivations: layers, configurations, versions,
//! providers, the canonical encoding of a derivation, its blake3 hash, and
//! the dependency graph.

pub mod error;
pub mod layer;
pub mod version;

pub use error::DeriveError;
pub use layer::{AppendFile, Layer, RecipeFile, Workspace};
pub mod project;
pub mod providers;

pub use project::{Configuration, Project};
