//! Reading variables: overrides, `:append`/`:prepend`/`:remove`, and lazy
//! `${...}` expansion (BitBake's `getVarFlag` and `expandWithRefs`).
//!
//! Results are cached until the next write. Expansion keeps a stack of the
//! variables being expanded, so a cycle is reported with its path instead of
//! overflowing the stack, and it bounds the size and depth of what it builds.

use std::sync::Arc;

use grove_syntax::find_byte;
use rustc_hash::FxHashMap;

use crate::datastore::{DataStore, Keyword, Pending, Value, Var};
use crate::error::{ExpandError, ExpandErrorKind};
use crate::watch::{base_name, same};

/// The largest value expansion may build.
pub const MAX_VALUE_LEN: usize = 16 << 20;
/// How deeply variables may refer to variables.
pub const MAX_DEPTH: usize = 200;
/// How many entries `OVERRIDES` may have (real ones have dozens).
pub const MAX_OVERRIDES: usize = 10_000;
/// The largest expansion buffer a read keeps for the next one.
pub(crate) const MAX_KEPT_BUFFER: usize = 64 << 10;
/// How many rounds of substitution one value may take to settle.
const MAX_ROUNDS: usize = 10_000;
/// How many bytes expansion may produce in all for one store: a recipe
/// needs a few megabytes; a hostile one could otherwise fill memory with
/// many values each under [`MAX_VALUE_LEN`].
pub const MAX_EXPANDED_BYTES: usize = 256 << 20;

/// The active overrides: `OVERRIDES` split on `:`, in priority order.
/// Each is a range of the one expanded text (no copy of each is made);
/// a table of the ranges, by the hash of their text, answers lookups.
#[derive(Debug, Default)]
pub struct Overrides {
    text: Value,
    parts: Vec<(u32, u32)>,
    set: hashbrown::HashTable<(u32, u32)>,
}

impl Overrides {
    /// `text` split on `:` (empty parts included, as Python's `split`).
    fn new(text: Value) -> Overrides {
        let mut parts = Vec::with_capacity(16);
        let mut set = hashbrown::HashTable::with_capacity(16);
        let mut start = 0;
        for part in colon_parts(&text) {
            let range = (start as u32, (start + part.len()) as u32);
            start += part.len() + 1;
            parts.push(range);
            let hash = hash_of(part);
            if set.find(hash, |&(a, b): &(u32, u32)| &text[a as usize..b as usize] == part).is_none() {
                set.insert_unique(hash, range, |&(a, b)| hash_of(&text[a as usize..b as usize]));
            }
        }
        Overrides { text, parts, set }
    }

    /// The overrides, in priority order (lowest first).
    pub fn list(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(|&(a, b)| &self.text[a as usize..b as usize])
    }

    pub fn contains(&self, o: &str) -> bool {
        self.set.find(hash_of(o), |&(a, b)| &self.text[a as usize..b as usize] == o).is_some()
    }

    /// Every `:`-separated part of `o` is active.
    fn all_active(&self, o: &str) -> bool {
        colon_parts(o).all(|p| self.contains(p))
    }
}

fn hash_of(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// A resolved variable: the value before and after expansion, and which of
/// its `:remove`s matched (BitBake carries those through an override).
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    unexpanded: Option<Value>,
    expanded: Option<Value>,
    matched_removes: Vec<Value>,
}

/// Cached reads. Expanded values are thrown away on every write; the
/// active overrides only when a variable they were computed from changes.
#[derive(Debug, Default)]
pub struct Cache {
    overrides: Option<Arc<Overrides>>,
    /// The variables (by the part of their name before any `:`) read while
    /// computing `overrides`.
    overrides_deps: hashbrown::HashSet<Value, rustc_hash::FxBuildHasher>,
    /// A name with `:` was read while computing `overrides`.
    overrides_read_override_form: bool,
    recording: bool,
    computing_overrides: bool,
    /// Bumped by every write: a variable's own resolved value (see
    /// [`Var::resolved`]) is valid only in the epoch it was read in.
    epoch: u64,
    /// Resolved names the store has no variable for (override forms,
    /// unset names).
    content: FxHashMap<Value, Result<Resolved, ExpandError>>,
    flags: FxHashMap<(Value, Value), Result<Option<Value>, ExpandError>>,
    /// An empty [`Stack`] kept between reads, so that a read allocates
    /// no stack of its own.
    spare: Stack,
}

/// `s.split(':')` by byte: names and override lists are short, and a
/// byte loop beats the searcher `split(char)` sets up for each.
fn colon_parts(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b':') {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

impl Cache {
    /// Forget everything.
    pub fn invalidate(&mut self) {
        self.overrides = None;
        self.clear_values();
    }

    /// `name` was written: forget what may depend on it.
    #[inline]
    pub fn touched(&mut self, name: &str) {
        if self.overrides.is_some() && self.overrides_deps.contains(base_name(name)) {
            self.overrides = None;
        }
        self.clear_values();
    }

    #[inline]
    fn clear_values(&mut self) {
        self.epoch += 1;
        if !self.content.is_empty() {
            self.content.clear();
        }
        if !self.flags.is_empty() {
            self.flags.clear();
        }
    }
}

/// The variables being expanded, innermost last: their names end to end
/// in one buffer, so entering a variable allocates nothing.
#[derive(Debug, Default)]
struct Stack {
    text: String,
    starts: Vec<usize>,
    /// Buffers for expansions to be written in (one for each expansion
    /// under way), kept between them: an expansion's text is copied once,
    /// into its value.
    buffers: Vec<String>,
}

impl Stack {
    fn names(&self) -> impl Iterator<Item = &str> {
        let ends = self.starts.iter().skip(1).copied().chain([self.text.len()]);
        self.starts.iter().zip(ends).map(|(&a, b)| &self.text[a..b])
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    fn chain(&self) -> Vec<String> {
        self.names().map(String::from).collect()
    }

    fn push(&mut self, name: &str) {
        self.starts.push(self.text.len());
        self.text.push_str(name);
    }

    fn pop(&mut self) {
        if let Some(start) = self.starts.pop() {
            self.text.truncate(start);
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.starts.clear();
    }
}

impl DataStore {
    /// The fully expanded value of a variable (`getVar(var)`), or `None` if
    /// it is not set.
    pub fn get(&self, var: &str) -> Result<Option<Value>, ExpandError> {
        self.with_stack(|stack| self.resolve_with(stack, var, |r| r.expanded.clone()))
    }

    /// Runs `f` with an empty expansion stack, reusing the store's spare
    /// one (a read may start another read: that one gets a new stack).
    fn with_stack<R>(&self, f: impl FnOnce(&mut Stack) -> R) -> R {
        let mut stack = std::mem::take(&mut self.cache.borrow_mut().spare);
        let result = f(&mut stack);
        stack.clear();
        self.cache.borrow_mut().spare = stack;
        result
    }

    /// The value with overrides, appends and prepends applied but nothing
    /// expanded (`getVar(var, False)`).
    pub fn get_unexpanded(&self, var: &str) -> Result<Option<Value>, ExpandError> {
        // Where `resolve_with` keeps what it read (written out there too:
        // a helper returning a borrow guard cost 1% of all instructions).
        let stamp = self.cache.borrow().epoch + 1;
        if let Some(v) = self.vars.get(var).filter(|v| v.resolved_at.get() == stamp) {
            if let Some(Ok(r)) = &*v.resolved.borrow() {
                return Ok(r.unexpanded.clone());
            }
        } else if let Some(Ok(r)) = self.cache.borrow().content.get(var) {
            return Ok(r.unexpanded.clone());
        }
        self.with_stack(|stack| self.raw_value(stack, var).map(|(v, _)| v))
    }

    /// The expanded value of a flag (`getVarFlag(var, flag)`).
    pub fn get_flag(&self, var: &str, flag: &str) -> Result<Option<Value>, ExpandError> {
        self.with_stack(|stack| self.flag(stack, var, flag))
    }

    /// A flag as written, weak default included (`getVarFlag(var, flag, False)`).
    pub fn get_flag_unexpanded(&self, var: &str, flag: &str) -> Option<Value> {
        self.vars.get(var)?.flag_unexpanded(flag).cloned()
    }

    /// The value as set, without weak default, overrides or appends
    /// (`getVar(var, False, noweakdefault=True, parsing=True)`), which is
    /// what `+=`, `?=` and friends build on.
    pub fn get_raw(&self, var: &str) -> Option<Value> {
        self.vars.get(var)?.content.clone()
    }

    /// A flag as set, without its weak default.
    pub fn get_flag_raw(&self, var: &str, flag: &str) -> Option<Value> {
        self.vars.get(var)?.flag(flag).cloned()
    }

    /// The value as set or its weak default, nothing applied
    /// (`getVar(var, False, parsing=True)`).
    pub fn get_parsing(&self, var: &str) -> Option<Value> {
        let v = self.vars.get(var)?;
        v.content.clone().or_else(|| v.weak_default.clone())
    }

    /// Expands `${...}` references in a string. `name` is what the string is
    /// the value of, for the self-reference check (`A[:=]` for `:=`).
    pub fn expand(&self, s: &str, name: Option<&str>) -> Result<Value, ExpandError> {
        self.with_stack(|stack| self.expand_refs(stack, s, name.map_or(Whose::Expression, Whose::Var)))
    }

    /// Where the value `var` has was set: the statement of the override
    /// form that wins (`A:debug = ...` when `debug` is active), else
    /// `var`'s own. For diagnostics; `None` when no file set it.
    pub fn source_of(&self, var: &str) -> Option<grove_syntax::Span> {
        let data = self.overridedata.get_sparse(var).filter(|l| !l.is_empty());
        let winner = data.and_then(|data| pick_override(data, &*self.overrides().ok()?));
        // A winner's name is longer than `var`: this ends.
        winner.and_then(|w| self.source_of(&w)).or_else(|| self.origin(var))
    }

    /// The active overrides, computed from `OVERRIDES` on first use.
    pub fn overrides(&self) -> Result<Arc<Overrides>, ExpandError> {
        self.with_stack(|stack| self.active_overrides(stack))
    }

    fn active_overrides(&self, stack: &mut Stack) -> Result<Arc<Overrides>, ExpandError> {
        {
            let cache = self.cache.borrow();
            if let Some(o) = &cache.overrides {
                return Ok(o.clone());
            }
            if cache.computing_overrides {
                return Ok(Arc::new(Overrides::default()));
            }
        }
        // BitBake's need_overrides(): OVERRIDES is evaluated with no
        // overrides active, then again with the result; the two must agree.
        let split = |v: Option<Value>| -> Result<Overrides, ExpandError> {
            let v = v.unwrap_or_default();
            let count = v.bytes().filter(|&b| b == b':').count() + 1;
            if count > MAX_OVERRIDES {
                return Err(ExpandError::new("OVERRIDES", ExpandErrorKind::TooManyOverrides { count, limit: MAX_OVERRIDES }));
            }
            Ok(Overrides::new(v))
        };
        {
            let mut cache = self.cache.borrow_mut();
            cache.computing_overrides = true;
            cache.recording = true;
            cache.overrides_deps.clear();
            cache.overrides_read_override_form = false;
        }
        let first = self.resolve(stack, "OVERRIDES");
        let mut cache = self.cache.borrow_mut();
        cache.computing_overrides = false;
        // The second round can only differ if something read in the first
        // has override forms or conditional appends; usually nothing does,
        // and the first round's values stand.
        let second_round = cache.overrides_read_override_form
            || cache.overrides_deps.iter().any(|name| self.depends_on_overrides(name));
        if second_round {
            cache.clear_values();
        }
        let first = match first.and_then(|r| split(r.expanded)) {
            Ok(overrides) => Arc::new(overrides),
            Err(e) => {
                cache.recording = false;
                return Err(e);
            }
        };
        cache.overrides = Some(first.clone());
        if !second_round {
            cache.recording = false;
            return Ok(first);
        }
        drop(cache);
        let second = self.resolve(stack, "OVERRIDES");
        self.cache.borrow_mut().recording = false;
        let second = split(second?.expanded)?;
        if !second.list().eq(first.list()) {
            let mut cache = self.cache.borrow_mut();
            cache.overrides = None;
            cache.clear_values();
            return Err(ExpandError::new(
                "OVERRIDES",
                ExpandErrorKind::UnstableOverrides {
                    first: first.text.to_string(),
                    second: second.text.to_string(),
                },
            ));
        }
        Ok(first)
    }

    /// Whether the value of `name` may change with the active overrides.
    fn depends_on_overrides(&self, name: &str) -> bool {
        let conditional = |v: &Var| v.pending.iter().any(|p| p.overrides.as_deref().is_some_and(|o| !o.is_empty()));
        self.overridedata.get_sparse(name).is_some_and(|l| !l.is_empty()) || self.vars.get(name).is_some_and(conditional)
    }

    fn resolve(&self, stack: &mut Stack, var: &str) -> Result<Resolved, ExpandError> {
        self.resolve_with(stack, var, Resolved::clone)
    }

    /// [`DataStore::resolve`], handing `f` the result where the cache keeps
    /// it: most readers want one field, or only to copy the text, and a
    /// whole copy of the result costs reference counts for nothing.
    fn resolve_with<R>(&self, stack: &mut Stack, var: &str, f: impl FnOnce(&Resolved) -> R) -> Result<R, ExpandError> {
        let (key, local) = match self.vars.get_key_value(var) {
            Some((k, v)) => (Some(k), Some(v)),
            None => (None, None),
        };
        // One borrow of the cache for the recording and the epoch.
        let stamp = {
            let mut cache = self.cache.borrow_mut();
            if cache.recording {
                if grove_syntax::has_byte(var, b':') {
                    cache.overrides_read_override_form = true;
                }
                if cache.overrides_deps.capacity() == 0 {
                    // Room for what `OVERRIDES` usually reads, at once.
                    cache.overrides_deps.reserve(16);
                }
                // The variable's own name is shared when it is the base.
                let base = base_name(var);
                cache.overrides_deps.get_or_insert_with(base, |b| match key {
                    Some(k) if k.len() == b.len() => k.clone(),
                    _ => Value::from(b),
                });
            }
            cache.epoch + 1
        };
        match local {
            Some(v) if v.resolved_at.get() == stamp => {
                if let Some(r) = &*v.resolved.borrow() {
                    return r.as_ref().map(f).map_err(Clone::clone);
                }
            }
            Some(_) => {}
            None => {
                if let Some(r) = self.cache.borrow().content.get(var) {
                    return r.as_ref().map(f).map_err(Clone::clone);
                }
            }
        }
        if stack.names().any(|n| n == var) {
            let mut chain = stack.chain();
            chain.push(var.to_string());
            let top = chain[0].clone();
            return Err(ExpandError::new(&top, ExpandErrorKind::Cycle { chain }));
        }
        if stack.len() >= MAX_DEPTH {
            let chain = stack.chain();
            return Err(ExpandError::new(&chain[0], ExpandErrorKind::TooDeep { chain: chain.clone() }));
        }
        stack.push(var);
        let result = self.resolve_uncached(stack, var, local);
        stack.pop();
        // An error found inside a cycle is only cached by its outermost
        // variable, so that each variable reports the cycle from itself.
        if result.is_ok() || stack.len() == 0 {
            // The epoch now (reading may have started a new one).
            let stamp = self.cache.borrow().epoch + 1;
            if let Some(v) = local {
                v.resolved_at.set(stamp);
                let mut slot = v.resolved.borrow_mut();
                return match slot.insert(result) {
                    Ok(r) => Ok(f(r)),
                    Err(e) => Err(e.clone()),
                };
            }
            let mut cache = self.cache.borrow_mut();
            let key = key.cloned().unwrap_or_else(|| var.into());
            if cache.content.capacity() == 0 {
                cache.content.reserve(16);
            }
            return match cache.content.entry(key).insert_entry(result).get() {
                Ok(r) => Ok(f(r)),
                Err(e) => Err(e.clone()),
            };
        }
        result.map(|r| f(&r))
    }

    fn resolve_uncached(&self, stack: &mut Stack, var: &str, local: Option<&Var>) -> Result<Resolved, ExpandError> {
        let (value, removes) = self.raw_value_of(stack, var, local)?;
        let Some(unexpanded) = value else {
            return Ok(Resolved { unexpanded: None, expanded: None, matched_removes: Vec::new() });
        };
        let mut expanded =
            if has_ref(&unexpanded) { self.expand_refs(stack, &unexpanded, Whose::Var(var))? } else { unexpanded.clone() };
        let mut matched_removes = Vec::new();
        if !expanded.is_empty() && !removes.is_empty() {
            let mut words: Vec<(Value, Vec<String>)> = Vec::with_capacity(removes.len());
            for r in &removes {
                let e = self.expand_refs(stack, r, Whose::Expression)?;
                words.push((r.clone(), grove_syntax::words(&e).map(String::from).collect()));
            }
            let mut out = String::with_capacity(expanded.len());
            for token in split_keep_whitespace(&expanded) {
                let mut skip = false;
                for (r, ws) in &words {
                    if ws.iter().any(|w| w == token) {
                        if !matched_removes.contains(r) {
                            matched_removes.push(r.clone());
                        }
                        skip = true;
                    }
                }
                if !skip {
                    out.push_str(token);
                }
            }
            expanded = out.into();
        }
        Ok(Resolved { unexpanded: Some(unexpanded), expanded: Some(expanded), matched_removes })
    }

    /// The value before expansion: the winning override's (or the value, or
    /// the weak default), with appends and prepends applied; and the
    /// `:remove`s to apply after expansion.
    fn raw_value(&self, stack: &mut Stack, var: &str) -> Result<(Option<Value>, Vec<Value>), ExpandError> {
        self.raw_value_of(stack, var, self.vars.get(var))
    }

    /// [`DataStore::raw_value`] of `var`, whose entry (if any) is `local`.
    fn raw_value_of(&self, stack: &mut Stack, var: &str, local: Option<&Var>) -> Result<(Option<Value>, Vec<Value>), ExpandError> {
        let mut value: Option<Value> = None;
        let mut removes: Vec<Value> = Vec::new();

        let data = self.overridedata.get_sparse(var).filter(|l| !l.is_empty());
        let needs_overrides = data.is_some() || local.is_some_and(|l| !l.pending.is_empty());
        let overrides = if needs_overrides { Some(self.active_overrides(stack)?) } else { None };

        if let (Some(data), Some(overrides)) = (data, &overrides) {
            if let Some(winner) = pick_override(data, overrides) {
                let sub = self.resolve(stack, &winner)?;
                value = sub.unexpanded;
                removes = sub.matched_removes;
            }
        }
        if let Some(local) = local {
            if value.is_none() {
                value = local.content.clone().or_else(|| local.weak_default.clone());
            }
            // Most variables have no `:append`, `:prepend` or `:remove`.
            if local.pending.is_empty() {
                return Ok((value, removes));
            }
            let overrides = overrides.as_deref();
            let applies = |p: &Pending| match (&p.overrides, overrides) {
                (None, _) => true,
                (Some(o), _) if o.is_empty() => true,
                (Some(o), Some(active)) => active.all_active(o),
                (Some(_), None) => false,
            };
            // Appends go after the value in order, prepends before it
            // (the last one first): the value is built once, at its size.
            let mut added = None;
            for p in local.pending.iter().filter(|p| applies(p)) {
                match p.keyword {
                    Keyword::Append | Keyword::Prepend => *added.get_or_insert(0) += p.value.len(),
                    Keyword::Remove => {
                        if !removes.contains(&p.value) {
                            removes.push(p.value.clone());
                        }
                    }
                }
            }
            if let Some(added) = added {
                let base = value.as_deref().unwrap_or("");
                let mut v = String::with_capacity(base.len() + added);
                for p in local.pending.iter().rev().filter(|p| p.keyword == Keyword::Prepend && applies(p)) {
                    v.push_str(&p.value);
                }
                v.push_str(base);
                for p in local.pending.iter().filter(|p| p.keyword == Keyword::Append && applies(p)) {
                    v.push_str(&p.value);
                }
                value = Some(v.into());
            }
        }
        Ok((value, removes))
    }

    fn flag(&self, stack: &mut Stack, var: &str, flag: &str) -> Result<Option<Value>, ExpandError> {
        // Most flags asked for are not set: answer that before building a key.
        let Some((var_key, entry)) = self.vars.get_key_value(var) else { return Ok(None) };
        let named = |l: &'_ [(Value, Value)]| l.iter().find(|(n, _)| same(n.as_bytes(), flag.as_bytes())).map(|(n, v)| (n.clone(), v.clone()));
        let Some((flag_key, raw)) = named(&entry.flags).or_else(|| named(&entry.weak_flags)) else { return Ok(None) };
        if !has_ref(&raw) {
            return Ok(Some(raw));
        }
        // The key shares the store's names: no copy.
        let key = (var_key.clone(), flag_key);
        if let Some(r) = self.cache.borrow().flags.get(&key) {
            return r.clone();
        }
        let result = self.expand_refs(stack, &raw, Whose::Flag(var, flag)).map(Some);
        let mut cache = self.cache.borrow_mut();
        if cache.flags.capacity() == 0 {
            // A recipe's task flags, at once rather than doubling up to them.
            cache.flags.reserve(32);
        }
        cache.flags.insert(key, result.clone());
        result
    }

    /// `expandWithRefs`: substitute every `${NAME}` whose variable is set,
    /// round after round, until nothing changes.
    fn expand_refs(&self, stack: &mut Stack, s: &str, name: Whose<'_>) -> Result<Value, ExpandError> {
        if !has_ref(s) {
            return Ok(s.into());
        }
        // A value that is one reference (`B = "${S}"`) shares the referenced
        // value instead of copying it.
        if let Some(key) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            if !key.is_empty() && ref_name_len(key) == key.len() && !name.is(key) {
                if let Some(v) = self.resolve_with(stack, key, |r| r.expanded.clone())? {
                    if !has_ref(&v) {
                        return Ok(v);
                    }
                }
            }
        }
        // A new buffer starts at the size of a long body, so that it is
        // seldom grown (it is kept for the store's later expansions).
        let mut out = stack.buffers.pop().unwrap_or_else(|| String::with_capacity(2048));
        let result = self.expand_rounds(stack, s, name, &mut out);
        // Kept for the next expansion, unless a huge one made it huge.
        if out.capacity() <= MAX_KEPT_BUFFER {
            out.clear();
            stack.buffers.push(out);
        }
        result
    }

    /// The rounds of [`DataStore::expand_refs`], written in `out`.
    fn expand_rounds(&self, stack: &mut Stack, s: &str, name: Whose<'_>, out: &mut String) -> Result<Value, ExpandError> {
        // The text of the round before, if one changed something.
        let mut current: Option<String> = None;
        for _ in 0..MAX_ROUNDS {
            let source = current.as_deref().unwrap_or(s);
            // A reference is usually shorter than its value: room for the
            // text to double, so that most expansions never grow the buffer.
            out.clear();
            out.reserve(2 * source.len() + 64);
            let mut changed = false;
            let mut rest = source;
            while let Some(i) = find_ref(rest) {
                out.push_str(&rest[..i]);
                let after = &rest[i + 2..];
                let len = ref_name_len(after);
                if len == 0 || !after[len..].starts_with('}') {
                    out.push_str("${");
                    rest = after;
                    continue;
                }
                let key = &after[..len];
                if name.is(key) {
                    return Err(ExpandError::new(key, ExpandErrorKind::SelfReference));
                }
                // Copied straight from the cache: no reference counted.
                let found = self.resolve_with(stack, key, |r| match &r.expanded {
                    Some(v) => {
                        out.push_str(v);
                        true
                    }
                    None => false,
                })?;
                if found {
                    changed = true;
                } else {
                    out.push_str(&rest[i..i + 3 + len]);
                }
                if out.len() > MAX_VALUE_LEN {
                    return Err(ExpandError::new(&name.describe(key), ExpandErrorKind::TooLarge { limit: MAX_VALUE_LEN }));
                }
                rest = &after[len + 1..];
            }
            out.push_str(rest);
            let spent = self.expanded_bytes.get() + out.len();
            self.expanded_bytes.set(spent);
            if spent > MAX_EXPANDED_BYTES {
                let var = name.describe("<expression>");
                return Err(ExpandError::new(&var, ExpandErrorKind::TooMuchExpansion { limit: MAX_EXPANDED_BYTES }));
            }
            if !changed || !has_ref(out) {
                return Ok(Value::from(out.as_str()));
            }
            current = Some(out.clone());
        }
        Err(ExpandError::new(&name.describe("<expression>"), ExpandErrorKind::DoesNotSettle))
    }
}

/// Whose value an expansion is of: a variable's (which may not refer to
/// itself), a flag's (`VAR[flag]`, which no reference can name), or an
/// expression's. Errors name it; a flag's name is written out only then.
#[derive(Clone, Copy)]
enum Whose<'a> {
    Var(&'a str),
    Flag(&'a str, &'a str),
    Expression,
}

impl Whose<'_> {
    /// Whether `key` names the value being expanded.
    fn is(self, key: &str) -> bool {
        matches!(self, Whose::Var(v) if v == key)
    }

    /// The name for an error, or `or` for an expression's.
    fn describe(self, or: &str) -> String {
        match self {
            Whose::Var(v) => v.to_string(),
            Whose::Flag(v, f) => [v, "[", f, "]"].concat(),
            Whose::Expression => or.to_string(),
        }
    }
}

/// Where the first `${` is: a byte search, much cheaper than a substring
/// searcher for the short strings values are.
fn find_ref(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = find_byte(b'$', &bytes[from..]) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The names of the `${NAME}` references written in `s`, as expansion
/// would look them up (the innermost of `${${A}}` is `A`).
pub fn references(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        while let Some(i) = find_ref(rest) {
            let after = &rest[i + 2..];
            let len = ref_name_len(after);
            rest = after;
            if len > 0 && after[len..].starts_with('}') {
                return Some(&after[..len]);
            }
        }
        None
    })
}

pub(crate) fn has_ref(s: &str) -> bool {
    find_ref(s).is_some()
}

/// `[a-zA-Z0-9\-_+./~:]`: the bytes that may appear between `${` and `}`
/// (a table: names are scanned a lot).
static REF_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'.' | b'/' | b'~' | b':');
        c += 1;
    }
    t
};

/// How many bytes at the start of `s` may be part of a reference's name.
fn ref_name_len(s: &str) -> usize {
    s.bytes().position(|b| !REF_BYTE[usize::from(b)]).unwrap_or(s.len())
}

/// `re.split(r'(\s)', s)`: words and single whitespace characters.
fn split_keep_whitespace(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    let mut pending_space: Option<&str> = None;
    std::iter::from_fn(move || {
        if let Some(space) = pending_space.take() {
            return Some(space);
        }
        if rest.is_empty() {
            return None;
        }
        match rest.char_indices().find(|&(_, c)| grove_syntax::is_space(c)) {
            Some((i, c)) => {
                let word = &rest[..i];
                pending_space = Some(&rest[i..i + c.len_utf8()]);
                rest = &rest[i + c.len_utf8()..];
                Some(word)
            }
            None => {
                let word = rest;
                rest = "";
                Some(word)
            }
        }
    })
}

/// Which override variable wins for a variable, BitBake's way: collect those
/// whose overrides are all active, then peel active overrides off their
/// ends in `OVERRIDES` order; the last one left equal to an override wins.
fn pick_override(data: &[(Value, Value)], overrides: &Overrides) -> Option<Value> {
    // An insertion-ordered map, as Python's dict.
    let mut active: Vec<(String, Value)> = Vec::new();
    let insert = |active: &mut Vec<(String, Value)>, k: String, v: Value| match active.iter_mut().find(|(a, _)| *a == k) {
        Some(slot) => slot.1 = v,
        None => active.push((k, v)),
    };
    for (r, o) in data {
        if overrides.contains(o) || (grove_syntax::has_byte(o, b':') && overrides.all_active(o)) {
            insert(&mut active, o.to_string(), r.clone());
        }
    }
    if active.is_empty() {
        return None;
    }
    // `a.endswith(":" + o)` without building the suffix.
    let ends_with_override = |a: &str, o: &str| {
        a.len() > o.len() && a.ends_with(o) && a.as_bytes()[a.len() - o.len() - 1] == b':'
    };
    let mut winner = None;
    let mut modified = true;
    while modified {
        modified = false;
        for o in overrides.list() {
            // Most overrides touch no candidate; skip them without copying.
            if !active.iter().any(|(a, _)| a == o || ends_with_override(a, o)) {
                continue;
            }
            let snapshot: Vec<String> = active.iter().map(|(a, _)| a.clone()).collect();
            let suffix = format!(":{o}");
            for a in snapshot {
                let Some(pos) = active.iter().position(|(k, _)| *k == a) else { continue };
                if a.ends_with(&suffix) {
                    let (_, t) = active.remove(pos);
                    insert(&mut active, a.replace(&suffix, ""), t);
                    modified = true;
                } else if a == o {
                    let (_, t) = active.remove(pos);
                    winner = Some(t);
                }
            }
        }
    }
    winner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_each_whitespace_character() {
        let parts: Vec<&str> = split_keep_whitespace("a  b\tc").collect();
        assert_eq!(parts, vec!["a", " ", "", " ", "b", "\t", "c"]);
    }

    #[test]
    fn colon_parts_split_as_str_split_does() {
        for s in ["", ":", "a", "a:", ":a", "a::b", "A:b:c", "é:ü:", "::"] {
            assert_eq!(colon_parts(s).collect::<Vec<_>>(), s.split(':').collect::<Vec<_>>(), "{s:?}");
        }
        assert_eq!(base_name("DEPENDS:append:x86_64"), "DEPENDS");
        assert_eq!(base_name("PN"), "PN");
    }

    #[test]
    fn references_are_found_nested_or_not() {
        let refs = |s| references(s).collect::<Vec<_>>();
        assert_eq!(refs("a ${B} ${C}/${D-E}"), ["B", "C", "D-E"]);
        assert_eq!(refs("${${X}}"), ["X"]);
        assert_eq!(refs("$HOME ${ not}"), Vec::<&str>::new());
    }

    #[test]
    fn later_overrides_win() {
        let o = Overrides::new("a:b".into());
        assert_eq!(o.list().collect::<Vec<_>>(), ["a", "b"]);
        assert!(o.contains("a") && o.contains("b") && !o.contains("c") && !o.contains(""));
        let gaps = Overrides::new("a::b:a".into());
        assert_eq!(gaps.list().collect::<Vec<_>>(), ["a", "", "b", "a"]);
        assert!(gaps.contains("") && gaps.contains("a"));
        let data: Vec<(Value, Value)> = vec![("V:b".into(), "b".into()), ("V:a".into(), "a".into())];
        assert_eq!(pick_override(&data, &o).as_deref(), Some("V:b"));
        let data: Vec<(Value, Value)> = vec![("V:a:b".into(), "a:b".into()), ("V:a".into(), "a".into())];
        assert_eq!(pick_override(&data, &o).as_deref(), Some("V:a:b"));
    }
}
