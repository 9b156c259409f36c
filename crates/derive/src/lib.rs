//! From recipes to derivations: layers, configurations, versions,
//! providers, the canonical encoding of a derivation, its blake3 hash, and
//! the dependency graph.

pub mod cache;
pub mod derivation;
pub mod error;
pub mod explain;
pub mod graph;
pub mod layer;
pub mod recipe;
pub mod sources;
pub mod version;
pub mod walk;
mod words;

pub use error::{DeriveError, Link, Links, Names, Wanted};
pub use layer::{AppendFile, Layer, Layers, RecipeFile, Workspace};
pub mod project;
pub mod providers;

pub use derivation::{DrvHash, Local};
pub use graph::{Edge, Graph, State};
pub use project::{Configuration, Project};
pub use recipe::{Detailed, Recipe};
