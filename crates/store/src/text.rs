//! The line format shared by the store's text records (commits, artifacts,
//! refs, reflogs, export manifests): `key value` lines, values
//! percent-escaped so that a record is one line per field whatever its
//! text holds (FORMAT.md, "Text records").

/// Escapes `%`, control characters and DEL as `%XX`; everything else
/// (including spaces and non-ASCII UTF-8) stays as it is.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '%' || c.is_ascii_control() {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Reverses [`escape`]; `None` for a malformed escape or a raw control
/// character.
pub(crate) fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                let b = u8::from_str_radix(hex, 16).ok()?;
                if hex.bytes().any(|c| c.is_ascii_lowercase()) {
                    return None;
                }
                out.push(b);
                i += 3;
            }
            c if c.is_ascii_control() => return None,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    let s = String::from_utf8(out).ok()?;
    (escape(&s) == text).then_some(s)
}

/// Splits a record into `(key, rest)` lines after checking its first line
/// is exactly `magic`. The record must end in a newline.
pub(crate) fn fields<'a>(text: &'a str, magic: &str) -> Result<Vec<(&'a str, &'a str)>, String> {
    let Some(body) = text.strip_suffix('\n') else {
        return Err("the record does not end in a newline (it was cut short)".into());
    };
    let mut lines = body.split('\n');
    if lines.next() != Some(magic) {
        return Err(format!("the first line is not `{magic}`"));
    }
    lines
        .map(|line| match line.split_once(' ') {
            Some((k, v)) if !k.is_empty() => Ok((k, v)),
            _ => Err(format!("malformed line `{line}`")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trips() {
        for s in [
            "plain",
            "with space",
            "100%",
            "line\nbreak",
            "tab\t",
            "ünïcode",
            "",
        ] {
            assert_eq!(unescape(&escape(s)).as_deref(), Some(s));
            assert!(!escape(s).contains('\n'));
        }
        assert_eq!(
            unescape("%0a"),
            None,
            "escapes are upper case, so each text has one spelling"
        );
        assert_eq!(unescape("%4"), None);
        assert_eq!(
            unescape("%41"),
            None,
            "`A` needs no escape: one spelling only"
        );
    }
}
