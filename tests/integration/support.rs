//! Running the real `grove` binary the way a user does.

use std::path::Path;
use std::process::Command;

/// What one run of grove did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `grove ARGS` in `dir`, with plain (uncoloured) diagnostics and an
/// evaluation cache of the test process's own.
pub fn grove(dir: &Path, args: &[&str]) -> Run {
    // In cargo's scratch directory for integration tests, not /tmp: it
    // goes away with `cargo clean`.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("grove-test-cache-{}", std::process::id()));
    grove_with(dir, args, &[("GROVE_CACHE_DIR", cache.as_os_str())])
}

/// Runs `grove ARGS` in `dir` with extra environment variables.
pub fn grove_with(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_grove"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .envs(env.iter().copied())
        .output()
        .expect("grove runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `files` (paths relative to `root`, directories made as needed).
pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("a file has a directory")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}
