//! The data store: every variable of one recipe, with its flags and its
//! pending override-style operations.
//!
//! This module holds the *writes* (BitBake's `setVar`, `setVarFlag`,
//! `delVar`, `delVarFlag`, `renameVar`); reading with overrides and
//! expansion lives in [`crate::lookup`]. The semantics are BitBake's
//! `data_smart`, ported operation by operation, so that a recipe means the
//! same here as there; where a detail is odd, the comment says BitBake does
//! it too.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

pub use grove_syntax::{Keyword, split_keyword};
use grove_syntax::{KeywordAt, Span};

use crate::error::{EvalError, ExpandError, ExpandErrorKind};
use crate::history::{Event, History};
use crate::lookup::{Cache, Resolved, has_ref};
use crate::watch::{EntryRef, Key, Table, same};

/// A variable's value, flag value or name. Cheap to clone.
pub type Value = Arc<str>;

thread_local! {
    /// Values every recipe stores many times over (flag names, `"1"`),
    /// shared instead of allocated again for each store. Per thread, so
    /// that counting references never contends between threads.
    static COMMON: std::cell::RefCell<rustc_hash::FxHashSet<Value>> = std::cell::RefCell::default();
}

thread_local! {
    /// The flag names and the value grove writes itself, in [`FIXED`]'s
    /// order: found by a `match`, without hashing.
    static FIXED_VALUES: [Value; 6] = FIXED.map(Value::from);
}

const FIXED: [&str; 6] = ["1", "task", "deps", "func", "export", "fakeroot"];

/// A shared copy of a short, common value (a flag name, `"1"`).
pub fn common(s: &str) -> Value {
    if let Some(i) = FIXED.iter().position(|f| *f == s) {
        return FIXED_VALUES.with(|v| v[i].clone());
    }
    COMMON.with_borrow_mut(|set| {
        if let Some(v) = set.get(s) {
            return v.clone();
        }
        let v = Value::from(s);
        // A bound keeps hostile input (a million distinct flag names) from
        // growing the table without limit; past it, values are just copied.
        if set.len() < 4096 {
            set.insert(v.clone());
        }
        v
    })
}

/// A variable's name as a caller holds it: a `&str` is copied the first
/// time the store sees the name; a [`Value`] (the syntax tree's names are
/// values) is shared instead.
pub trait Name: Copy {
    fn as_str(&self) -> &str;
    fn to_value(self) -> Value;
    /// A copy to keep as a flag's name: a `&str` is looked up among the
    /// [`common`] values; a [`Value`] is shared as it is.
    fn to_common(self) -> Value {
        common(self.as_str())
    }
    /// [`split_keyword`] of the name (a parsed name has the answer).
    fn keyword(&self) -> Option<(&str, Keyword, Option<&str>)> {
        split_keyword(self.as_str())
    }
}

impl Name for &str {
    fn as_str(&self) -> &str {
        self
    }
    fn to_value(self) -> Value {
        Value::from(self)
    }
}

impl Name for &String {
    fn as_str(&self) -> &str {
        self
    }
    fn to_value(self) -> Value {
        Value::from(self.as_str())
    }
}

impl Name for &Value {
    fn as_str(&self) -> &str {
        self
    }
    fn to_value(self) -> Value {
        self.clone()
    }
    fn to_common(self) -> Value {
        self.clone()
    }
}

/// A name from the syntax tree, which says where its keyword is.
#[derive(Clone, Copy)]
pub struct Parsed<'a> {
    pub text: &'a Value,
    pub keyword: Option<KeywordAt>,
}

impl Name for Parsed<'_> {
    fn as_str(&self) -> &str {
        self.text
    }
    fn to_value(self) -> Value {
        self.text.clone()
    }
    fn to_common(self) -> Value {
        self.text.clone()
    }
    fn keyword(&self) -> Option<(&str, Keyword, Option<&str>)> {
        // The parser works the split out from the same text; a tree built
        // or changed elsewhere must do so too.
        debug_assert_eq!(self.keyword, KeywordAt::of(self.text), "{}", self.text);
        self.keyword.map(|k| k.apply(self.text))
    }
}

/// A pending `:append`, `:prepend` or `:remove`, with the overrides that
/// must all be active for it to apply (`A:append:foo:bar`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub keyword: Keyword,
    pub value: Value,
    pub overrides: Option<Value>,
    /// The statement, for diagnostics.
    pub at: Option<Span>,
}

/// One variable.
#[derive(Debug, Default)]
pub struct Var {
    /// `_content`: the value set with `=` and friends.
    pub(crate) content: Option<Value>,
    /// `_defaultval`: the weak default of `??=`.
    pub(crate) weak_default: Option<Value>,
    /// `:append`s, `:prepend`s and `:remove`s in the order they were set
    /// (one list: most variables have none, and this keeps `Var` small).
    pub(crate) pending: Vec<Pending>,
    /// Flags in the order they were first set.
    pub(crate) flags: Flags,
    /// `_defaultval_flag_NAME`: weak defaults of flags.
    pub(crate) weak_flags: Vec<(Value, Value)>,
    /// Where the value was last set, for diagnostics.
    pub(crate) origin: Option<Span>,
    /// The variable read (overrides applied, expanded), kept beside it so
    /// that a read finds it with the one lookup that finds the variable.
    /// Valid while `resolved_at` is the store's read epoch plus one (0:
    /// never); a write to the store starts a new epoch.
    pub(crate) resolved: RefCell<Option<Result<Resolved, ExpandError>>>,
    pub(crate) resolved_at: Cell<u64>,
}

/// A variable's flags, shared by the copies of a store until one of them
/// writes (every recipe's store starts as a copy of its configuration's:
/// a copy of a list of flags was an allocation and two counts for each).
#[derive(Debug, Default, Clone)]
pub(crate) struct Flags(Option<Arc<Vec<(Value, Value)>>>);

impl Flags {
    /// The list to change, this store's own.
    fn make_mut(&mut self) -> &mut Vec<(Value, Value)> {
        // Room for a task's flags at once (`task`, `deps`, `func`, `dirs`,
        // ...): grown from four, a list was copied for every task.
        Arc::make_mut(self.0.get_or_insert_with(|| Arc::new(Vec::with_capacity(8))))
    }

    /// Keeps the flags `keep` says to (no list is left behind empty).
    fn retain(&mut self, keep: impl FnMut(&(Value, Value)) -> bool) {
        if self.0.is_some() {
            self.make_mut().retain(keep);
            if self.is_empty() {
                self.0 = None;
            }
        }
    }
}

impl std::ops::Deref for Flags {
    type Target = [(Value, Value)];
    fn deref(&self) -> &[(Value, Value)] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl PartialEq for Flags {
    fn eq(&self, other: &Flags) -> bool {
        **self == **other
    }
}

impl From<Vec<(Value, Value)>> for Flags {
    fn from(list: Vec<(Value, Value)>) -> Flags {
        Flags((!list.is_empty()).then(|| Arc::new(list)))
    }
}

impl Clone for Var {
    /// A copy without what was read from it (a copy starts its own reads).
    /// Always inlined: a store copies a hundred of them, and a call returned
    /// each (208 bytes) to be moved into the new table by `memcpy` (-1.1%).
    #[inline(always)]
    fn clone(&self) -> Var {
        Var {
            content: self.content.clone(),
            weak_default: self.weak_default.clone(),
            pending: self.pending.clone(),
            flags: self.flags.clone(),
            weak_flags: self.weak_flags.clone(),
            origin: self.origin,
            resolved: RefCell::default(),
            resolved_at: Cell::new(0),
        }
    }
}

impl Var {
    #[inline]
    pub fn flag(&self, name: &str) -> Option<&Value> {
        self.flags.iter().find(|(n, _)| same(n.as_bytes(), name.as_bytes())).map(|(_, v)| v)
    }

    #[inline]
    pub(crate) fn weak_flag(&self, name: &str) -> Option<&Value> {
        self.weak_flags.iter().find(|(n, _)| same(n.as_bytes(), name.as_bytes())).map(|(_, v)| v)
    }

    /// A flag as written, or its weak default (`getVarFlag(var, flag, False)`).
    #[inline]
    pub fn flag_unexpanded(&self, name: &str) -> Option<&Value> {
        self.flag(name).or_else(|| self.weak_flag(name))
    }

    /// The statements that gave the value its text, for diagnostics: the
    /// one that last set it, then its `:append`s and `:prepend`s, the
    /// last first.
    pub fn statements(&self) -> impl Iterator<Item = Span> + '_ {
        let added = self.pending.iter().rev().filter(|p| p.keyword != Keyword::Remove).filter_map(|p| p.at);
        self.origin.into_iter().chain(added)
    }

    /// Names of the flags a user can see, in order.
    pub fn flag_names(&self) -> impl Iterator<Item = &Value> {
        let weak_only = self.weak_flags.iter().map(|(n, _)| n).filter(|n| self.flag(n).is_none());
        self.flags.iter().map(|(n, _)| n).chain(weak_only)
    }
}

/// `__override_regexp__.match`: an override name starts with `[a-z0-9]`.
fn is_override_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The pairs `(shorter name, override)` under which `var` overrides a
/// shorter variable: `A:b:c` overrides `A:b` by `c` and `A` by `b:c`.
/// (BitBake's `_setvar_update_overrides`, including its treatment of a name
/// without `:`, which it calls with the name of an `:append` target.)
fn override_pairs(var: &str) -> impl Iterator<Item = (&str, &str)> {
    // Names are short: a byte loop, not the searcher `rfind(char)` sets up.
    let colon = |s: &str| s.bytes().rposition(|b| b == b':');
    let mut next = match colon(var) {
        Some(i) => Some((&var[..i], &var[i + 1..])),
        // Python's `var[:-1]`, as BitBake does with rfind() == -1; a pair
        // only if `var` is an override name (checked first: most are not).
        None if is_override_name(var) => Some((var.char_indices().last().map_or("", |(i, _)| &var[..i]), var)),
        None => None,
    };
    std::iter::from_fn(move || {
        let (short, over) = next.take()?;
        if over.is_empty() || !is_override_name(over) {
            return None;
        }
        next = match colon(short) {
            Some(i) if i > 0 => Some((&var[..i], &var[i + 1..])),
            _ => None,
        };
        Some((short, over))
    })
}

/// Every variable of one recipe (or class, or file evaluated alone).
#[derive(Debug, Default)]
pub struct DataStore {
    pub(crate) vars: Table<Var>,
    /// For a variable `A`, every `(A:x..., override)` that may replace it.
    pub(crate) overridedata: Table<Vec<(Value, Value)>>,
    /// The tasks in the order `addtask` declared them (BitBake's `__BBTASKS`).
    pub(crate) tasks: Vec<Value>,
    /// Every name holding `${...}` that `vars` was given (some may be gone
    /// since), in the order they came: finalizing expands these names, and
    /// a store holds a few among hundreds.
    pub(crate) ref_names: Vec<Value>,
    pub(crate) cache: RefCell<Cache>,
    pub(crate) history: Option<History>,
    /// Bytes of values (and history) stored so far.
    pub(crate) stored_bytes: usize,
    /// Bytes produced by expansion so far (see `lookup::MAX_EXPANDED_BYTES`).
    pub(crate) expanded_bytes: Cell<usize>,
}

impl Clone for DataStore {
    fn clone(&self) -> DataStore {
        DataStore {
            vars: self.vars.clone(),
            overridedata: self.overridedata.clone(),
            tasks: self.tasks.clone(),
            ref_names: self.ref_names.clone(),
            cache: RefCell::default(),
            history: self.history.clone(),
            stored_bytes: self.stored_bytes,
            expanded_bytes: Cell::new(0),
        }
    }
}

/// A new allocation holding the same text: a copy no other thread
/// counts references to.
fn fresh(v: &Value) -> Value {
    Value::from(&**v)
}

impl Var {
    /// A copy that shares no value with `self` (see [`DataStore::detached`]).
    fn detached(&self) -> Var {
        let pairs = |l: &[(Value, Value)]| l.iter().map(|(n, v)| (fresh(n), fresh(v))).collect();
        Var {
            content: self.content.as_ref().map(fresh),
            weak_default: self.weak_default.as_ref().map(fresh),
            pending: self
                .pending
                .iter()
                .map(|p| Pending { value: fresh(&p.value), overrides: p.overrides.as_ref().map(fresh), ..*p })
                .collect(),
            flags: Flags::from(pairs(&self.flags)),
            weak_flags: pairs(&self.weak_flags),
            origin: self.origin,
            ..Var::default()
        }
    }
}

impl DataStore {
    /// A copy that shares no value with `self`: [`Clone`] shares every
    /// value and counts one more reference to each, and when threads clone
    /// one store thousands of times, they fight over those counts (every
    /// count is an atomic write to a cache line the other core holds).
    /// Each thread clones its own detached copy instead.
    pub fn detached(&self) -> DataStore {
        let mut vars = Table::unfiltered(self.vars.capacity());
        for (k, v) in self.vars.iter() {
            vars.insert(fresh(k), v.detached());
        }
        // Room for the override forms a recipe adds: every clone has it then.
        let mut overridedata = Table::with_capacity(self.overridedata.len() + 32);
        for (k, l) in self.overridedata.iter() {
            overridedata.insert(fresh(k), l.iter().map(|(n, o)| (fresh(n), fresh(o))).collect());
        }
        DataStore {
            vars,
            overridedata,
            tasks: self.tasks.iter().map(fresh).collect(),
            ref_names: self.ref_names.iter().map(fresh).collect(),
            cache: RefCell::default(),
            history: self.history.clone(),
            stored_bytes: self.stored_bytes,
            expanded_bytes: Cell::new(0),
        }
    }

    pub fn new() -> DataStore {
        // A recipe with its classes has a hundred and some variables: room
        // for them up front saves growing the table five times over.
        DataStore { vars: Table::unfiltered(192), ..DataStore::default() }
    }

    /// Reports every variable looked up from now on to `watch` (`None`:
    /// to nothing).
    pub fn watch(&mut self, watch: Option<Arc<crate::watch::Watch>>) {
        self.overridedata.set_watch(watch.clone());
        self.vars.set_watch(watch);
    }

    /// A store that records every operation, for `getvar --history`.
    pub fn with_history() -> DataStore {
        DataStore { history: Some(History::default()), ..DataStore::new() }
    }

    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    pub fn var(&self, name: &str) -> Option<&Var> {
        self.vars.get(name)
    }

    /// Names of all variables, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &Value> {
        self.vars.keys()
    }

    /// Every variable with its name, in no particular order: for a reader
    /// that looks at the flags of all of them (one walk, no lookup by name).
    pub fn vars(&self) -> impl Iterator<Item = (&Value, &Var)> {
        self.vars.iter()
    }

    /// The tasks declared with `addtask`, in order.
    pub fn tasks(&self) -> &[Value] {
        &self.tasks
    }

    /// The variables that may override `name`, with their overrides
    /// (`A:foo` by `foo`), in the order they were set.
    pub fn override_vars(&self, name: &str) -> &[(Value, Value)] {
        self.overridedata.get(name).map_or(&[], Vec::as_slice)
    }

    /// Where a variable was last set.
    pub fn origin(&self, name: &str) -> Option<Span> {
        self.vars.get(name).and_then(|v| v.origin)
    }

    /// The error of expanding `var` in this store, at the statement to
    /// fix: for a cycle, where the variable that closes it was set (a task
    /// that reads one of a class's looping variables is not where the loop
    /// is); else where the variable the error names, or `var`, was set.
    pub fn locate(&self, expand: ExpandError, var: &str) -> EvalError {
        let closes = match &expand.kind {
            ExpandErrorKind::Cycle { chain } => chain.last().map(String::as_str),
            _ => None,
        };
        let (shown, at) = [closes, Some(expand.var.as_str()), Some(var)]
            .into_iter()
            .flatten()
            .find_map(|v| Some((v.into(), self.origin(v)?)))
            .map_or((expand.var.as_str().into(), None), |(v, at)| (v, Some(at)));
        EvalError::Expand { expand, shown, file: at.map(|s| s.file), at: at.map(|s| s.source_span()) }
    }

    /// `name` is being written.
    fn touched(&mut self, name: &str) {
        self.cache.get_mut().touched(name);
    }

    /// Bytes of values stored so far, which evaluation bounds.
    pub fn stored_bytes(&self) -> usize {
        self.stored_bytes
    }

    fn entry(&mut self, name: impl Name) -> &mut Var {
        // One hash and one probe; the name is stored only when it is new.
        match self.vars.entry_ref(&Key(name.as_str())) {
            EntryRef::Occupied(e) => e.into_mut(),
            EntryRef::Vacant(e) => {
                let name = name.to_value();
                if has_ref(&name) {
                    self.ref_names.push(name.clone());
                }
                e.insert_with_key(name, Var::default())
            }
        }
    }

    fn record(&mut self, var: &str, flag: Option<&str>, op: impl FnOnce() -> String, detail: &str, at: Option<Span>) {
        if let Some(history) = &mut self.history {
            self.stored_bytes += detail.len() + var.len() + 64;
            history.push(Event { var: var.into(), flag: flag.map(Into::into), op: op(), detail: detail.into(), at });
        }
    }

    fn register_overrides(&mut self, var: &str) {
        for (short, over) in override_pairs(var) {
            self.cache.get_mut().touched(short);
            // Room for a name's usual override forms (`FILES:${PN}-dev`,
            // `-doc`, ...): grown from four, a list was copied.
            let list = self.overridedata.entry_ref(&Key(short)).or_insert_with(|| Vec::with_capacity(8));
            if !list.iter().any(|(v, o)| &**v == var && &**o == over) {
                list.push((var.into(), over.into()));
            }
        }
    }

    /// `setVar(var, value, parsing=True)`: the only form statements use.
    pub fn set(&mut self, name: impl Name, value: Value, op: &str, detail: &str, at: Option<Span>) {
        let var = name.as_str();
        self.touched(var);
        self.stored_bytes += value.len();
        if let Some((base, keyword, add)) = name.keyword() {
            self.record(base, None, || match add {
                Some(o) => format!("{}[{o}]", keyword.as_str()),
                None => keyword.as_str().to_string(),
            }, &value, at);
            let pending = Pending { keyword, value, overrides: add.map(Into::into), at };
            self.entry(base).pending.push(pending);
            self.register_overrides(base);
            return;
        }
        let entry = self.entry(name);
        entry.content = Some(value);
        entry.origin = at.or(entry.origin);
        if grove_syntax::has_byte(var, b':') {
            self.register_overrides(var);
        }
        self.record(var, None, || op.to_string(), detail, at);
    }

    /// `setVarFlag(var, "_defaultval", value)`: the weak default of `??=`.
    pub fn set_weak_default(&mut self, name: impl Name, value: Value, detail: &str, at: Option<Span>) {
        let var = name.as_str();
        self.touched(var);
        self.stored_bytes += value.len();
        let entry = self.entry(name);
        entry.weak_default = Some(value);
        entry.origin = entry.origin.or(at);
        self.record(var, Some("_defaultval"), || "set".into(), detail, at);
        if grove_syntax::has_byte(var, b':') {
            self.register_overrides(var);
        }
    }

    /// `setVarFlag(var, flag, value)`; `None` clears the flag.
    pub fn set_flag(&mut self, name: impl Name, flag: impl Name, value: Option<Value>, op: &str, detail: &str, at: Option<Span>) {
        let var = name.as_str();
        let (flag_name, flag) = (flag, flag.as_str());
        self.touched(var);
        self.stored_bytes += value.as_ref().map_or(0, |v| v.len());
        self.record(var, Some(flag), || op.to_string(), detail, at);
        let entry = self.entry(name);
        match (entry.flags.iter().position(|(n, _)| same(n.as_bytes(), flag.as_bytes())), value) {
            (Some(i), Some(v)) => entry.flags.make_mut()[i].1 = v,
            (Some(_), None) => entry.flags.retain(|(n, _)| &**n != flag),
            (None, Some(v)) => entry.flags.make_mut().push((flag_name.to_common(), v)),
            (None, None) => {}
        }
    }

    /// `setVarFlag(var, "_defaultval_flag_" + flag, value)`.
    pub fn set_weak_flag(&mut self, var: &str, flag: impl Name, value: Value, detail: &str, at: Option<Span>) {
        let (flag_name, flag) = (flag, flag.as_str());
        self.touched(var);
        self.stored_bytes += value.len();
        self.record(var, Some(flag), || "set??".into(), detail, at);
        let entry = self.entry(var);
        match entry.weak_flags.iter_mut().find(|(n, _)| same(n.as_bytes(), flag.as_bytes())) {
            Some(slot) => slot.1 = value,
            None => entry.weak_flags.push((flag_name.to_common(), value)),
        }
    }

    /// `delVar`: the variable, its flags and pending operations are gone,
    /// and so is its list of override variables (BitBake does the same: a
    /// later `A` is not overridden by an earlier `A:foo`).
    pub fn delete(&mut self, var: &str, at: Option<Span>) {
        self.touched(var);
        self.record(var, None, || "del".into(), "", at);
        *self.entry(var) = Var { origin: at, ..Var::default() };
        self.overridedata.remove(var);
        if grove_syntax::has_byte(var, b':') {
            for (short, over) in override_pairs(var) {
                if let Some(list) = self.overridedata.get_mut(short) {
                    if let Some(i) = list.iter().position(|(v, o)| &**v == var && &**o == over) {
                        list.remove(i);
                    }
                }
            }
        }
    }

    /// `delVarFlag`: also drops the flag's weak default.
    pub fn delete_flag(&mut self, var: &str, flag: &str, at: Option<Span>) {
        self.touched(var);
        let Some(entry) = self.vars.get_mut(var) else { return };
        if entry.flag(flag).is_none() {
            return;
        }
        entry.flags.retain(|(n, _)| &**n != flag);
        entry.weak_flags.retain(|(n, _)| &**n != flag);
        self.record(var, Some(flag), || "delFlag".into(), "", at);
    }

    /// `renameVar`: used when a key holding `${...}` is expanded at the end
    /// of parsing. The value (or weak default) and the pending operations
    /// move; other flags stay behind and are deleted with the old name.
    pub fn rename(&mut self, key: &str, newkey: &str) {
        if key == newkey {
            return;
        }
        // Both names change; what was read of others stands (the active
        // overrides too, unless they were computed from one of these).
        self.touched(key);
        self.touched(newkey);
        let mut found = false;
        // What moves: the value, the weak default, where it was set and the
        // pending operations (flags stay behind). They are taken, not
        // copied: the old name is deleted below, or held none of them.
        let old = match self.vars.get_mut(key) {
            Some(v) => Var {
                content: v.content.take(),
                weak_default: v.weak_default.take(),
                pending: std::mem::take(&mut v.pending),
                origin: v.origin,
                ..Var::default()
            },
            None => Var::default(),
        };
        if let Some(val) = old.content.clone().or_else(|| old.weak_default.clone()) {
            if let Some(history) = &mut self.history {
                history.rename(key, newkey);
            }
            let detail = val.clone();
            self.record(newkey, None, || format!("rename from {key}"), &detail, old.origin);
            let entry = self.entry(newkey);
            entry.content = Some(val);
            entry.origin = old.origin;
            if grove_syntax::has_byte(newkey, b':') {
                self.register_overrides(newkey);
            }
            found = true;
        }
        if !old.pending.is_empty() {
            self.entry(newkey).pending.extend(old.pending);
            found = true;
        }
        if let Some(list) = self.overridedata.get_sparse(key).cloned() {
            found = true;
            let renamed = list.iter().map(|(v, o)| (Value::from(v.replace(key, newkey)), o.clone())).collect();
            self.overridedata.insert(newkey.into(), renamed);
            for (v, _) in list {
                self.rename(&v, &v.replace(key, newkey));
            }
        }
        if !found {
            return;
        }
        if grove_syntax::has_byte(newkey, b':') && old.content.is_none() && old.weak_default.is_none() {
            self.register_overrides(newkey);
        }
        self.record(key, None, || "rename (to)".into(), newkey, None);
        self.delete(key, None);
    }

    /// `addtask TASK after A before B` (BitBake's `bb.build.addtask`).
    pub fn add_task(&mut self, task: &str, after: &str, before: &str, at: Option<Span>) {
        let task = task_name(task);
        self.set_flag(&task, "task", Some(common("1")), "set", "1", at);
        if !self.tasks.iter().any(|t| **t == *task) {
            self.tasks.push(task.as_str().into());
        }
        let mut deps = self.deps(&task);
        for entry in grove_syntax::words(after).map(task_name) {
            if !deps.contains(&entry) {
                deps.push(entry);
            }
        }
        self.set_deps(&task, &deps, at);
        for entry in grove_syntax::words(before).map(task_name) {
            let mut existing = self.deps(&entry);
            if !existing.contains(&task) {
                existing.insert(0, task.clone());
                self.set_deps(&entry, &existing, at);
            }
        }
    }

    /// `deltask TASK` (BitBake's `bb.build.deltask`).
    pub fn delete_task(&mut self, task: &str, at: Option<Span>) {
        let task = task_name(task);
        if let Some(i) = self.tasks.iter().position(|t| **t == *task) {
            self.tasks.remove(i);
            self.delete_flag(&task, "task", at);
        }
        self.delete_flag(&task, "deps", at);
        for other in self.tasks.clone() {
            let mut deps = self.deps(&other);
            if let Some(i) = deps.iter().position(|d| *d == task) {
                deps.remove(i);
                self.set_deps(&other, &deps, at);
            }
        }
    }

    /// A task's `deps` flag as a list.
    pub fn deps(&self, task: &str) -> Vec<String> {
        let deps = self.vars.get(task).and_then(|v| v.flag("deps"));
        deps.map(|d| grove_syntax::words(d).map(String::from).collect()).unwrap_or_default()
    }

    fn set_deps(&mut self, task: &str, deps: &[String], at: Option<Span>) {
        let joined = deps.join(" ");
        // BitBake writes the flag even when it does not change; only the
        // history can tell, so only a recording store pays for the write.
        if self.history.is_none() && self.vars.get(task).and_then(|v| v.flag("deps")).is_some_and(|d| **d == *joined) {
            return;
        }
        self.set_flag(task, "deps", Some(joined.as_str().into()), "set", &joined, at);
    }
}

/// `ensure_task_prefix`: tasks are named `do_*`.
fn task_name(task: &str) -> String {
    if task.starts_with("do_") { task.to_string() } else { ["do_", task].concat() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_pairs_walk_from_the_right() {
        let pairs = |v| override_pairs(v).collect::<Vec<_>>();
        assert_eq!(pairs("A:b:c"), vec![("A:b", "c"), ("A", "b:c")]);
        assert_eq!(pairs("A:B"), vec![]);
        assert_eq!(pairs("A:x-y"), vec![("A", "x-y")]);
        // BitBake's quirk for names without ':' (harmless, kept for fidelity).
        assert_eq!(pairs("foo"), vec![("fo", "foo")]);
        assert_eq!(pairs("FOO"), vec![]);
    }
}
