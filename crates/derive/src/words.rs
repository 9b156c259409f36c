//! The words of a shell body that could name a function: the runs of
//! `[A-Za-z0-9_.+-]`. Every reachable body of every recipe is split (a
//! few kilobytes a recipe), so sixteen bytes are classified at a time and
//! only the places where a word starts or ends are visited.

/// Whether a byte belongs to a word.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'+' || b == b'-';
        c += 1;
    }
    t
};

/// Calls `f` with each run of word bytes in `body`, in order.
pub(crate) fn for_each_word<'a>(body: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = body.as_bytes();
    // Where the word under way started, if the last byte seen is in one.
    let mut start: Option<usize> = None;
    #[cfg_attr(not(all(target_arch = "x86_64", target_feature = "sse2")), allow(unused_mut))]
    let mut at = 0;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while at + 16 <= bytes.len() {
        let mask = u32::from(mask16(bytes[at..at + 16].try_into().expect("16 bytes")));
        // A bit for each byte that is a word byte where the one before is
        // not, or the other way round: a word's start or end.
        let mut edges = (mask ^ ((mask << 1) | u32::from(start.is_some()))) & 0xffff;
        while edges != 0 {
            let i = at + edges.trailing_zeros() as usize;
            edges &= edges - 1;
            match start.take() {
                // Word bytes are ASCII, so both ends are character boundaries.
                Some(s) => f(&body[s..i]),
                None => start = Some(i),
            }
        }
        at += 16;
    }
    for (i, &b) in bytes.iter().enumerate().skip(at) {
        match (start, WORD[usize::from(b)]) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                f(&body[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        f(&body[s..]);
    }
}

/// The word bytes of 16 bytes, one bit each.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn mask16(chunk: &[u8; 16]) -> u16 {
    // SAFETY: the function needs SSE2, which this build has (the `cfg`
    // above; every x86_64 processor does).
    unsafe { mask16_sse2(chunk) }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn mask16_sse2(chunk: &[u8; 16]) -> u16 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8, _mm_sub_epi8,
        _mm_xor_si128,
    };
    let (lo, hi) = chunk.split_at(8);
    let v = _mm_set_epi64x(i64::from_le_bytes(hi.try_into().expect("8")), i64::from_le_bytes(lo.try_into().expect("8")));
    // `first <= b < first + n`, unsigned: `b - first` below `n`, which a
    // signed comparison tells once both sides are shifted by 0x80.
    let within = |x: __m128i, first: u8, n: u8| {
        let shifted = _mm_xor_si128(_mm_sub_epi8(x, _mm_set1_epi8(first as i8)), _mm_set1_epi8(i8::MIN));
        _mm_cmplt_epi8(shifted, _mm_set1_epi8((n ^ 0x80) as i8))
    };
    let letter = within(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', 26);
    let digit = within(v, b'0', 10);
    let dash_dot = within(v, b'-', 2);
    let plus = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'+' as i8));
    let underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8));
    let word = _mm_or_si128(_mm_or_si128(letter, digit), _mm_or_si128(dash_dot, _mm_or_si128(plus, underscore)));
    _mm_movemask_epi8(word) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(body: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_each_word(body, |w| out.push(w));
        out
    }

    /// The definition: split at every byte that is not a word byte.
    fn plain(body: &str) -> Vec<&str> {
        body.split(|c: char| !(c.is_ascii() && WORD[c as usize])).filter(|w| !w.is_empty()).collect()
    }

    #[test]
    fn words_are_the_runs_of_word_bytes() {
        let body = "\tinstall -d ${D}${bindir}\n\toe_runmake -C x86_64+arm.y _a é-b\n";
        assert_eq!(words(body), plain(body));
        assert!(words("").is_empty() && words("  \n").is_empty());
        // Words across, and ending at, the sixteen-byte chunks.
        for n in [15, 16, 17, 31, 32, 33, 200] {
            let long = "a".repeat(n);
            assert_eq!(words(&long), vec![long.as_str()]);
            let spaced = format!("{} b", "a".repeat(n));
            assert_eq!(words(&spaced), plain(&spaced));
        }
    }

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[test]
    fn every_byte_is_classified_as_defined() {
        for b in 0..=255u8 {
            for at in [0, 7, 15] {
                let mut chunk = [b' '; 16];
                chunk[at] = b;
                assert_eq!(mask16(&chunk) == 1 << at, WORD[usize::from(b)], "byte {b:#x} at {at}");
            }
        }
    }

    proptest! {
        #[test]
        fn bodies_split_as_the_plain_scan(body in "[a-z_.+\\- \\t\\n${}/\"é0-9]{0,300}") {
            prop_assert_eq!(words(&body), plain(&body));
        }
    }
}
