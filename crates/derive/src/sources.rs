//! `SRC_URI`: what a recipe builds from, and the identity of each source.
//!
//! A derivation names its sources by content, never by where they come
//! from: a local file (`file://`) by the blake3 of its bytes, a download
//! (`https://`, `http://`, `ftp://`) by the SHA-256 the recipe pins, a git
//! repository (`git://`, `git+https://`, ...) by the commit it pins. So a
//! mirror change rebuilds nothing, and nothing that is not pinned can enter
//! a build. Fetching belongs to the build; deriving only names.
//!
//! Local files are looked for, in order, beside each `.grappend` (highest
//! priority first) and then beside the recipe, in `<dir>/<BP>`,
//! `<dir>/<BPN>`, `<dir>/files` and `<dir>`: a file beside an append shadows
//! the recipe's own file of the same name.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use grove_eval::{DataStore, LoadError, Loader, Probe};
use rustc_hash::FxHashMap;

/// How a source is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceKind {
    File,
    Url,
    Git,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Url => "url",
            SourceKind::Git => "git",
        }
    }
}

/// One `SRC_URI` entry, named by content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// The name it has in the build directory.
    pub name: String,
    /// `blake3:<hex>`, `sha256:<hex>` or `git:<commit>`.
    pub identity: String,
    /// Parameters that change what the build sees (`striplevel`, `subdir`,
    /// `unpack`, ...), sorted; transport-only ones are left out.
    pub params: Vec<(String, String)>,
}

/// Where a source comes from: not part of its identity, but what a build
/// fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The local file found for a `file://` entry.
    Path(PathBuf),
    /// The URL as written, parameters removed.
    Url(String),
}

/// Parameters that only say how to fetch, not what is fetched.
const TRANSPORT_PARAMS: &[&str] =
    &["protocol", "branch", "nobranch", "user", "pswd", "usehead", "sha256sum", "md5sum", "rev", "tag", "name"];

/// Why an entry has no identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub entry: String,
    pub reason: String,
    pub help: String,
}

fn fail(entry: &str, reason: impl Into<String>, help: impl Into<String>) -> SourceError {
    SourceError { entry: entry.to_string(), reason: reason.into(), help: help.into() }
}

/// What resolving sources needs: the recipe's data, the directories local
/// files are looked for in, and the loader that confines reads.
pub struct Context<'a> {
    pub store: &'a DataStore,
    pub search: Vec<PathBuf>,
    pub loader: &'a dyn Loader,
    pub hashes: &'a FileHashes,
}

/// The blake3 of every local file hashed so far in this run, by its real
/// path. A matrix evaluates each recipe once per configuration, and its
/// files are the same files each time (the layers' stamps are taken once,
/// by the walk, and the evaluation cache trusts them the same way).
#[derive(Debug, Default)]
pub struct FileHashes(Mutex<FxHashMap<OsString, blake3::Hash>>);

impl FileHashes {
    /// The hash of `real`'s bytes, read through `loader` the first time.
    /// Keyed by the path's bytes (`real` comes canonical from the loader),
    /// which hash faster than a `Path`'s components.
    fn of(&self, real: &Path, loader: &dyn Loader) -> Result<blake3::Hash, LoadError> {
        let map = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hash) = map().get(real.as_os_str()) {
            return Ok(*hash);
        }
        let hash = blake3::hash(&loader.read_bytes(real)?);
        map().insert(real.as_os_str().to_owned(), hash);
        Ok(hash)
    }
}

impl Context<'_> {
    /// The directories `file://` entries are looked for in, in order.
    pub fn search_dirs(store: &DataStore, recipe: &Path, appends: &[PathBuf]) -> Vec<PathBuf> {
        let get = |v: &str| store.get(v).ok().flatten().map(|v| String::from(&*v)).unwrap_or_default();
        let (bp, bpn) = (get("BP"), get("BPN"));
        let mut dirs = Vec::new();
        for file in appends.iter().rev().map(PathBuf::as_path).chain([recipe]) {
            let Some(dir) = grove_eval::loader::parent_dir(file) else { continue };
            for sub in [bp.as_str(), bpn.as_str(), "files"] {
                if !sub.is_empty() && !sub.contains('/') {
                    dirs.push(dir.join(sub));
                }
            }
            dirs.push(dir.to_path_buf());
        }
        dirs
    }
}

/// Reads `SRC_URI` (already expanded) into sources, in the order written.
pub fn resolve(src_uri: &str, cx: &Context<'_>) -> Result<Vec<(Source, Origin)>, SourceError> {
    grove_syntax::words(src_uri).map(|entry| resolve_one(entry, cx)).collect()
}

fn resolve_one(entry: &str, cx: &Context<'_>) -> Result<(Source, Origin), SourceError> {
    let mut parts = entry.split(';');
    let url = parts.next().unwrap_or_default();
    let mut params: Vec<(String, String)> = Vec::new();
    for p in parts.filter(|p| !p.is_empty()) {
        let Some((k, v)) = p.split_once('=') else {
            return Err(fail(entry, format!("parameter `{p}` is not name=value"), "write ;name=value after the URL"));
        };
        params.push((k.to_string(), v.to_string()));
    }
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // A byte search: `split_once("://")` sets up a substring searcher,
    // which costs more than the short scheme it finds.
    let scheme_end = url.as_bytes().windows(3).position(|w| w == b"://");
    let Some((scheme, rest)) = scheme_end.map(|i| (&url[..i], &url[i + 3..])) else {
        return Err(fail(entry, "it has no scheme", "write file://, https://, http://, ftp:// or git://"));
    };
    let kept = |params: &[(String, String)]| {
        let mut kept: Vec<(String, String)> =
            params.iter().filter(|(k, _)| !TRANSPORT_PARAMS.contains(&k.as_str())).cloned().collect();
        kept.sort();
        kept
    };
    match scheme {
        "file" => {
            let (path, hash) = find_local(entry, rest, cx)?;
            // Joined, not formatted: `format!` pads through `Formatter`.
            let identity = ["blake3:", hash.to_hex().as_str()].concat();
            let source = Source { kind: SourceKind::File, name: rest.to_string(), identity, params: kept(&params) };
            Ok((source, Origin::Path(path)))
        }
        "http" | "https" | "ftp" => {
            let file = param("downloadfilename").unwrap_or_else(|| rest.rsplit('/').next().unwrap_or_default());
            if file.is_empty() {
                return Err(fail(entry, "the URL names no file", "end the URL with the file name, or add ;downloadfilename=NAME"));
            }
            let checksum = param("sha256sum").map(str::to_string).or_else(|| checksum_flag(cx.store, param("name")));
            let Some(sum) = checksum else {
                let flag = match param("name") {
                    Some(n) => format!("SRC_URI[{n}.sha256sum]"),
                    None => "SRC_URI[sha256sum]".to_string(),
                };
                return Err(fail(
                    entry,
                    "a download must pin its SHA-256, and this one does not",
                    format!("add ;sha256sum=<64 hex digits> to the entry, or set {flag}"),
                ));
            };
            if !is_hex(&sum, &[64]) {
                return Err(fail(entry, format!("sha256sum `{sum}` is not 64 hex digits"), "copy the checksum from `sha256sum FILE`"));
            }
            let source = Source {
                kind: SourceKind::Url,
                name: file.to_string(),
                identity: format!("sha256:{}", sum.to_ascii_lowercase()),
                params: kept(&params),
            };
            Ok((source, Origin::Url(url.to_string())))
        }
        s if s == "git" || s.starts_with("git+") => {
            let repo = rest.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
            let repo = repo.strip_suffix(".git").unwrap_or(repo);
            let rev = param("rev").map(str::to_string).or_else(|| srcrev(cx.store, param("name")));
            let Some(rev) = rev else {
                return Err(fail(
                    entry,
                    "a git source must pin a commit, and this one does not",
                    "add ;rev=<commit id> to the entry, or set SRCREV",
                ));
            };
            if !is_hex(&rev, &[40, 64]) {
                return Err(fail(
                    entry,
                    format!("rev `{rev}` is not a full commit id"),
                    "pin the 40 (or 64) hex digit commit id; branch names and tags move",
                ));
            }
            let source = Source {
                kind: SourceKind::Git,
                name: repo.to_string(),
                identity: format!("git:{}", rev.to_ascii_lowercase()),
                params: kept(&params),
            };
            Ok((source, Origin::Url(url.to_string())))
        }
        other => Err(fail(entry, format!("grove does not fetch `{other}://`"), "use file://, https://, http://, ftp:// or git://")),
    }
}

/// `SRC_URI[name.sha256sum]`, or `SRC_URI[sha256sum]` for an unnamed entry.
fn checksum_flag(store: &DataStore, name: Option<&str>) -> Option<String> {
    let flag = match name {
        Some(n) => format!("{n}.sha256sum"),
        None => "sha256sum".to_string(),
    };
    store.get_flag("SRC_URI", &flag).ok().flatten().map(|v| String::from(&*v))
}

/// `SRCREV_name`, then `SRCREV`.
fn srcrev(store: &DataStore, name: Option<&str>) -> Option<String> {
    let named = name.and_then(|n| store.get(&format!("SRCREV_{n}")).ok().flatten());
    named.or_else(|| store.get("SRCREV").ok().flatten()).map(|v| String::from(&*v)).filter(|v| !v.is_empty())
}

fn is_hex(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first search directory that has `relative`, and the hash of its bytes.
fn find_local(entry: &str, relative: &str, cx: &Context<'_>) -> Result<(PathBuf, blake3::Hash), SourceError> {
    let rel = Path::new(relative);
    if relative.is_empty() || rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(fail(
            entry,
            "a local source must be a relative path inside the layer",
            "name the file relative to the recipe's directory (or its files/ folder), without `..`",
        ));
    }
    for dir in &cx.search {
        let candidate = dir.join(rel);
        match cx.loader.probe(&candidate) {
            Probe::File(real) => {
                return match cx.hashes.of(&real, cx.loader) {
                    Ok(hash) => Ok((real, hash)),
                    Err(e) => Err(fail(entry, format!("{} could not be read: {e}", real.display()), "check its permissions")),
                };
            }
            Probe::Forbidden(real) => {
                return Err(fail(
                    entry,
                    format!("{} leads to {}, outside the layers", candidate.display(), real.display()),
                    format!("{}", LoadError::Forbidden),
                ));
            }
            Probe::Missing => {}
        }
    }
    let looked: Vec<String> = cx.search.iter().map(|d| d.display().to_string()).collect();
    let looked = format!("looked in: {}", looked.join(", "));
    let help = match near_file(rel, cx) {
        Some(near) => format!("did you mean `{near}`? ({looked})"),
        None => looked,
    };
    Err(fail(entry, format!("no file `{relative}` was found"), help))
}

/// The file in the search directories whose name is closest to `rel`'s
/// (a typo in a patch's name), written as `rel` is.
fn near_file(rel: &Path, cx: &Context<'_>) -> Option<String> {
    let name = rel.file_name()?.to_str()?;
    let sub = rel.parent().unwrap_or(Path::new(""));
    let names: Vec<String> = cx.search.iter().flat_map(|d| cx.loader.list(&d.join(sub))).collect();
    let near = grove_syntax::closest(name, names.iter().map(String::as_str))?;
    Some(sub.join(near).display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use grove_eval::{MemLoader, Value};

    fn cx<'a>(store: &'a DataStore, loader: &'a MemLoader, hashes: &'a FileHashes) -> Context<'a> {
        Context { store, search: vec![PathBuf::from("/l/append/files"), PathBuf::from("/l/recipe/files")], loader, hashes }
    }

    #[test]
    fn local_files_are_named_by_content_and_appends_shadow() {
        let loader = MemLoader::new().with("/l/recipe/files/a.patch", "old").with("/l/append/files/a.patch", "new");
        let store = DataStore::new();
        let got = resolve("file://a.patch;striplevel=1", &cx(&store, &loader, &FileHashes::default())).unwrap();
        assert_eq!(got[0].0.identity, format!("blake3:{}", blake3::hash(b"new").to_hex()));
        assert_eq!(got[0].0.params, vec![("striplevel".to_string(), "1".to_string())]);
        assert_eq!(got[0].1, Origin::Path(PathBuf::from("/l/append/files/a.patch")));
    }

    #[test]
    fn local_files_cannot_climb_out() {
        let loader = MemLoader::new().with("/etc/passwd", "x");
        let store = DataStore::new();
        let err = resolve("file://../../../etc/passwd", &cx(&store, &loader, &FileHashes::default())).unwrap_err();
        assert!(err.reason.contains("relative path inside the layer"), "{err:?}");
        assert!(resolve("file:///etc/passwd", &cx(&store, &loader, &FileHashes::default())).is_err());
    }

    #[test]
    fn downloads_need_a_checksum_and_the_url_is_not_identity() {
        let loader = MemLoader::new();
        let mut store = DataStore::new();
        let err = resolve("https://example.org/hello-2.10.tar.gz", &cx(&store, &loader, &FileHashes::default())).unwrap_err();
        assert!(err.help.contains("SRC_URI[sha256sum]"), "{err:?}");
        let sum = "a".repeat(64);
        store.set_flag("SRC_URI", "sha256sum", Some(Value::from(sum.as_str())), "set", "", None);
        let one = resolve("https://example.org/hello-2.10.tar.gz", &cx(&store, &loader, &FileHashes::default())).unwrap();
        let two = resolve("https://mirror.example/pub/hello-2.10.tar.gz", &cx(&store, &loader, &FileHashes::default())).unwrap();
        assert_eq!(one[0].0, two[0].0);
        assert_eq!(one[0].0.identity, format!("sha256:{sum}"));
    }

    #[test]
    fn git_needs_a_full_commit() {
        let loader = MemLoader::new();
        let mut store = DataStore::new();
        let err = resolve("git://example.org/repo.git;branch=main", &cx(&store, &loader, &FileHashes::default())).unwrap_err();
        assert!(err.reason.contains("pin a commit"));
        store.set("SRCREV", Value::from("main"), "set", "", None);
        assert!(resolve("git://example.org/repo.git", &cx(&store, &loader, &FileHashes::default())).unwrap_err().reason.contains("not a full commit"));
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let got = resolve(&format!("git://example.org/repo.git;rev={rev};branch=main"), &cx(&store, &loader, &FileHashes::default())).unwrap();
        assert_eq!(got[0].0.name, "repo");
        assert_eq!(got[0].0.identity, format!("git:{rev}"));
        assert!(got[0].0.params.is_empty());
    }

    #[test]
    fn unknown_schemes_are_refused() {
        let loader = MemLoader::new();
        let store = DataStore::new();
        assert!(resolve("svn://x/y", &cx(&store, &loader, &FileHashes::default())).unwrap_err().reason.contains("svn://"));
        assert!(resolve("hello.tar.gz", &cx(&store, &loader, &FileHashes::default())).unwrap_err().reason.contains("no scheme"));
    }

    #[test]
    fn a_file_is_hashed_once_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("files")).unwrap();
        std::fs::write(root.join("files/a.patch"), "one").unwrap();
        let loader = grove_eval::FsLoader::new([root.clone()]);
        let store = DataStore::new();
        let (run, next_run) = (FileHashes::default(), FileHashes::default());
        let cx = |hashes| Context { store: &store, search: vec![root.join("files")], loader: &loader, hashes };
        let identity = |hashes| resolve("file://a.patch", &cx(hashes)).unwrap()[0].0.identity.clone();
        let first = identity(&run);
        assert_eq!(first, format!("blake3:{}", blake3::hash(b"one").to_hex()));
        // Within a run the layers are taken as the walk saw them; the next
        // run (a new evaluation) reads the file again.
        std::fs::write(root.join("files/a.patch"), "two").unwrap();
        assert_eq!(identity(&run), first);
        assert_eq!(identity(&next_run), format!("blake3:{}", blake3::hash(b"two").to_hex()));
    }
}
