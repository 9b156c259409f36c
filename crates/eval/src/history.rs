//! What `getvar --history` shows: every operation that shaped a variable.
//!
//! Recording is off unless a store is made with
//! [`crate::DataStore::with_history`]; then every write appends one event.

use grove_syntax::Span;

use crate::datastore::Value;

/// One operation on a variable or one of its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub var: Value,
    pub flag: Option<Value>,
    /// BitBake's names: `set`, `set?`, `immediate`, `append`, `:append[foo]`, `del`, ...
    pub op: String,
    /// The value as written in the statement.
    pub detail: Value,
    /// The statement, or `None` for something grove did itself.
    pub at: Option<Span>,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    events: Vec<Event>,
}

impl History {
    pub(crate) fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// A renamed variable (a key with `${...}` expanded) takes its history along.
    pub(crate) fn rename(&mut self, old: &str, new: &str) {
        let copies: Vec<Event> = self
            .events
            .iter()
            .filter(|e| &*e.var == old)
            .map(|e| Event { var: new.into(), ..e.clone() })
            .collect();
        self.events.extend(copies);
    }

    /// Every event on `var` itself (its value and its flags), in order.
    pub fn of(&self, var: &str) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| &*e.var == var)
    }
}
