//! Why a line matched no statement, said as precisely as we can.
//!
//! BitBake says "unparsed line" for all of these; a recipe author deserves
//! to know which part is wrong and what would be right.

use crate::ast::AssignOp;
use crate::error::SyntaxError;
use crate::parser::Logical;
use crate::syntax::{is_space, is_var_char};

const KEYWORDS: &[&str] = &[
    "inherit",
    "inherit_defer",
    "include",
    "include_all",
    "require",
    "export",
    "unset",
    "addtask",
    "deltask",
    "EXPORT_FUNCTIONS",
];

const STATEMENT_HINT: &str = "expected an assignment (`VAR = \"value\"`), a function (`do_x() {`), \
    or one of inherit, include, require, export, unset, addtask, deltask, EXPORT_FUNCTIONS";

/// The error for a line that is no statement.
pub(crate) fn unparsed(line: &Logical<'_>) -> SyntaxError {
    let s: &str = &line.text;
    let indent = s.len() - s.trim_start_matches(is_space).len();
    if indent > 0 {
        return SyntaxError::LeadingWhitespace { at: line.span(0, indent).source_span() };
    }
    if let Some(error) = assignment_like(line) {
        return error;
    }
    let word_len = s.len() - s.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_').len();
    let word = &s[..word_len];
    let hint = match closest(word, KEYWORDS.iter().copied()) {
        Some(keyword) if word != keyword => format!("did you mean `{keyword}`?"),
        Some(keyword) => match keyword {
            "export" => "export takes one variable name: `export VAR` or `export VAR = \"value\"`".to_string(),
            "unset" => "unset takes one variable name, optionally with a flag: `unset VAR` or `unset VAR[flag]`".to_string(),
            _ => format!("`{keyword}` needs at least one argument"),
        },
        None => STATEMENT_HINT.to_string(),
    };
    SyntaxError::UnparsedLine { at: line.whole().source_span(), hint }
}

/// `NAME[flag] <operator-ish> <value-ish>`: say what is wrong with it.
fn assignment_like(line: &Logical<'_>) -> Option<SyntaxError> {
    let s: &str = &line.text;
    let name_end = s.len() - s.trim_start_matches(|c: char| is_var_char(c) && c != ':' && c != '+' && c != '.').len();
    let mut pos = name_end;
    // Extend over `:override` parts and a flag, the way a name is written.
    pos += s[pos..].len() - s[pos..].trim_start_matches(|c: char| is_var_char(c) && c != '+' && c != '.').len();
    if s[pos..].starts_with('[') {
        pos += s[pos..].find(']').map_or(0, |i| i + 1);
    }
    let name = &s[..pos];
    let after_name = s[pos..].trim_start_matches(is_space);
    let op_start = s.len() - after_name.len();
    let op_len = after_name.len() - after_name.trim_start_matches(|c: char| "=:?+.!*<>~-".contains(c)).len();
    // Back off to where the name really ended if the operator was glued on.
    let (name, op_start, op_len) = if op_len == 0 && pos > name_end {
        let rest = &s[name_end..];
        let l = rest.len() - rest.trim_start_matches(|c: char| "=:?+.!*<>~-".contains(c)).len();
        (&s[..name_end], name_end, l)
    } else {
        (name, op_start, op_len)
    };
    if op_len == 0 || name.is_empty() {
        return None;
    }
    let op = &s[op_start..op_start + op_len];
    if !op.contains('=') && !s[op_start + op_len..].trim_start_matches(is_space).starts_with(['"', '\'']) {
        return None;
    }
    let valid = AssignOp::ALL.iter().find(|o| o.as_str() == op);
    if valid.is_none() {
        let hint = match suggest_operator(op) {
            Some(good) => format!("did you mean `{good}`?"),
            None => "the operators are = ?= ??= := += =+ .= =.".to_string(),
        };
        return Some(SyntaxError::UnknownOperator {
            op: op.to_string(),
            at: line.span(op_start, op_start + op_len).source_span(),
            hint,
        });
    }
    let value_text = &s[op_start + op_len..];
    let value_start = s.len() - value_text.trim_start_matches(is_space).len();
    let value = &s[value_start..];
    let Some(quote) = value.chars().next().filter(|&c| c == '"' || c == '\'') else {
        let suggestion = value.replace('"', "\\\"");
        return Some(SyntaxError::UnquotedValue {
            var: name.to_string(),
            op: op.to_string(),
            suggestion,
            at: line.span(value_start, value_start + value.chars().next().map_or(0, char::len_utf8)).source_span(),
        });
    };
    let other = if quote == '"' { '\'' } else { '"' };
    let closing = value[1..].find(quote).map(|i| value_start + 1 + i);
    match closing {
        None => Some(SyntaxError::UnterminatedValue { quote, at: line.span(value_start, value_start + 1).source_span() }),
        Some(_) if value.len() >= 2 && value.ends_with(quote) && value.matches(quote).count() == 3 => {
            Some(SyntaxError::AmbiguousQuotes { quote, other, at: line.span(value_start, s.len()).source_span() })
        }
        Some(close) => {
            let trailing = s[close + 1..].trim_start_matches(is_space);
            let trailing_start = s.len() - trailing.len();
            let hint = if trailing.starts_with('#') {
                "comments must be on a line of their own".to_string()
            } else {
                format!("if the value should contain `{quote}`, quote it with {other} instead")
            };
            Some(SyntaxError::TextAfterValue { at: line.span(trailing_start, s.len()).source_span(), hint })
        }
    }
}

/// The valid operator closest to what was written: the same characters in
/// another order first, then the smallest edit distance.
pub fn suggest_operator(op: &str) -> Option<&'static str> {
    let mut sorted: Vec<char> = op.chars().collect();
    sorted.sort_unstable();
    for good in AssignOp::ALL.iter().map(|o| o.as_str()) {
        let mut g: Vec<char> = good.chars().collect();
        g.sort_unstable();
        if g == sorted {
            return Some(good);
        }
    }
    AssignOp::ALL
        .iter()
        .map(|o| o.as_str())
        // On a tie, prefer an operator made only of characters that were written.
        .map(|good| (strsim::levenshtein(op, good), !good.chars().all(|c| op.contains(c)), good))
        .filter(|&(d, _, _)| d <= 1)
        .min()
        .map(|(_, _, good)| good)
}

/// The candidate closest to `word`, if any is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if word.is_empty() {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(d, c)| d <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_suggestions() {
        assert_eq!(suggest_operator("=:"), Some(":="));
        assert_eq!(suggest_operator("=?"), Some("?="));
        assert_eq!(suggest_operator("==?"), None);
        assert_eq!(suggest_operator("=="), Some("="));
        assert_eq!(suggest_operator("?=?"), Some("??="));
    }

    #[test]
    fn keyword_suggestions() {
        assert_eq!(closest("inhert", KEYWORDS.iter().copied()), Some("inherit"));
        assert_eq!(closest("requir", KEYWORDS.iter().copied()), Some("require"));
        assert_eq!(closest("frobnicate", KEYWORDS.iter().copied()), None);
    }
}
