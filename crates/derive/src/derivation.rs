//! A derivation: everything that can affect one recipe's build under one
//! configuration, in a canonical encoding, and its blake3 hash.
//!
//! The hash is computed in two steps so that recipes can be derived in
//! parallel and cached one by one:
//!
//! - the *local* hash covers what the recipe itself says: its name and
//!   version, the architecture, the exported environment, the task graph
//!   with every flag the sandbox honours, the expanded body of every shell
//!   function the tasks can reach, the identities of its sources, the
//!   runtime dependency names and a forced-rebuild token;
//! - the *derivation* hash covers the local hash and, sorted, the name and
//!   derivation hash of every build dependency (and of the base).
//!
//! Values are hashed expanded, as the sandbox will see them: two recipes
//! that expand to the same scripts and environment are the same build,
//! however their variables are arranged. Both encodings are written down
//! in `crates/derive/DERIVATION.md`; tests pin a few hashes so that an
//! accidental change of the format fails.

use std::fmt;

use grove_eval::Value;

use crate::sources::Source;

/// The first line of every local encoding; a change of the format changes it.
pub const FORMAT: &str = "grove-derivation-1";

/// A derivation's (or a local part's) blake3 hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct DrvHash(pub [u8; 32]);

impl DrvHash {
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// The first 16 hex digits, for ids people read.
    pub fn short(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex()[..16].to_string()
    }

    pub fn from_hex(text: &str) -> Option<DrvHash> {
        blake3::Hash::from_hex(text).ok().map(|h| DrvHash(*h.as_bytes()))
    }
}

impl fmt::Display for DrvHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for DrvHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One task: its name, the tasks of the same recipe it runs after, and the
/// flags the sandbox honours (`dirs`, `cleandirs`, ...), expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub name: Value,
    pub after: Vec<Value>,
    /// By name, one of [`TASK_FLAGS`].
    pub flags: Vec<(&'static str, Value)>,
}

/// The flags of a task that change what the sandbox does.
pub const TASK_FLAGS: &[&str] = &["cleandirs", "dirs", "network", "noexec", "umask"];

/// What a recipe alone says about its build: the local part of a
/// derivation. Every list is in canonical order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    pub name: String,
    pub version: String,
    pub arch: String,
    /// Exported variables, by name (the store's values, shared).
    pub env: Vec<(Value, Value)>,
    /// Tasks in the order they were declared.
    pub tasks: Vec<Task>,
    /// Every shell function a task can reach (the tasks' own bodies
    /// included), by name, expanded (the store's values, shared).
    pub functions: Vec<(Value, Value)>,
    pub sources: Vec<Source>,
    /// Runtime dependency names (`RDEPENDS`), sorted; they matter to the
    /// artifact's metadata, not to the build, so only names are kept.
    pub runtime: Vec<String>,
    /// `FORCE_REBUILD[pn]`: changing it rebuilds the recipe once.
    pub force: Option<String>,
}

impl Local {
    /// The canonical encoding: one field per line, a keyword followed by
    /// length-prefixed values (`<len>:<bytes>`), so no value can be taken
    /// for another whatever bytes it holds.
    pub fn encode(&self) -> Vec<u8> {
        // Room for the function bodies, which are most of it, and the
        // rest, so the buffer is not grown and copied line after line.
        let bodies: usize = self.functions.iter().map(|(n, b)| n.len() + b.len() + 32).sum();
        let mut e = Encoder { out: Vec::with_capacity(bodies + 1024) };
        e.line(FORMAT, &[]);
        e.line("name", &[&self.name]);
        e.line("version", &[&self.version]);
        e.line("arch", &[&self.arch]);
        for (k, v) in &self.env {
            e.line("env", &[k, v]);
        }
        for t in &self.tasks {
            e.line("task", &[&t.name]);
            for a in &t.after {
                e.line("after", &[a]);
            }
            for (k, v) in &t.flags {
                e.line("flag", &[k, v]);
            }
        }
        for (name, body) in &self.functions {
            e.line("function", &[name, body]);
        }
        for s in &self.sources {
            let mut fields: Vec<&str> = vec![s.kind.as_str(), &s.name, &s.identity];
            for (k, v) in &s.params {
                fields.push(k);
                fields.push(v);
            }
            e.line("source", &fields);
        }
        for r in &self.runtime {
            e.line("runtime", &[r]);
        }
        if let Some(f) = &self.force {
            e.line("force", &[f]);
        }
        e.out
    }

    pub fn hash(&self) -> DrvHash {
        Local::hash_encoding(&self.encode())
    }

    /// The hash of an encoding [`Local::encode`] made (for a caller that
    /// reads the encoding itself too).
    pub fn hash_encoding(encoding: &[u8]) -> DrvHash {
        static HASHER: std::sync::OnceLock<blake3::Hasher> = std::sync::OnceLock::new();
        let mut h = HASHER.get_or_init(|| blake3::Hasher::new_derive_key("grove 2026 derivation local part")).clone();
        h.update(encoding);
        DrvHash(*h.finalize().as_bytes())
    }
}

/// Why one derivation needs another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The base the build runs on (`BUILD_BASE`).
    Base,
    /// A build dependency (`DEPENDS`): its artifacts are in the sysroot.
    Build,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Base => "base",
            Role::Build => "build",
        }
    }
}

/// A dependency as it enters the hash: role, recipe name, derivation hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input<'a> {
    pub role: Role,
    pub name: &'a str,
    pub hash: DrvHash,
}

/// The derivation hash: the local hash, then the inputs in sorted order.
pub fn derivation_hash(local: &DrvHash, inputs: &[Input<'_>]) -> DrvHash {
    static HASHER: std::sync::OnceLock<blake3::Hasher> = std::sync::OnceLock::new();
    let mut sorted: Vec<&Input> = inputs.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut e = Encoder { out: Vec::with_capacity(48 + 64 * sorted.len()) };
    e.key("local");
    e.raw(&local.0);
    e.end();
    for i in sorted {
        e.key("input");
        e.value(i.role.as_str());
        e.value(i.name);
        e.raw(&i.hash.0);
        e.end();
    }
    let mut h = HASHER.get_or_init(|| blake3::Hasher::new_derive_key("grove 2026 derivation")).clone();
    h.update(&e.out);
    DrvHash(*h.finalize().as_bytes())
}

/// Writes the line-per-field, length-prefixed encoding.
#[derive(Default)]
struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    fn line(&mut self, key: &str, values: &[&str]) {
        self.key(key);
        for v in values {
            self.value(v);
        }
        self.end();
    }

    fn key(&mut self, key: &str) {
        self.out.extend_from_slice(key.as_bytes());
    }

    /// ` <len>:<bytes>`: the head is made on the stack and copied once
    /// (a derivation has a hundred values, most of them short).
    fn value(&mut self, v: &str) {
        let mut head = [0u8; 22];
        let mut at = head.len() - 1;
        head[at] = b':';
        let mut n = v.len();
        loop {
            at -= 1;
            head[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        at -= 1;
        head[at] = b' ';
        self.out.reserve(head.len() - at + v.len());
        self.out.extend_from_slice(&head[at..]);
        self.out.extend_from_slice(v.as_bytes());
    }

    /// A hash as a value: ` 32:` and its bytes.
    fn raw(&mut self, bytes: &[u8; 32]) {
        self.out.extend_from_slice(b" 32:");
        self.out.extend_from_slice(bytes);
    }

    fn end(&mut self) {
        self.out.push(b'\n');
    }
}

/// The id people read: `name-version-flavor-arch-<16 hex digits>`.
pub fn short_id(name: &str, version: &str, flavor: &str, arch: &str, hash: &DrvHash) -> String {
    // Joined, not formatted (`format!` pads each part through
    // `Formatter`): `grove eval` writes one for each of thousands of
    // derivations.
    let hex = blake3::Hash::from_bytes(hash.0).to_hex();
    [name, "-", version, "-", flavor, "-", arch, "-", &hex[..16]].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::SourceKind;

    fn small() -> Local {
        Local {
            name: "hello".into(),
            version: "2.10".into(),
            arch: "x86_64".into(),
            env: vec![("CFLAGS".into(), "-O2".into())],
            tasks: vec![Task {
                name: "do_compile".into(),
                after: vec!["do_configure".into()],
                flags: vec![("dirs", "/build/hello-2.10".into())],
            }],
            functions: vec![("do_compile".into(), "\n    make\n".into())],
            sources: vec![Source {
                kind: SourceKind::File,
                name: "fix.patch".into(),
                identity: "blake3:00".into(),
                params: vec![("striplevel".into(), "1".into())],
            }],
            runtime: vec!["libc".into()],
            force: None,
        }
    }

    #[test]
    fn the_encoding_is_written_down() {
        let text = String::from_utf8(small().encode()).unwrap();
        assert_eq!(
            text,
            "grove-derivation-1\nname 5:hello\nversion 4:2.10\narch 6:x86_64\nenv 6:CFLAGS 3:-O2\n\
             task 10:do_compile\nafter 12:do_configure\nflag 4:dirs 17:/build/hello-2.10\n\
             function 10:do_compile 10:\n    make\n\n\
             source 4:file 9:fix.patch 9:blake3:00 10:striplevel 1:1\nruntime 4:libc\n"
        );
    }

    /// Pinned: if one of these changes, every derivation hash changes and
    /// every cache misses. Change them only with the format's version.
    #[test]
    fn hashes_are_pinned() {
        let local = small().hash();
        assert_eq!(local.to_hex(), "635ee8fbf3262bc73c9b88eb2ec1377adc66764a928689eed54000a20aba0e65");
        let dep = Input { role: Role::Build, name: "zlib", hash: DrvHash([7; 32]) };
        assert_eq!(derivation_hash(&local, &[dep]).to_hex(), "7796e1c1226a6955f7a4092cbe38d1336acbf69719b1c92e13f9d8102ad2e43a");
        assert_eq!(derivation_hash(&local, &[]).to_hex(), "f7cf2bb3851ec1673ade89207fb9729230dd9cb869f7baf6d1270b97d8c1e8d9");
    }

    #[test]
    fn inputs_hash_in_sorted_order() {
        let local = small().hash();
        let a = Input { role: Role::Build, name: "a", hash: DrvHash([1; 32]) };
        let b = Input { role: Role::Build, name: "b", hash: DrvHash([2; 32]) };
        assert_eq!(derivation_hash(&local, &[a, b]), derivation_hash(&local, &[b, a]));
        assert_ne!(derivation_hash(&local, &[a]), derivation_hash(&local, &[a, b]));
    }

    #[test]
    fn values_cannot_run_into_each_other() {
        let mut one = small();
        one.env = vec![("A".into(), "B C".into())];
        let mut two = small();
        two.env = vec![("A B".into(), "C".into())];
        assert_ne!(one.hash(), two.hash());
    }

    #[test]
    fn hex_round_trips() {
        let h = small().hash();
        assert_eq!(DrvHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(DrvHash::from_hex("zz"), None);
        assert_eq!(h.short(), &h.to_hex()[..16]);
    }
}
