//! Watching what an evaluation touches: the tables of a data store, keyed
//! by variable name, report every name looked up to a [`Watch`] while one
//! is set. A matrix evaluates a recipe's statements once, watching the
//! variables that differ between its configurations; if none was touched,
//! the statements did the same on every configuration, and their result
//! is shared (see `Session::evaluate_recipe_on_each`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::{FxBuildHasher, FxHashSet};

use crate::datastore::Value;

/// Variables to watch, by the part of their names before any `:` (so
/// `CFLAGS` covers `CFLAGS:debug` and `CFLAGS:append`), and whether one
/// was touched.
#[derive(Debug, Default)]
pub struct Watch {
    names: FxHashSet<Box<str>>,
    touched: AtomicBool,
}

impl Watch {
    pub fn new(names: impl IntoIterator<Item = Box<str>>) -> Watch {
        Watch { names: names.into_iter().collect(), touched: AtomicBool::new(false) }
    }

    /// Whether a watched variable was looked up since the last reset.
    pub fn touched(&self) -> bool {
        self.touched.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.touched.store(false, Ordering::Relaxed);
    }

    fn saw(&self, name: &str) {
        if !self.names.is_empty() && self.names.contains(base_name(name)) {
            self.touched.store(true, Ordering::Relaxed);
        }
    }

    fn saw_all(&self) {
        if !self.names.is_empty() {
            self.touched.store(true, Ordering::Relaxed);
        }
    }
}

/// The part of a variable name that all its override and `:append` forms share.
pub(crate) fn base_name(name: &str) -> &str {
    // Every lookup of a watched store asks this: a byte search, not a
    // `split` iterator.
    match grove_syntax::find_byte(b':', name.as_bytes()) {
        Some(i) => &name[..i],
        None => name,
    }
}

/// A data store's table keyed by variable name. Every way in goes through
/// a name (or walks the whole table), and is reported to the watch, if any.
///
/// It also keeps a one-word filter of the names ever given to it: a name
/// whose bit is clear is not there, and is answered without hashing. Most
/// names asked of a store's override table are not in it.
#[derive(Debug)]
pub(crate) struct Table<V> {
    map: hashbrown::HashMap<Value, V, FxBuildHasher>,
    watch: Option<Arc<Watch>>,
    seen: u64,
}

/// A name looked up in a [`Table`]: hashed as the `str` it is (as the
/// table's keys are), compared without a call. Names are short, and most
/// lookups find theirs: a `memcmp` call for each cost more than the
/// comparison.
#[derive(Clone, Copy)]
pub(crate) struct Key<'a>(pub &'a str);

impl From<&Key<'_>> for Value {
    fn from(key: &Key<'_>) -> Value {
        Value::from(key.0)
    }
}

impl std::hash::Hash for Key<'_> {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl hashbrown::Equivalent<Value> for Key<'_> {
    #[inline]
    fn equivalent(&self, key: &Value) -> bool {
        same(self.0.as_bytes(), key.as_bytes())
    }
}

/// `a == b`, for short byte strings by whole words: two loads that cover
/// the string from each end (overlapping in the middle).
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// A name's bit in [`Table`]'s filter: from its length and its first and
/// last bytes, which separate the few names of an override table well.
#[inline]
fn bit(name: &str) -> u64 {
    let b = name.as_bytes();
    let (first, last) = (b.first().copied().unwrap_or(0), b.last().copied().unwrap_or(0));
    1 << ((b.len() + usize::from(first) * 7 + usize::from(last) * 13) % 64)
}

impl<V> Default for Table<V> {
    fn default() -> Table<V> {
        Table { map: hashbrown::HashMap::default(), watch: None, seen: 0 }
    }
}

impl<V: Clone> Clone for Table<V> {
    /// A copy is not watched.
    fn clone(&self) -> Table<V> {
        Table { map: self.map.clone(), watch: None, seen: self.seen }
    }
}

pub(crate) type EntryRef<'a, 'b, V> = hashbrown::hash_map::EntryRef<'a, 'b, Value, Key<'b>, V, FxBuildHasher>;

impl<V> Table<V> {
    pub fn with_capacity(n: usize) -> Table<V> {
        Table { map: hashbrown::HashMap::with_capacity_and_hasher(n, FxBuildHasher), watch: None, seen: 0 }
    }

    /// A table without the filter, for one that most names asked of are
    /// in (a store's variables): its filter starts full, and stays so
    /// without a bit computed for each name.
    pub fn unfiltered(n: usize) -> Table<V> {
        Table { seen: u64::MAX, ..Table::with_capacity(n) }
    }

    /// `name` is in the table from now on.
    #[inline]
    fn note(&mut self, name: &str) {
        if self.seen != u64::MAX {
            self.seen |= bit(name);
        }
    }

    /// Whether `name` may be in the table (a clear bit: it is not).
    #[inline]
    fn may_hold(&self, name: &str) -> bool {
        self.seen & bit(name) != 0
    }

    pub fn set_watch(&mut self, watch: Option<Arc<Watch>>) {
        self.watch = watch;
    }

    #[inline]
    fn saw(&self, name: &str) {
        if let Some(w) = &self.watch {
            w.saw(name);
        }
    }

    #[inline]
    fn saw_all(&self) {
        if let Some(w) = &self.watch {
            w.saw_all();
        }
    }

    #[inline]
    pub fn get(&self, name: &str) -> Option<&V> {
        self.saw(name);
        self.map.get(&Key(name))
    }

    /// [`Table::get`] for a table most names asked of are not in (a
    /// store's override table): the filter answers those.
    #[inline]
    pub fn get_sparse(&self, name: &str) -> Option<&V> {
        self.saw(name);
        if !self.may_hold(name) {
            return None;
        }
        self.map.get(&Key(name))
    }

    #[inline]
    pub fn get_key_value(&self, name: &str) -> Option<(&Value, &V)> {
        self.saw(name);
        self.map.get_key_value(&Key(name))
    }

    #[inline]
    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.saw(name);
        self.map.get_mut(&Key(name))
    }

    /// The entry for `name`, which may be filled in: its bit is set.
    #[inline]
    pub fn entry_ref<'a, 'b>(&'a mut self, name: &'b Key<'b>) -> EntryRef<'a, 'b, V> {
        self.saw(name.0);
        self.note(name.0);
        self.map.entry_ref(name)
    }

    #[inline]
    pub fn insert(&mut self, name: Value, value: V) -> Option<V> {
        self.saw(&name);
        self.note(&name);
        self.map.insert(name, value)
    }

    #[inline]
    pub fn remove(&mut self, name: &str) -> Option<V> {
        self.saw(name);
        self.map.remove(&Key(name))
    }

    /// Every entry, in no particular order (a walk of the whole table
    /// touches every name).
    pub fn iter(&self) -> hashbrown::hash_map::Iter<'_, Value, V> {
        self.saw_all();
        self.map.iter()
    }

    pub fn keys(&self) -> hashbrown::hash_map::Keys<'_, Value, V> {
        self.saw_all();
        self.map.keys()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn capacity(&self) -> usize {
        self.map.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_bytes_do() {
        let names: Vec<String> = (0..40).map(|n| "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..n].to_string()).collect();
        for a in &names {
            for b in &names {
                assert_eq!(same(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
                // One byte changed anywhere.
                for i in 0..b.len() {
                    let mut c = b.clone().into_bytes();
                    c[i] ^= 1;
                    assert_eq!(same(a.as_bytes(), &c), a.as_bytes() == &c[..]);
                }
            }
        }
    }

    #[test]
    fn the_filter_never_hides_a_name_the_table_holds() {
        let mut table: Table<u32> = Table::default();
        let names: Vec<String> = (0..200).map(|i| format!("V{i}:{}", "x".repeat(i % 17))).collect();
        for (i, n) in names.iter().enumerate() {
            if i % 2 == 0 {
                table.insert(Value::from(n.as_str()), i as u32);
            } else {
                *table.entry_ref(&Key(n)).or_default() = i as u32;
            }
        }
        let copy = table.clone();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(table.get_sparse(n), Some(&(i as u32)), "{n}");
            assert_eq!(copy.get_sparse(n), Some(&(i as u32)), "{n}");
        }
        // Names never given: not found, whether their bit is set or not.
        let absent: Vec<String> = (0..200).map(|i| format!("W{i}")).collect();
        assert!(absent.iter().all(|n| table.get_sparse(n).is_none()));
        let empty: Table<u32> = Table::default();
        assert!(names.iter().all(|n| empty.get_sparse(n).is_none()));
        // An unfiltered table holds what it is given all the same.
        let mut all: Table<u32> = Table::unfiltered(4);
        all.insert(Value::from("DEPENDS"), 1);
        *all.entry_ref(&Key("A:b")).or_default() = 2;
        assert_eq!((all.get_sparse("DEPENDS"), all.get_sparse("A:b"), all.get_sparse("W1")), (Some(&1), Some(&2), None));
        // The filter does rule names out.
        let mut few: Table<u32> = Table::default();
        few.insert(Value::from("DEPENDS"), 1);
        assert!(absent.iter().any(|n| !few.may_hold(n)));
    }
}
