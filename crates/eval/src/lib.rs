//! grove's recipe evaluator.
//!
//! A [`Session`] reads files through one [`Loader`], parses each once, and
//! evaluates recipes into [`DataStore`]s with BitBake's data semantics:
//! operators, lazy `${...}` expansion, overrides, `:append`/`:prepend`/
//! `:remove`, flags, includes, classes and `EXPORT_FUNCTIONS`. Nothing is
//! ever executed: shell task bodies are values like any other.

pub mod datastore;
pub mod error;
pub mod eval;
pub mod history;
pub mod listing;
pub mod loader;
pub mod lookup;
pub mod shared;
pub mod stdlib;
pub mod watch;

pub use datastore::{DataStore, Value, Var};
pub use error::{EvalError, ExpandError, ExpandErrorKind};
pub use eval::{Base, Evaluated, Loaded, Options, RecipeInput, Session, expand_error};
pub use history::{Event, History};
pub use listing::{Kind, Listing};
pub use shared::Bases;
pub use loader::{FsLoader, LoadError, Loader, MemLoader, Probe};

#[cfg(test)]
mod tests;
