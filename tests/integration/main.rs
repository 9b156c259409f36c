//! grove's integration tests: one binary, one module per area. Each area
//! has one `check`-style helper its tests go through.

mod architecture;
mod corpus;
mod derive;
mod differential;
mod examples;
mod getvar;
mod layers;
mod store;
mod support;
