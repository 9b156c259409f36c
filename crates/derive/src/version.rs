//! Version comparison: `[epoch:]upstream[-revision]` with the rules of dpkg
//! (which rpm's `rpmvercmp` shares in spirit): compare the epochs as
//! numbers, then the upstream versions, then the revisions, each one by
//! alternating runs of non-digits (compared character by character, where
//! `~` sorts before everything, even the end of the string, and letters sort
//! before other characters) and digits (compared as numbers).
//!
//! `1.0~rc1 < 1.0 < 1.0a < 1.0+git < 1.0.1 < 1:0.1`.

use std::cmp::Ordering;
use std::fmt;

/// A parsed version. Comparison follows dpkg; equality is by comparison
/// (`1.0` and `1.00` are equal, as in dpkg).
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    epoch: u64,
    /// Byte ranges of the upstream version and revision within `text`.
    upstream: (usize, usize),
    revision: (usize, usize),
}

impl Version {
    /// Reads `[epoch:]upstream[-revision]`. The epoch is the digits before
    /// the first `:` (a non-numeric prefix makes the whole text the upstream
    /// version); the revision is what follows the last `-`. Never fails:
    /// recipe versions are whatever upstream chose.
    pub fn parse(text: &str) -> Version {
        let (epoch, rest_start) = match text.split_once(':') {
            Some((e, _)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (e.parse().unwrap_or(u64::MAX), e.len() + 1)
            }
            _ => (0, 0),
        };
        let rest = &text[rest_start..];
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => ((rest_start, rest_start + i), (rest_start + i + 1, text.len())),
            None => ((rest_start, text.len()), (text.len(), text.len())),
        };
        Version { text: text.to_string(), epoch, upstream, revision }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn upstream(&self) -> &str {
        &self.text[self.upstream.0..self.upstream.1]
    }

    pub fn revision(&self) -> &str {
        &self.text[self.revision.0..self.revision.1]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(self.upstream(), other.upstream()))
            .then_with(|| compare_part(self.revision(), other.revision()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Compares two version strings (see the module documentation).
pub fn compare(a: &str, b: &str) -> Ordering {
    Version::parse(a).cmp(&Version::parse(b))
}

/// dpkg's `order()`: `~` first, then the end of a run, then letters, then
/// everything else.
fn weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // A run of non-digits, character by character.
        while a.first().is_some_and(|c| !c.is_ascii_digit()) || b.first().is_some_and(|c| !c.is_ascii_digit()) {
            let (wa, wb) = (weight(a.first().copied()), weight(b.first().copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            a = &a[1.min(a.len())..];
            b = &b[1.min(b.len())..];
        }
        // A run of digits, as a number of any length.
        let (na, ra) = digits(a);
        let (nb, rb) = digits(b);
        let (na, nb) = (trim_zeros(na), trim_zeros(nb));
        let by_number = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
        if by_number != Ordering::Equal {
            return by_number;
        }
        a = ra;
        b = rb;
    }
    Ordering::Equal
}

fn digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lt(a: &str, b: &str) {
        assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
        assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
    }

    #[test]
    fn tilde_sorts_before_everything_even_the_end() {
        lt("1.0~rc1", "1.0");
        lt("1.0~~", "1.0~");
        lt("1.0~", "1.0");
        lt("1.0~rc1", "1.0~rc2");
        lt("2.0~beta", "2.0.0");
    }

    #[test]
    fn numbers_compare_as_numbers() {
        lt("1.9", "1.10");
        lt("2.9.9", "2.10");
        lt("1.2", "1.2.1");
        assert_eq!(compare("1.01", "1.1"), Ordering::Equal);
        assert_eq!(compare("007", "7"), Ordering::Equal);
        lt("1.99999999999999999999999", "1.100000000000000000000000");
    }

    #[test]
    fn letters_sort_before_other_characters() {
        lt("1.0", "1.0a");
        lt("1.0a", "1.0+git");
        lt("1.0a", "1.0b");
        lt("1.0+git", "1.0.1");
        lt("1.0Z", "1.0a");
    }

    #[test]
    fn epochs_and_revisions() {
        lt("9.9", "1:0.1");
        lt("1:1.0", "2:0.1");
        lt("1.0-1", "1.0-2");
        lt("1.0-2", "1.0-10");
        lt("1.0", "1.0-1");
        lt("1.0-1~bpo1", "1.0-1");
        let v = Version::parse("2:1.2-3-4");
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (2, "1.2-3", "4"));
        let v = Version::parse("a:1.0");
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (0, "a:1.0", ""));
    }

    #[test]
    fn sorting_a_list() {
        let mut list: Vec<Version> =
            ["1.0", "1.0~rc1", "0.9", "1:0.1", "1.0+git", "1.0.1", "1.0a", "1.0-1"].iter().map(|v| Version::parse(v)).collect();
        list.sort();
        let sorted: Vec<&str> = list.iter().map(Version::as_str).collect();
        assert_eq!(sorted, ["0.9", "1.0~rc1", "1.0", "1.0-1", "1.0a", "1.0+git", "1.0.1", "1:0.1"]);
    }

    proptest! {
        /// A total order: antisymmetric and transitive on any text.
        #[test]
        fn compare_is_a_total_order(a in "[0-9a-z.~+:-]{0,8}", b in "[0-9a-z.~+:-]{0,8}", c in "[0-9a-z.~+:-]{0,8}") {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Ordering::Greater && compare(&b, &c) != Ordering::Greater {
                prop_assert_ne!(compare(&a, &c), Ordering::Greater);
            }
        }
    }
}

/// The same comparisons as `dpkg --compare-versions`, on generated versions.
#[cfg(test)]
mod dpkg {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    fn dpkg_less(a: &str, b: &str) -> bool {
        let status = std::process::Command::new("dpkg")
            .args(["--compare-versions", a, "lt", b])
            .status()
            .expect("dpkg runs (grove's tests need Debian's dpkg as the reference for version order)");
        status.success()
    }

    #[test]
    fn agrees_with_dpkg() {
        // dpkg's syntax: an upstream version starts with a digit; the
        // characters are alphanumerics and . + ~ (and - with a revision).
        let part = "[0-9][0-9a-z.+~]{0,6}";
        let version = (proptest::option::of(0u8..3), part, proptest::option::of("[0-9a-z.+~]{1,4}")).prop_map(|(e, u, r)| {
            let mut v = e.map(|e| format!("{e}:")).unwrap_or_default();
            v.push_str(&u);
            if let Some(r) = r {
                v.push('-');
                v.push_str(&r);
            }
            v
        });
        // Pairs that share a prefix differ where it matters: `~`, letters
        // against symbols, the end of a run, leading zeros.
        let tail = "[0-9a.+~Z]{0,3}";
        let pair = (version, tail, tail).prop_map(|(v, x, y)| (format!("{v}{x}"), format!("{v}{y}")));
        let mut runner = TestRunner::new(Config { cases: 400, ..Config::default() });
        runner
            .run(&pair, |(a, b)| {
                prop_assert_eq!(compare(&a, &b) == Ordering::Less, dpkg_less(&a, &b), "{} < {}", a, b);
                Ok(())
            })
            .unwrap();
    }
}
