//! Validated ids: 32-byte blake3 hashes, one newtype per kind of thing they
//! name, shown and parsed as 64 lowercase hex digits.

use std::fmt;

use crate::error::StoreError;

/// A blake3 hash: the raw 32 bytes every id wraps.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// Hashes `bytes` in `domain`: the hash of `domain ‖ bytes`, so that a
    /// file and a tree with the same bytes never share a name.
    pub fn of(domain: &[u8], bytes: &[u8]) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(domain);
        h.update(bytes);
        Hash(*h.finalize().as_bytes())
    }

    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }

    /// Parses exactly 64 lowercase hex digits.
    pub fn from_hex(text: &str) -> Option<Hash> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(Hash(out))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub Hash);

        impl $name {
            /// What this id names, for messages.
            pub const WHAT: &'static str = $what;

            pub fn parse(text: &str) -> Result<$name, StoreError> {
                Hash::from_hex(text)
                    .map($name)
                    .ok_or_else(|| StoreError::BadId { what: $what, text: text.to_string() })
            }

            pub fn to_hex(&self) -> String {
                self.0.to_hex()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<$name, StoreError> {
                $name::parse(s)
            }
        }
    };
}

id_type!(
    /// A file object: a regular file's content and executable bit, or a
    /// symlink's target (FORMAT.md, "Objects").
    ObjectId,
    "object"
);
id_type!(
    /// A directory tree: the hash of its canonical manifest.
    TreeId,
    "tree"
);
id_type!(
    /// A commit: the hash of its canonical record.
    CommitId,
    "commit"
);
id_type!(
    /// A derivation, as the derive stage names it. Opaque to the store: any
    /// 32-byte blake3 hash.
    DrvId,
    "derivation"
);
id_type!(
    /// A build log: the hash of its uncompressed text.
    LogId,
    "log"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_bad_text() {
        let h = Hash::of(b"x", b"y");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert!(TreeId::parse(&h.to_hex().to_uppercase()).is_err());
        assert!(TreeId::parse("abc").is_err());
        assert!(TreeId::parse(&"g".repeat(64)).is_err());
        assert_eq!(TreeId::parse(&h.to_hex()).unwrap().0, h);
    }
}
