//! The statement productions of one logical line.
//!
//! Each function matches exactly what the corresponding BitBake regular
//! expression matches (named in its doc comment), so that a recipe means the
//! same thing to grove and to BitBake. They are anchored at the start of the
//! line, like Python's `re.match`.

use nom::bytes::complete::{take_while, take_while1};
use nom::{IResult, Parser};

use crate::ast::AssignOp;

/// Python's `str.isspace`, which BitBake's `rstrip()` and `\s` use.
#[inline]
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

#[inline]
fn skip_space(s: &str) -> &str {
    // Nearly always a few ASCII blanks: those first, by byte.
    let blanks = s.bytes().position(|b| b != b' ' && b != b'\t').unwrap_or(s.len());
    let rest = &s[blanks..];
    match rest.as_bytes().first() {
        Some(&b) if !b.is_ascii() || is_space(char::from(b)) => rest.trim_start_matches(is_space),
        _ => rest,
    }
}

/// Characters of a variable name in an assignment, `export` or `unset`.
pub const fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.' | '$' | '{' | '}' | '/' | '~' | ':')
}

fn is_flag_first(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.')
}

fn is_flag_char(c: char) -> bool {
    is_flag_first(c) || matches!(c, '@' | '/')
}

/// Whether `s` holds the byte `b`. For the short strings of recipes (names,
/// one-line values) a loop without an early exit, which the compiler turns
/// into vector instructions, beats setting up a `memchr` search.
pub fn has_byte(s: &str, b: u8) -> bool {
    s.as_bytes().iter().fold(false, |found, &c| found | (c == b))
}

/// Python's `s.split()`, which BitBake uses for every list (`DEPENDS`,
/// `SRC_URI`, `inherit`, `:remove`, ...): runs of [`is_space`] characters
/// separate words. That is Rust's `split_whitespace` plus the separators
/// `\x1c`-`\x1f`, which Python counts as whitespace and Rust does not.
/// By byte when `s` is ASCII (names and lists of names nearly always are):
/// Unicode's rules decode every character.
pub fn words(s: &str) -> impl Iterator<Item = &str> {
    // ASCII whitespace as `is_space` has it: \t \n \x0b \x0c \r, and
    // \x1c-\x1f with the space (28-32); a word's bytes fail the first test.
    let space = |&c: &u8| c <= b' ' && (c >= 0x1c || c.wrapping_sub(b'\t') < 5);
    let ascii = s.is_ascii();
    let mut rest = s;
    std::iter::from_fn(move || {
        let (start, end) = if ascii {
            let bytes = rest.as_bytes();
            let start = bytes.iter().position(|c| !space(c))?;
            (start, bytes[start..].iter().position(space).map_or(bytes.len(), |n| start + n))
        } else {
            let start = rest.find(|c| !is_space(c))?;
            (start, rest[start..].find(is_space).map_or(rest.len(), |n| start + n))
        };
        let word = &rest[start..end];
        rest = &rest[end..];
        Some(word)
    })
}

/// The first `b` in `bytes`. What is searched is short (a line, a name,
/// a value): a plain loop under 16 bytes; above, memchr's SSE2 routine
/// called directly. Its default routine is chosen at run time and reached
/// through a pointer, which costs more than most of these searches.
#[inline]
pub fn find_byte(b: u8, bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 16 {
        return bytes.iter().position(|&c| c == b);
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(b) {
        return one.find(bytes);
    }
    memchr::memchr(b, bytes)
}

/// The last `b` in `bytes` (see [`find_byte`]).
#[inline]
pub fn rfind_byte(b: u8, bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 16 {
        return bytes.iter().rposition(|&c| c == b);
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(b) {
        return one.rfind(bytes);
    }
    memchr::memrchr(b, bytes)
}

/// Whether the quoted text `q` (its first and last byte the quote `b`)
/// holds exactly one more `b`. Values are searched with [`find_byte`], which
/// finds the usual none at once (a count went byte by byte: 1% of all
/// instructions).
fn one_more_quote(q: &str, b: u8) -> bool {
    let inner = &q.as_bytes()[1..q.len() - 1];
    match find_byte(b, inner) {
        Some(i) => find_byte(b, &inner[i + 1..]).is_none(),
        None => false,
    }
}

/// `keyword\s+(.+)`: the text after the keyword and its whitespace.
#[inline]
pub fn directive<'a>(s: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(keyword)?;
    let after = skip_space(rest);
    (after.len() < rest.len() && !after.is_empty()).then_some(after)
}

/// `[^#\n]+`: the text before a comment.
pub fn until_hash(s: &str) -> &str {
    s.split('#').next().unwrap_or("")
}

/// The start of a function, `__func_start_regexp__`:
/// `((python(?=\s|\()|fakeroot(?=\s))\s*)*(NAME)?\s*\(\s*\)\s*{$`.
#[derive(Debug, Clone, Copy)]
pub struct FuncStart {
    pub python: bool,
    pub fakeroot: bool,
    /// The name's byte range within the line.
    pub name: Option<(usize, usize)>,
}

pub fn function_start(line: &str) -> Option<FuncStart> {
    // Every form ends with `{`; most lines are not functions.
    if !line.ends_with('{') {
        return None;
    }
    let mut f = FuncStart { python: false, fakeroot: false, name: None };
    let mut s = line;
    loop {
        if let Some(rest) = s.strip_prefix("python") {
            if rest.starts_with(|c: char| is_space(c) || c == '(') {
                f.python = true;
                s = skip_space(rest);
                continue;
            }
        }
        if let Some(rest) = s.strip_prefix("fakeroot") {
            if rest.starts_with(is_space) {
                f.fakeroot = true;
                s = skip_space(rest);
                continue;
            }
        }
        break;
    }
    let name_len = s.len() - s.trim_start_matches(is_func_name_char).len();
    if name_len > 0 {
        let start = line.len() - s.len();
        f.name = Some((start, start + name_len));
    }
    let rest = skip_space(&s[name_len..]);
    let rest = skip_space(rest.strip_prefix('(')?);
    let rest = skip_space(rest.strip_prefix(')')?);
    (rest == "{").then_some(f)
}

fn is_func_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+' | '{' | '}' | '$' | ':')
}

/// `def\s+(\w+).*:`: the start of a python function definition.
pub fn is_def(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("def") else { return false };
    let after = skip_space(rest);
    if after.len() == rest.len() {
        return false;
    }
    let name_len = after.len() - after.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_').len();
    name_len > 0 && after[name_len..].contains(':')
}

/// Splits the text of `addtask` into tasks, `after` and `before` the way
/// BitBake does (on the words " before " and " after ").
pub fn addtask_parts(text: &str) -> (String, String, String) {
    let tasks = text.split(" before ").next().unwrap_or("").split(" after ").next().unwrap_or("");
    let mut after = String::new();
    for part in text.split(" before ") {
        let pieces: Vec<&str> = part.split(" after ").collect();
        if pieces.len() > 1 {
            after.push_str(&pieces[1..].join(" "));
        }
    }
    let mut before = String::new();
    for part in text.split(" after ") {
        let pieces: Vec<&str> = part.split(" before ").collect();
        if pieces.len() > 1 {
            before.push_str(&pieces[1..].join(" "));
        }
    }
    (tasks.to_string(), after, before)
}

/// `export\s+([a-zA-Z0-9\-_+.${}/~]+)$`
pub fn export_name(s: &str) -> Option<&str> {
    let name = directive(s, "export")?;
    name.chars().all(|c| is_var_char(c) && c != ':').then_some(name)
}

/// `unset NAME` or `unset NAME[flag]`. BitBake's own expressions refuse `:`
/// in the name and one-letter flags; grove accepts both, as they mean
/// exactly what they say.
pub fn unset(s: &str) -> Option<(&str, Option<&str>)> {
    let rest = directive(s, "unset")?;
    let name_len = rest.len() - rest.trim_start_matches(is_var_char).len();
    let (name, rest) = rest.split_at(name_len);
    if name.is_empty() {
        return None;
    }
    if rest.is_empty() {
        return Some((name, None));
    }
    let flag = rest.strip_prefix('[')?.strip_suffix(']')?;
    let valid = flag.starts_with(is_flag_first) && flag.chars().all(|c| is_flag_first(c) || c == '@');
    valid.then_some((name, Some(flag)))
}

/// A matched assignment: byte ranges within the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignMatch {
    pub export: bool,
    pub var: (usize, usize),
    pub flag: Option<(usize, usize)>,
    pub op: AssignOp,
    pub op_span: (usize, usize),
    pub value: (usize, usize),
}

/// The operator `s` starts with, and the text after it. BitBake tries
/// `:=`, `??=`, `?=`, `+=`, `=+`, `=.`, `.=` and `=` in that order; this
/// match on the first bytes says the same (a test holds them together).
pub fn operator(s: &str) -> Option<(&str, AssignOp)> {
    let b = s.as_bytes();
    let (len, op) = match (*b.first()?, b.get(1).copied(), b.get(2).copied()) {
        (b':', Some(b'='), _) => (2, AssignOp::Immediate),
        (b'?', Some(b'?'), Some(b'=')) => (3, AssignOp::WeakDefault),
        (b'?', Some(b'='), _) => (2, AssignOp::Default),
        (b'+', Some(b'='), _) => (2, AssignOp::Append),
        (b'=', Some(b'+'), _) => (2, AssignOp::Prepend),
        (b'=', Some(b'.'), _) => (2, AssignOp::DotPrepend),
        (b'.', Some(b'='), _) => (2, AssignOp::DotAppend),
        (b'=', _, _) => (1, AssignOp::Set),
        _ => return None,
    };
    Some((&s[len..], op))
}

fn flag_name(s: &str) -> IResult<&str, &str> {
    let (rest, _) = take_while1(is_flag_first).parse(s)?;
    let (rest, _) = take_while(is_flag_char).parse(rest)?;
    Ok((rest, &s[..s.len() - rest.len()]))
}

/// `__config_regexp__`:
/// `^(export\s+)?(VAR*?)(\[FLAG\])?\s*OP\s*(?!'[^']*'[^']*'$)(?!"[^"]*"[^"]*"$)(['"])(.*)\4$`
pub fn assignment(line: &str) -> Option<AssignMatch> {
    if let Some(rest) = line.strip_prefix("export") {
        let after = skip_space(rest);
        if after.len() < rest.len() {
            if let Some(m) = assignment_body(line, line.len() - after.len(), true) {
                return Some(m);
            }
        }
    }
    assignment_body(line, 0, false)
}

/// [`is_var_char`] by byte: every character of a name is ASCII.
static VAR_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = is_var_char(b as u8 as char);
        b += 1;
    }
    table
};

fn assignment_body(line: &str, start: usize, export: bool) -> Option<AssignMatch> {
    let name = &line.as_bytes()[start..];
    // The variable name is matched lazily: the shortest name after which the
    // rest of the line is an operator and a quoted value wins. Inside the
    // name only `:`, `+` and `.` can start an operator, so only those
    // positions (and the name's end) can match; they are tried as the one
    // pass over the name finds them, in order.
    let mut end = 0;
    while end < name.len() && VAR_BYTE[usize::from(name[end])] {
        if matches!(name[end], b':' | b'+' | b'.') {
            if let Some(m) = assignment_rest(line, start, end, export) {
                return Some(m);
            }
        }
        end += 1;
    }
    assignment_rest(line, start, end, export)
}

fn assignment_rest(line: &str, start: usize, var_end: usize, export: bool) -> Option<AssignMatch> {
    let at = |rest: &str| line.len() - rest.len();
    let mut rest = &line[start + var_end..];
    let mut flag = None;
    if let Some(inner) = rest.strip_prefix('[') {
        if let Ok((after, name)) = flag_name(inner) {
            if let Some(after) = after.strip_prefix(']') {
                let a = at(inner);
                flag = Some((a, a + name.len()));
                rest = after;
            }
        }
    }
    rest = skip_space(rest);
    // Most positions of a lazily matched name are no operator at all.
    if !rest.starts_with([':', '?', '+', '=', '.']) {
        return None;
    }
    let op_start = at(rest);
    let (after_op, op) = operator(rest)?;
    let op_end = at(after_op);
    let quoted = skip_space(after_op);
    let quote = quoted.chars().next().filter(|&c| c == '"' || c == '\'')?;
    if quoted.len() < 2 || !quoted.ends_with(quote) || one_more_quote(quoted, quote as u8) {
        return None;
    }
    let value_start = at(quoted) + 1;
    Some(AssignMatch {
        export,
        var: (start, start + var_end),
        flag,
        op,
        op_span: (op_start, op_end),
        value: (value_start, line.len() - 1),
    })
}

/// Finds inline python, `${@` followed by anything but `}`: BitBake would
/// run it as Python. Returns its byte range (to the closing brace if any).
pub fn find_inline_python(s: &str) -> Option<(usize, usize)> {
    if !has_byte(s, b'@') {
        return None;
    }
    let mut from = 0;
    while let Some(i) = s[from..].find("${@") {
        let start = from + i;
        let after = &s[start + 3..];
        if !after.is_empty() && !after.starts_with('}') {
            let line_end = after.find('\n').unwrap_or(after.len());
            let end = after[..line_end].rfind('}').map_or(start + 3 + line_end, |j| start + 3 + j + 1);
            return Some((start, end));
        }
        from = start + 3;
    }
    None
}

/// Maps a range in a function body (lines right-trimmed) back to the file
/// text that starts where the body starts.
pub fn body_offset_to_file(file: &str, body: &str, start: usize, end: usize) -> (usize, usize) {
    let map = |offset: usize| {
        let line = body[..offset].matches('\n').count();
        let col = offset - body[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_start: usize = file.split_inclusive('\n').take(line).map(str::len).sum();
        line_start + col
    };
    (map(start), map(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(s: &str) -> Option<(bool, &str, Option<&str>, AssignOp, &str)> {
        assignment(s).map(|m| (m.export, &s[m.var.0..m.var.1], m.flag.map(|(a, b)| &s[a..b]), m.op, &s[m.value.0..m.value.1]))
    }

    /// The assignment operators, in the order BitBake tries them.
    const OPERATORS: [(&str, AssignOp); 8] = [
        (":=", AssignOp::Immediate),
        ("??=", AssignOp::WeakDefault),
        ("?=", AssignOp::Default),
        ("+=", AssignOp::Append),
        ("=+", AssignOp::Prepend),
        ("=.", AssignOp::DotPrepend),
        (".=", AssignOp::DotAppend),
        ("=", AssignOp::Set),
    ];

    #[test]
    fn words_split_as_python_does() {
        // Python's `str.split()`: runs of `str.isspace()` characters, which
        // are Rust's whitespace and \x1c-\x1f.
        let python = |t: &str| t.split(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)).filter(|w| !w.is_empty()).map(String::from).collect::<Vec<_>>();
        let pieces = ["a", "bc", " ", "\t", "\n", "\x0b", "\x0c", "\r", "\x08", "\x0e", "\x1c", "\x1f", "\x1b", "!", "\u{a0}", "\u{85}", "\u{200b}", "é", "  "];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
            for t in &texts {
                assert_eq!(words(t).collect::<Vec<_>>(), python(t), "{t:?}");
            }
        }
        // The separators Rust's `split_whitespace` keeps inside a word.
        assert_eq!(words("a\x1cb\x1dc\x1ed\x1fe").collect::<Vec<_>>(), ["a", "b", "c", "d", "e"]);
        assert_eq!(words("é\x1fb").collect::<Vec<_>>(), ["é", "b"]);
    }

    #[test]
    fn byte_searches_find_what_position_does() {
        for len in 0..80 {
            let text: Vec<u8> = (0..len).map(|i| b"ab:c/\n$"[i % 7]).collect();
            for b in [b':', b'/', b'\n', b'$', b'z'] {
                assert_eq!(find_byte(b, &text), text.iter().position(|&c| c == b), "{len} {b}");
                assert_eq!(rfind_byte(b, &text), text.iter().rposition(|&c| c == b), "{len} {b}");
            }
        }
    }

    #[test]
    fn one_more_quote_is_a_count_of_three() {
        for q in ["''", "'a'", "'a'b'", "'a''", "'''", "'a'b'c'", "''''", "'é'ü'"] {
            assert_eq!(one_more_quote(q, b'\''), q.matches('\'').count() == 3, "{q}");
        }
    }

    #[test]
    fn operators_are_matched_as_the_table_orders_them() {
        // Every string of up to four of these characters, each once.
        let alphabet = [":", "?", "+", "=", ".", "x", " "];
        let mut texts = vec![String::new()];
        let mut last = texts.clone();
        for _ in 0..4 {
            last = last.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            texts.extend(last.iter().cloned());
        }
        for text in &texts {
            let by_table = OPERATORS.iter().find_map(|&(token, op)| text.strip_prefix(token).map(|rest| (rest, op)));
            assert_eq!(operator(text), by_table, "{text:?}");
        }
    }

    #[test]
    fn spaces_are_skipped_as_python_strips_them() {
        for text in ["", "  x", "\t \tx", " \u{1c}x", "\u{a0} x", " \u{2003}=", "\n\r x", "x  "] {
            assert_eq!(skip_space(text), text.trim_start_matches(is_space), "{text:?}");
        }
    }

    #[test]
    fn operators_follow_bitbake_precedence() {
        assert_eq!(assign(r#"A = "x""#), Some((false, "A", None, AssignOp::Set, "x")));
        assert_eq!(assign(r#"A:="x""#).unwrap().3, AssignOp::Immediate);
        assert_eq!(assign(r#"A??="x""#).unwrap().3, AssignOp::WeakDefault);
        assert_eq!(assign(r#"A.="x""#).unwrap().3, AssignOp::DotAppend);
        assert_eq!(assign(r#"A=."x""#).unwrap().3, AssignOp::DotPrepend);
        assert_eq!(assign(r#"A =+ "x""#).unwrap().3, AssignOp::Prepend);
        // The name is lazy: `A++=` is an append to `A+`.
        assert_eq!(assign(r#"A++="x""#).unwrap().1, "A+");
        assert_eq!(assign(r#"A:append:foo = "x""#).unwrap().1, "A:append:foo");
    }

    #[test]
    fn values_are_byte_exact_and_quotes_follow_bitbake() {
        assert_eq!(assign(r#"A = "  a  b ""#).unwrap().4, "  a  b ");
        assert_eq!(assign(r#"A = 'say "hi"'"#).unwrap().4, r#"say "hi""#);
        assert_eq!(assign(r#"A = "a"b"c""#).unwrap().4, r#"a"b"c"#);
        assert_eq!(assign(r#"A = "a"b""#), None);
        assert_eq!(assign(r#"A = "x" # no"#), None);
        assert_eq!(assign(r#"A = x"#), None);
        assert_eq!(assign(r#"  A = "x""#), None);
        assert_eq!(assign(r#"A = """#).unwrap().4, "");
    }

    #[test]
    fn flags_and_export() {
        assert_eq!(assign(r#"A[doc] = "d""#), Some((false, "A", Some("doc"), AssignOp::Set, "d")));
        assert_eq!(assign(r#"export A = "v""#), Some((true, "A", None, AssignOp::Set, "v")));
        assert_eq!(assign(r#"export = "v""#).unwrap().1, "");
        assert_eq!(assign(r#"exportA = "v""#).unwrap().1, "exportA");
        assert_eq!(assign(r#"${PN}-x = "v""#).unwrap().1, "${PN}-x");
    }

    #[test]
    fn functions() {
        let f = function_start("do_install() {").unwrap();
        assert_eq!((f.python, f.fakeroot, f.name), (false, false, Some((0, 10))));
        assert!(function_start("python do_x () {").unwrap().python);
        assert!(function_start("python() {").unwrap().name.is_none());
        assert!(function_start("fakeroot do_install() {").unwrap().fakeroot);
        assert_eq!(function_start("pythonic() {").unwrap().name, Some((0, 8)));
        assert!(function_start("do_x() { echo; }").is_none());
        assert!(is_def("def foo(d):"));
        assert!(!is_def("define = \"a\""));
    }

    #[test]
    fn directives() {
        assert_eq!(directive("inherit  a b", "inherit"), Some("a b"));
        assert_eq!(directive("inherit_defer a", "inherit"), None);
        assert_eq!(directive("inherit", "inherit"), None);
        assert_eq!(unset("unset A[doc]"), Some(("A", Some("doc"))));
        assert_eq!(unset("unset A"), Some(("A", None)));
        assert_eq!(unset("unset A B"), None);
        assert_eq!(export_name("export A"), Some("A"));
        assert_eq!(export_name("export A B"), None);
        let (t, a, b) = addtask_parts("do_x after do_a do_b before do_c");
        assert_eq!((t.as_str(), a.as_str(), b.as_str()), ("do_x", "do_a do_b", "do_c"));
    }

    #[test]
    fn inline_python() {
        assert_eq!(find_inline_python("a ${@d.getVar('X')} b"), Some((2, 19)));
        assert_eq!(find_inline_python("echo ${@}"), None);
        assert_eq!(find_inline_python("${A} $@"), None);
    }
}
