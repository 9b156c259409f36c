//! The `grove` command line: parsing arguments, one module per subcommand,
//! and the one place where outcomes become exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: alloc::Mimalloc = alloc::Mimalloc;

mod alloc;
mod artifact;
mod checkout;
mod config_args;
mod eval_cmd;
mod evaluation;
mod explain;
mod gc;
mod graph_cmd;
mod getvar;
mod output;
mod refs;
mod render;
mod show;
mod store_cmd;
mod store_output;

/// grove: a declarative build engine. BitBake-style recipes, evaluated into
/// hashed derivations, built in hermetic sandboxes into a content-addressed
/// store.
#[derive(Parser)]
#[command(name = "grove", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// The store directory (default: $GROVE_STORE, else GROVE_STORE in
    /// grove.conf, else $XDG_DATA_HOME/grove/store).
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the value of a variable (or one of its flags) after evaluation.
    ///
    /// Exit status: 0 and the value on stdout if it is set; 1 and nothing on
    /// stdout if it is not; 2 and a diagnostic on stderr if the file or the
    /// value cannot be evaluated.
    Getvar(getvar::Args),
    /// Evaluate the layers into derivations: each recipe's hash and needs.
    ///
    /// Exit status: 0 when every recipe evaluates and every dependency
    /// resolves; 2 with every error found on stderr otherwise.
    Eval(eval_cmd::Args),
    /// Show one recipe's derivation: hash, needs, sources, environment, tasks.
    Show(show::Args),
    /// Print the derivation graph (Graphviz dot or JSON), whole or from one recipe.
    Graph(graph_cmd::Args),
    /// Show how recipe A comes to need recipe B: a shortest chain of needs.
    ///
    /// Exit status: 0 with the chain; 1 when A does not need B.
    Why(graph_cmd::WhyArgs),
    /// Say why derivations differ between two evaluations: what changed in
    /// a recipe, which variables were edited, which dependencies moved.
    ///
    /// OLD and NEW are workspace or layer directories, or git revisions of
    /// the current workspace (`grove explain HEAD~1 HEAD`).
    Explain(explain::Args),
    /// Add trees to the store, check and repair it, record commits and gc roots.
    Store(store_cmd::Args),
    /// Record, show, export and import artifacts (a derivation's outputs).
    Artifact(artifact::Args),
    /// List, show, set and trace refs (names of commits).
    Ref(refs::Args),
    /// Check out a tree, commit or ref as a directory of hardlinks.
    Checkout(checkout::Args),
    /// Remove everything no ref or gc root reaches; report the space freed.
    Gc(gc::Args),
}

/// What a command's outcome means to the shell.
pub enum Outcome {
    /// Done; exit 0.
    Done,
    /// The thing asked about does not exist (an unset variable); exit 1.
    NotFound,
    /// Bad input; a diagnostic was printed; exit 2.
    Failed,
}

fn main() -> ExitCode {
    alloc::tune();
    render::install_hook();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Getvar(args) => getvar::run(args),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Show(args) => show::run(args),
        Command::Graph(args) => graph_cmd::run(args),
        Command::Why(args) => graph_cmd::why(args),
        Command::Explain(args) => explain::run(args),
        Command::Store(args) => store_cmd::run(cli.store.as_deref(), args),
        Command::Artifact(args) => artifact::run(cli.store.as_deref(), args),
        Command::Ref(args) => refs::run(cli.store.as_deref(), args),
        Command::Checkout(args) => checkout::run(cli.store.as_deref(), args),
        Command::Gc(args) => gc::run(cli.store.as_deref(), args),
    };
    match outcome {
        Outcome::Done => ExitCode::SUCCESS,
        Outcome::NotFound => ExitCode::from(1),
        Outcome::Failed => ExitCode::from(2),
    }
}
