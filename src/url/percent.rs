//! Percent-decoding of bytes: the fast loop used on streams, and the careful one that reports
//! every `%` that is not followed by two hex digits (such a `%` stays literal, as the WHATWG URL
//! Standard's percent-decode leaves it).

/// The value of a hex digit, or `NOT_HEX`.
const NOT_HEX: u8 = 0xFF;
static HEX: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The byte an escape at `input[at..]` stands for, if `input[at]` starts a valid `%XX`.
#[inline]
pub fn escape_at(input: &[u8], at: usize) -> Option<u8> {
    match input.get(at..at + 3) {
        Some(&[b'%', hi, lo]) => {
            let (hi, lo) = (HEX[hi as usize], HEX[lo as usize]);
            ((hi | lo) < 16).then_some(hi << 4 | lo)
        }
        _ => None,
    }
}

/// Decode a chunk of whole lines (each ending in `\n`) in one pass, dropping the `\r` of every
/// `\r\n`. Appends to `out` and returns `false` if any `%` was invalid (it is copied literally):
/// the caller then redoes the chunk carefully to report where.
pub fn decode_lines_fast(chunk: &[u8], plus_is_space: bool, out: &mut Vec<u8>) -> bool {
    if plus_is_space {
        decode_lines::<true>(chunk, out)
    } else {
        decode_lines::<false>(chunk, out)
    }
}

/// The loop behind [`decode_lines_fast`] (after the SIMD loop, where the machine has one): runs of plain bytes are copied eight at a time (a word
/// is tested for `%`, `\r` and `+` at once), runs of escapes are decoded one after another.
fn decode_lines<const FORM: bool>(chunk: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    out.resize(start + chunk.len(), 0);
    let dst = &mut out[start..];
    let n = chunk.len();
    let (mut i, mut j, mut clean) = (0, 0, true);
    #[cfg(target_arch = "x86_64")]
    if super::simd::available() {
        (i, j, clean) = super::simd::decode::<FORM>(chunk, dst);
    }
    while i < n {
        while i + 8 <= n {
            let word: [u8; 8] = chunk[i..i + 8].try_into().unwrap_or_default();
            if special_in::<FORM>(u64::from_le_bytes(word)) {
                break;
            }
            dst[j..j + 8].copy_from_slice(&word);
            i += 8;
            j += 8;
        }
        let Some(&byte) = chunk.get(i) else { break };
        match byte {
            b'%' => match escape_at(chunk, i) {
                Some(value) => {
                    dst[j] = value;
                    i += 3;
                }
                None => {
                    clean = false;
                    dst[j] = b'%';
                    i += 1;
                }
            },
            b'\r' if chunk.get(i + 1) == Some(&b'\n') => {
                i += 1;
                continue;
            }
            b'+' if FORM => {
                dst[j] = b' ';
                i += 1;
            }
            _ => {
                dst[j] = byte;
                i += 1;
            }
        }
        j += 1;
    }
    out.truncate(start + j);
    clean
}

/// A query's pair: the name's and the value's ranges of the decoded query.
pub type Pair = (std::ops::Range<usize>, std::ops::Range<usize>);

/// Percent-decode a query and find its pairs in the same pass: `out` gets the query decoded
/// (`+` a space when `plus_is_space`), and `pairs` the ranges of `out` (from where it started)
/// of each non-empty `&`-separated pair, split at its first `=`. The split is where the query
/// has `&` and `=`, never where an escape (`%26`, `%3D`) decodes to one. Returns `false` if a
/// `%` started no escape (it is copied literally).
pub fn decode_query(
    input: &[u8],
    plus_is_space: bool,
    out: &mut Vec<u8>,
    pairs: &mut Vec<Pair>,
) -> bool {
    let start = out.len();
    out.resize(start + input.len(), 0);
    let dst = &mut out[start..];
    let (mut i, mut j) = (0, 0);
    let mut clean = true;
    let (mut pair, mut eq) = (0, None);
    let mut end_pair = |pair: usize, eq: Option<usize>, end: usize| {
        if end > pair {
            let name_end = eq.unwrap_or(end);
            pairs.push((pair..name_end, eq.map_or(end, |e| e + 1)..end));
        }
    };
    while i < input.len() {
        let byte = input[i];
        dst[j] = match byte {
            b'%' => match escape_at(input, i) {
                Some(value) => {
                    dst[j] = value;
                    i += 3;
                    j += 1;
                    continue;
                }
                None => {
                    clean = false;
                    byte
                }
            },
            b'&' => {
                end_pair(pair, eq, j);
                (pair, eq) = (j + 1, None);
                byte
            }
            b'=' => {
                eq = eq.or(Some(j));
                byte
            }
            b'+' if plus_is_space => b' ',
            _ => byte,
        };
        i += 1;
        j += 1;
    }
    end_pair(pair, eq, j);
    out.truncate(start + j);
    clean
}

/// Whether any byte of `word` is `%` or `\r` (or `+` in form mode).
#[inline(always)]
fn special_in<const FORM: bool>(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut found =
        zero_byte(word ^ (ONES * b'%' as u64)) | zero_byte(word ^ (ONES * b'\r' as u64));
    if FORM {
        found |= zero_byte(word ^ (ONES * b'+' as u64));
    }
    found != 0
}

/// Percent-decode one input, appending to `out`; `bad(offset)` is called with the offset of every
/// `%` that does not start a valid escape (it is kept literally).
///
/// Inputs here are mostly short URL parts, where a plain loop beats a vectorised search.
pub fn decode_reporting(
    input: &[u8],
    plus_is_space: bool,
    out: &mut Vec<u8>,
    mut bad: impl FnMut(usize),
) {
    let start = out.len();
    out.resize(start + input.len(), 0);
    let dst = &mut out[start..];
    let (mut i, mut j) = (0, 0);
    while i < input.len() {
        let byte = input[i];
        if byte == b'%' {
            if let Some(value) = escape_at(input, i) {
                dst[j] = value;
                i += 3;
                j += 1;
                continue;
            }
            bad(i);
        }
        dst[j] = if plus_is_space && byte == b'+' {
            b' '
        } else {
            byte
        };
        i += 1;
        j += 1;
    }
    out.truncate(start + j);
}

/// The offset in `input` of the byte that decoded to `decoded_offset` (for error messages).
pub fn input_offset(input: &[u8], decoded_offset: usize) -> usize {
    let (mut i, mut produced) = (0, 0);
    while i < input.len() && produced < decoded_offset {
        i += if escape_at(input, i).is_some() { 3 } else { 1 };
        produced += 1;
    }
    i
}

/// Whether `input` has anything to decode: a `%`, or a `+` when it means a space.
pub fn needs_decoding(input: &[u8], plus_is_space: bool) -> bool {
    input
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(input: &str, plus: bool) -> (String, bool) {
        let mut out = Vec::new();
        let clean = decode_lines_fast(input.as_bytes(), plus, &mut out);
        (String::from_utf8(out).unwrap(), clean)
    }

    #[test]
    fn a_query_is_decoded_and_split_in_one_pass() {
        let (mut out, mut pairs) = (Vec::new(), Vec::new());
        let clean = decode_query(b"a=1&&b=x%26y%3Dz&c&=v&d=e=f", true, &mut out, &mut pairs);
        assert!(clean);
        assert_eq!(out, b"a=1&&b=x&y=z&c&=v&d=e=f");
        let text = |r: &std::ops::Range<usize>| std::str::from_utf8(&out[r.clone()]).unwrap();
        let got: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (text(n), text(v))).collect();
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("b", "x&y=z"),
                ("c", ""),
                ("", "v"),
                ("d", "e=f")
            ]
        );
        pairs.clear();
        out.clear();
        assert!(!decode_query(b"q=a+b%zz", true, &mut out, &mut pairs));
        assert_eq!(out, b"q=a b%zz");
    }

    #[test]
    fn decodes_the_notes_query() {
        assert_eq!(
            fast("wd=python%E6%95%99%E7%A8%8B\n", false),
            ("wd=python教程\n".into(), true)
        );
    }

    #[test]
    fn crlf_becomes_lf_but_lone_cr_stays() {
        assert_eq!(fast("a\r\nb\rc\n", false), ("a\nb\rc\n".into(), true));
    }

    #[test]
    fn invalid_escapes_stay_literal_and_are_flagged() {
        assert_eq!(fast("100%\n", false), ("100%\n".into(), false));
        assert_eq!(fast("%zz%4\n", false), ("%zz%4\n".into(), false));
        assert_eq!(fast("%4", false), ("%4".into(), false));
    }

    #[test]
    fn plus_is_space_only_in_form_mode() {
        assert_eq!(fast("a+b%2B\n", false).0, "a+b+\n");
        assert_eq!(fast("a+b%2B\n", true).0, "a b+\n");
    }

    #[test]
    fn reporting_decoder_names_offsets() {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        decode_reporting(b"a%zzb%41%", false, &mut out, |at| bad.push(at));
        assert_eq!(out, b"a%zzbA%");
        assert_eq!(bad, vec![1, 8]);
    }

    /// The careful decoder, line by line, as the reference for the fast one.
    fn reference(chunk: &[u8], plus: bool) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut clean = true;
        for line in chunk.split_inclusive(|&b| b == b'\n') {
            let (body, end): (&[u8], &[u8]) = match line.strip_suffix(b"\r\n") {
                Some(body) => (body, b"\n"),
                None => match line.strip_suffix(b"\n") {
                    Some(body) => (body, b"\n"),
                    None => (line, b""),
                },
            };
            decode_reporting(body, plus, &mut out, |_| clean = false);
            out.extend_from_slice(end);
        }
        (out, clean)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Whatever the machine (the AVX-512 loop, or only the scalar one), the one-pass decoder
        /// gives what the careful one gives, on inputs dense in escapes, line ends and `+`.
        #[test]
        fn fast_decoder_agrees_with_the_careful_one(
            chunk in proptest::collection::vec(
                proptest::sample::select(&b"%%%%2e4AfFgz+\r\n\n x\xE6\x95"[..]), 0..400),
            plus in proptest::bool::ANY,
        ) {
            let mut fast = Vec::new();
            let clean = decode_lines_fast(&chunk, plus, &mut fast);
            let (expected, expected_clean) = reference(&chunk, plus);
            proptest::prop_assert_eq!(clean, expected_clean);
            if clean {
                proptest::prop_assert_eq!(fast, expected);
            }
        }
    }

    #[test]
    fn input_offset_maps_back() {
        let input = b"ab%E6%95x";
        assert_eq!(input_offset(input, 0), 0);
        assert_eq!(input_offset(input, 2), 2);
        assert_eq!(input_offset(input, 3), 5);
        assert_eq!(input_offset(input, 4), 8);
    }
}
