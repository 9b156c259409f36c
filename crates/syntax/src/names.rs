//! What evaluation asks of a variable's name as written: whether it ends
//! in `:append`, `:prepend` or `:remove` (BitBake's `__setvar_keyword__`).
//! The answer depends on the name alone, so the parser works it out once
//! for each assignment and function it reads ([`KeywordAt`]): a class's
//! statements are evaluated again for every recipe that inherits it.

/// Which pending list an override-style key adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Append,
    Prepend,
    Remove,
}

impl Keyword {
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Append => ":append",
            Keyword::Prepend => ":prepend",
            Keyword::Remove => ":remove",
        }
    }
}

/// `(?P<base>.*?)(?P<keyword>:append|:prepend|:remove)(:(?P<add>[^A-Z]*))?$`
pub fn split_keyword(var: &str) -> Option<(&str, Keyword, Option<&str>)> {
    if !crate::has_byte(var, b':') {
        return None;
    }
    // Names are short: a plain scan beats memchr's set-up. A keyword is
    // told by the byte after its `:` before any comparison.
    let bytes = var.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] != b':' {
            continue;
        }
        let keyword = match bytes.get(i + 1) {
            Some(b'a') => Keyword::Append,
            Some(b'p') => Keyword::Prepend,
            Some(b'r') => Keyword::Remove,
            _ => continue,
        };
        let Some(after) = var[i..].strip_prefix(keyword.as_str()) else { continue };
        if after.is_empty() {
            return Some((&var[..i], keyword, None));
        }
        if let Some(add) = after.strip_prefix(':') {
            if !add.bytes().any(|c| c.is_ascii_uppercase()) {
                return Some((&var[..i], keyword, Some(add)));
            }
        }
    }
    None
}

/// [`split_keyword`]'s answer for a name, as offsets into it: kept beside
/// the name in the syntax tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordAt {
    /// Where the base name ends (and the keyword starts).
    base_end: u32,
    keyword: Keyword,
    /// Where the overrides after the keyword start, if there are any.
    add_start: Option<u32>,
}

impl KeywordAt {
    pub fn of(name: &str) -> Option<KeywordAt> {
        let (base, keyword, add) = split_keyword(name)?;
        Some(KeywordAt {
            base_end: base.len() as u32,
            keyword,
            add_start: add.map(|a| (name.len() - a.len()) as u32),
        })
    }

    /// The parts of `name`, the name this was worked out for.
    pub fn apply(self, name: &str) -> (&str, Keyword, Option<&str>) {
        (&name[..self.base_end as usize], self.keyword, self.add_start.map(|a| &name[a as usize..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_split_like_bitbake() {
        assert_eq!(split_keyword("A:append"), Some(("A", Keyword::Append, None)));
        assert_eq!(split_keyword("A:append:foo:bar"), Some(("A", Keyword::Append, Some("foo:bar"))));
        assert_eq!(split_keyword("A:foo:remove"), Some(("A:foo", Keyword::Remove, None)));
        assert_eq!(split_keyword("A:append:Foo"), None);
        assert_eq!(split_keyword("A:appendix"), None);
        assert_eq!(split_keyword("A"), None);
    }

    /// The first form, a try of each keyword at each `:`.
    fn reference(var: &str) -> Option<(&str, Keyword, Option<&str>)> {
        for i in var.bytes().enumerate().filter(|&(_, b)| b == b':').map(|(i, _)| i) {
            for keyword in [Keyword::Append, Keyword::Prepend, Keyword::Remove] {
                let Some(after) = var[i..].strip_prefix(keyword.as_str()) else { continue };
                if after.is_empty() {
                    return Some((&var[..i], keyword, None));
                }
                if let Some(add) = after.strip_prefix(':') {
                    if !add.contains(|c: char| c.is_ascii_uppercase()) {
                        return Some((&var[..i], keyword, Some(add)));
                    }
                }
            }
        }
        None
    }

    #[test]
    fn names_split_as_each_keyword_tried_at_each_colon() {
        // Every name of up to four pieces from these.
        let pieces = ["A", ":", "append", "prepend", "remove", "apple", ":Foo", ":x", "é", "pre"];
        let mut names = vec![String::new()];
        for _ in 0..4 {
            names = names.iter().flat_map(|n| pieces.iter().map(move |p| format!("{n}{p}"))).collect();
            for n in &names {
                assert_eq!(split_keyword(n), reference(n), "{n}");
            }
        }
    }

    #[test]
    fn a_kept_split_gives_the_parts_split_keyword_does() {
        for name in ["A:append", "A:append:foo:bar", "A:foo:remove", "A:prepend:", "do_install:append:x86-64", "A:append:Foo", "A", "A:b"] {
            assert_eq!(KeywordAt::of(name).map(|k| k.apply(name)), split_keyword(name), "{name}");
        }
    }
}
