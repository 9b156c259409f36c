//! The parser: physical lines → logical lines → statements.
//!
//! It follows BitBake's recipe reader line for line (`BBHandler.feeder` and
//! `ConfHandler.feeder`): every line is right-trimmed; inside a function body
//! lines are taken as they are until a line that is exactly `}`; elsewhere a
//! trailing `\` joins the next line (leading whitespace of the continuation is
//! kept), and the joined line is matched against the statement forms in
//! BitBake's order. Unlike BitBake it never stops at the first error: every
//! bad line is reported and parsing resumes on the next one.

use std::borrow::Cow;
use std::sync::Arc;

use crate::ast::{Assign, File, Function, IncludeKind, Stmt, StmtKind};
use crate::error::SyntaxError;
use crate::names::KeywordAt;
use crate::span::{FileId, Span};
use crate::syntax::{self, FuncStart};

/// The result of parsing one file: a tree (of every statement that parsed)
/// plus every error found.
#[derive(Debug, Clone)]
pub struct Parse {
    pub file: FileId,
    pub ast: File,
    pub errors: Vec<SyntaxError>,
}

impl Parse {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Parses a recipe, class or include file.
pub fn parse(file: FileId, text: &str) -> Parse {
    let mut parser = Parser {
        file,
        text,
        // Room for the statements of a usual file (about one for every
        // 60 bytes): grown by doubling, the list was copied four times.
        stmts: Vec::with_capacity(text.len() / 48 + 4),
        errors: Vec::new(),
        block: Block::None,
        residue: Vec::new(),
    };
    let mut offset = 0;
    while offset < text.len() {
        let end = syntax::find_byte(b'\n', &text.as_bytes()[offset..]).map_or(text.len(), |i| offset + i + 1);
        parser.physical_line(offset, syntax::rstrip(&text[offset..end]));
        offset = end;
    }
    parser.end_of_file();
    Parse { file, ast: File { stmts: parser.stmts }, errors: parser.errors }
}

pub(crate) const SCRIPTING_HINT: &str = "grove never runs code while evaluating recipes: set variables with \
     assignments, and write build steps as shell tasks (`do_compile() { ... }`), which run only in the build sandbox";

enum Block {
    None,
    /// Inside `name() {` ... until a line that is exactly `}`.
    Function { start: FuncStart, open: (usize, usize), body: String },
    /// Inside a `def` block: indented, empty and comment lines continue it.
    PythonDef { start: usize, end: usize },
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    stmts: Vec<Stmt>,
    errors: Vec<SyntaxError>,
    block: Block,
    /// Physical pieces `(start, end)` of a statement continued with `\`,
    /// the backslash excluded.
    residue: Vec<(usize, usize)>,
}

/// A statement's text after line joining, with the way back to the file.
pub(crate) struct Logical<'a> {
    pub text: Cow<'a, str>,
    /// `(offset in text, offset in file)` where each physical piece starts,
    /// for a statement continued over several lines; empty for one line.
    pieces: Vec<(usize, usize)>,
    /// Where the text starts in the file, for a statement on one line.
    start: usize,
    file: FileId,
}

impl Logical<'_> {
    fn to_file(&self, offset: usize, is_end: bool) -> usize {
        if self.pieces.is_empty() {
            return self.start + offset;
        }
        let i = self
            .pieces
            .partition_point(|&(l, _)| if is_end { l < offset } else { l <= offset })
            .max(1)
            - 1;
        let (l, p) = self.pieces[i];
        p + (offset - l)
    }

    /// The file span of `text[start..end]`.
    #[inline]
    pub fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.to_file(start, false), self.to_file(end, true))
    }

    #[inline]
    pub fn whole(&self) -> Span {
        self.span(0, self.text.len())
    }
}

impl<'a> Parser<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn residue_is_comment(&self) -> bool {
        self.residue.first().is_some_and(|&(s, _)| self.text[s..].starts_with('#'))
    }

    fn physical_line(&mut self, start: usize, s: &'a str) {
        let end = start + s.len();
        match std::mem::replace(&mut self.block, Block::None) {
            Block::Function { start: f, open, mut body } => {
                if s == "}" {
                    self.close_function(f, open, body, end);
                } else {
                    body.push_str(s);
                    body.push('\n');
                    self.block = Block::Function { start: f, open, body };
                }
                return;
            }
            Block::PythonDef { start: def_start, end: def_end } => {
                if s.is_empty() || s.starts_with('#') || s.starts_with(syntax::is_space) {
                    let end = if s.is_empty() { def_end } else { end };
                    self.block = Block::PythonDef { start: def_start, end };
                    return;
                }
                self.python_def(def_start, def_end);
            }
            Block::None => {}
        }

        if s.starts_with('#') && !self.residue.is_empty() && !self.residue_is_comment() {
            let (first, first_end) = self.residue[0];
            self.errors.push(SyntaxError::CommentInContinuation {
                at: self.span(start, end).source_span(),
                statement: self.span(first, first_end).source_span(),
            });
            return;
        }
        if self.residue_is_comment() && !s.starts_with('#') {
            let (first, first_end) = self.residue[0];
            self.errors.push(SyntaxError::ContinuedComment { at: self.span(first, first_end).source_span() });
            self.residue.clear();
        }
        if s.ends_with('\\') {
            self.residue.push((start, end - 1));
            return;
        }
        let line = if self.residue.is_empty() {
            if s.is_empty() || s.starts_with('#') {
                return;
            }
            Logical { text: Cow::Borrowed(s), pieces: Vec::new(), start, file: self.file }
        } else {
            self.residue.push((start, end));
            let mut text = String::new();
            let mut pieces = Vec::with_capacity(self.residue.len());
            for &(a, b) in &self.residue {
                pieces.push((text.len(), a));
                text.push_str(&self.text[a..b]);
            }
            self.residue.clear();
            Logical { text: Cow::Owned(text), pieces, start, file: self.file }
        };
        if line.text.is_empty() || line.text.starts_with('#') {
            return;
        }
        self.statement(&line);
    }

    fn end_of_file(&mut self) {
        match std::mem::replace(&mut self.block, Block::None) {
            Block::Function { start, open, .. } => {
                let name = start.name.map_or("(anonymous)".to_string(), |(a, b)| self.text[open.0 + a..open.0 + b].to_string());
                let at = self.span(open.0, open.1).source_span();
                if start.python || start.name.is_none() {
                    self.errors.push(self.scripting_error(start, open.0, open.1));
                } else {
                    self.errors.push(SyntaxError::UnclosedFunction { name, at });
                }
            }
            Block::PythonDef { start, end } => self.python_def(start, end),
            Block::None => {}
        }
        if let Some(&(_, last_end)) = self.residue.last() {
            let at = self.span(last_end, last_end + 1).source_span();
            self.errors.push(SyntaxError::DanglingContinuation { at });
        }
    }

    /// One logical line, matched against the statement forms in BitBake's order.
    fn statement(&mut self, line: &Logical<'_>) {
        let s: &str = &line.text;
        if let Some(f) = syntax::function_start(s) {
            let open = (line.to_file(0, false), line.to_file(s.len(), true));
            // Room for a usual body: it is built line by line.
            self.block = Block::Function { start: f, open, body: String::with_capacity(256) };
            return;
        }
        if syntax::is_def(s) {
            let whole = line.whole();
            self.block = Block::PythonDef { start: whole.start as usize, end: whole.end as usize };
            return;
        }
        if let Some(rest) = syntax::directive(s, "EXPORT_FUNCTIONS") {
            let names = syntax::words(rest).map(Arc::from).collect();
            return self.push(StmtKind::ExportFunctions { names }, line);
        }
        if let Some(rest) = syntax::directive(s, "addtask") {
            let (tasks, after, before) = syntax::addtask_parts(syntax::until_hash(rest));
            let kind = StmtKind::AddTask { tasks: tasks.into(), after: after.into(), before: before.into() };
            return self.push(kind, line);
        }
        if let Some(rest) = syntax::directive(s, "deltask") {
            return self.push(StmtKind::DelTask { tasks: syntax::until_hash(rest).into() }, line);
        }
        if syntax::directive(s, "addhandler").is_some() {
            let at = line.whole().source_span();
            self.errors.push(SyntaxError::Scripting { what: "an event handler (`addhandler`)", at, hint: SCRIPTING_HINT });
            return;
        }
        for (keyword, deferred) in [("inherit", false), ("inherit_defer", true)] {
            if let Some(rest) = syntax::directive(s, keyword) {
                if self.no_inline_python(line, rest) {
                    let classes_span = line.span(s.len() - rest.len(), s.len());
                    return self.push(StmtKind::Inherit { classes: rest.into(), classes_span, deferred }, line);
                }
                return;
            }
        }
        if let Some(m) = syntax::assignment(s) {
            return self.assignment(line, m);
        }
        for kind in [IncludeKind::Include, IncludeKind::Require, IncludeKind::IncludeAll] {
            if let Some(rest) = syntax::directive(s, kind.keyword()) {
                if self.no_inline_python(line, rest) {
                    let files_span = line.span(s.len() - rest.len(), s.len());
                    return self.push(StmtKind::Include { kind, files: rest.into(), files_span }, line);
                }
                return;
            }
        }
        if let Some(var) = syntax::export_name(s) {
            return self.push(StmtKind::Export { var: var.into() }, line);
        }
        if let Some((var, flag)) = syntax::unset(s) {
            return self.push(StmtKind::Unset { var: var.into(), flag: flag.map(Arc::from) }, line);
        }
        if syntax::directive(s, "addpylib").is_some() {
            let at = line.whole().source_span();
            self.errors.push(SyntaxError::Scripting { what: "a python library (`addpylib`)", at, hint: SCRIPTING_HINT });
            return;
        }
        if syntax::directive(s, "addfragments").is_some() {
            let at = line.whole().source_span();
            let hint = "configuration fragments are not part of grove's language; use `include` or `require`";
            self.errors.push(SyntaxError::Unsupported { keyword: "addfragments", at, hint });
            return;
        }
        let error = crate::diagnose::unparsed(line);
        self.errors.push(error);
    }

    fn push(&mut self, kind: StmtKind, line: &Logical<'_>) {
        self.stmts.push(Stmt { kind, span: line.whole() });
    }

    /// Reports `${@...}` in `text` (a slice of the line); true if there is none.
    fn no_inline_python(&mut self, line: &Logical<'_>, text: &str) -> bool {
        let base = text.as_ptr() as usize - line.text.as_ptr() as usize;
        match syntax::find_inline_python(text) {
            None => true,
            Some((a, b)) => {
                let at = line.span(base + a, base + b).source_span();
                self.errors.push(SyntaxError::Scripting { what: "inline python `${@...}`", at, hint: SCRIPTING_HINT });
                false
            }
        }
    }

    fn assignment(&mut self, line: &Logical<'_>, m: syntax::AssignMatch) {
        let s: &str = &line.text;
        let var = &s[m.var.0..m.var.1];
        if var.is_empty() {
            let at = line.span(m.op_span.0, m.op_span.1).source_span();
            self.errors.push(SyntaxError::EmptyVariableName { at });
            return;
        }
        if m.flag.is_none() {
            if let Some(error) = old_override_syntax(var, |a, b| line.span(m.var.0 + a, m.var.0 + b)) {
                self.errors.push(error);
                return;
            }
        }
        let value = &s[m.value.0..m.value.1];
        // Inline python needs an `@`: one look at the line rules it out
        // for the name and the value at once.
        if syntax::has_byte(s, b'@') && (!self.no_inline_python(line, var) || !self.no_inline_python(line, value)) {
            return;
        }
        let assign = Assign {
            export: m.export,
            var: var.into(),
            var_span: line.span(m.var.0, m.var.1),
            keyword: KeywordAt::of(var),
            flag: m.flag.map(|(a, b)| Arc::from(&s[a..b])),
            op: m.op,
            value: value.into(),
            value_span: line.span(m.value.0, m.value.1),
        };
        self.push(StmtKind::Assign(assign), line);
    }

    fn close_function(&mut self, f: FuncStart, open: (usize, usize), body: String, end: usize) {
        if f.python || f.name.is_none() {
            let error = self.scripting_error(f, open.0, end);
            self.errors.push(error);
            return;
        }
        let (a, b) = f.name.expect("checked above");
        let name = &self.text[open.0 + a..open.0 + b];
        let name_span = self.span(open.0 + a, open.0 + b);
        if let Some(error) = old_override_syntax(name, |x, y| self.span(open.0 + a + x, open.0 + a + y)) {
            self.errors.push(error);
            return;
        }
        if let Some((x, y)) = syntax::find_inline_python(&body) {
            // Point at the offending text inside the body.
            let body_start = self.text[open.1..].find('\n').map_or(open.1, |i| open.1 + i + 1);
            let (x, y) = syntax::body_offset_to_file(&self.text[body_start..], &body, x, y);
            let at = self.span(body_start + x, body_start + y).source_span();
            self.errors.push(SyntaxError::Scripting { what: "inline python `${@...}`", at, hint: SCRIPTING_HINT });
            return;
        }
        let keyword = KeywordAt::of(name);
        let function = Function { name: name.into(), name_span, keyword, body: body.into(), fakeroot: f.fakeroot };
        self.stmts.push(Stmt { kind: StmtKind::Function(function), span: self.span(open.0, end) });
    }

    fn scripting_error(&self, f: FuncStart, start: usize, end: usize) -> SyntaxError {
        let what = if f.name.is_none() { "an anonymous python function" } else { "a python function" };
        SyntaxError::Scripting { what, at: self.span(start, end).source_span(), hint: SCRIPTING_HINT }
    }

    fn python_def(&mut self, start: usize, end: usize) {
        let at = self.span(start, end).source_span();
        self.errors.push(SyntaxError::Scripting { what: "a python `def` block", at, hint: SCRIPTING_HINT });
    }
}

/// BitBake refuses `FOO_append` and friends since it moved to `:` overrides;
/// so do we, with the spelling that works.
fn old_override_syntax(name: &str, span: impl Fn(usize, usize) -> Span) -> Option<SyntaxError> {
    // `name.find("_append")`, then `_prepend`, then `_remove`, in one pass
    // over the `_`s (most names have some): the first `_append` wins at
    // once, the others only if no `_append` follows.
    const KEYWORDS: [&str; 3] = ["append", "prepend", "remove"];
    let bytes = name.as_bytes();
    let mut first: [Option<usize>; 3] = [None; 3];
    for i in (0..bytes.len()).filter(|&i| bytes[i] == b'_') {
        let k = match bytes.get(i + 1) {
            Some(b'a') => 0,
            Some(b'p') => 1,
            Some(b'r') => 2,
            _ => continue,
        };
        if first[k].is_none() && bytes[i + 1..].starts_with(KEYWORDS[k].as_bytes()) {
            first[k] = Some(i);
            if k == 0 {
                break;
            }
        }
    }
    let (i, keyword) = first.iter().zip(KEYWORDS).find_map(|(i, k)| Some(((*i)?, k)))?;
    // `_keyword` ends here.
    let end = i + 1 + keyword.len();
    Some(SyntaxError::OldOverrideSyntax {
        found: name.to_string(),
        suggestion: format!("{}:{keyword}{}", &name[..i], &name[end..]),
        at: span(i, end).source_span(),
        keyword: keyword.to_string(),
    })
}
