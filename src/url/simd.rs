//! The percent-decoding loop on AVX-512 (x86-64 with AVX512-VBMI2: Intel Ice Lake and later,
//! AMD Zen 4 and later), 64 bytes a step.
//!
//! For each block: find the `%` bytes followed by two hex digits, compute every escape's value
//! from the two following bytes at once, put the values in place of the `%`, then squeeze out the
//! hex digits (and the `\r` of each `\r\n`) with one compress. The scalar loop in `percent.rs`
//! finishes what is left, and is what every other machine runs; a test checks both agree.

use std::arch::x86_64::*;

/// Whether this machine can run [`decode`].
pub fn available() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vbmi2")
}

/// Decode as much of `src` as whole 64-byte steps allow into `dst`, from the start of both.
/// Returns (bytes read, bytes written, whether every `%` was a valid escape).
///
/// `dst` must be at least as long as `src`.
pub fn decode<const FORM: bool>(src: &[u8], dst: &mut [u8]) -> (usize, usize, bool) {
    assert!(dst.len() >= src.len());
    assert!(available());
    // SAFETY: the CPU features were just checked.
    unsafe { decode_avx512::<FORM>(src, dst) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
fn decode_avx512<const FORM: bool>(src: &[u8], dst: &mut [u8]) -> (usize, usize, bool) {
    let (mut i, mut j) = (0usize, 0usize);
    let mut bad = 0u64;
    let percent = _mm512_set1_epi8(b'%' as i8);
    let cr = _mm512_set1_epi8(b'\r' as i8);
    let lf = _mm512_set1_epi8(b'\n' as i8);
    let plus = _mm512_set1_epi8(b'+' as i8);
    let space = _mm512_set1_epi8(b' ' as i8);
    let high_nibble = _mm512_set1_epi8(0xF0u8 as i8);
    // Each step reads 66 bytes (three overlapping loads of 64) and writes 64.
    while i + 66 <= src.len() {
        // SAFETY: i + 2 + 64 <= src.len(), so all three loads are inside `src`; the store writes
        // 64 bytes at j, and j <= i (a step never writes more than it reads) so j + 64 <= src.len()
        // <= dst.len().
        let (b0, b1, b2) = unsafe {
            let at = src.as_ptr().add(i);
            (
                _mm512_loadu_si512(at.cast()),
                _mm512_loadu_si512(at.add(1).cast()),
                _mm512_loadu_si512(at.add(2).cast()),
            )
        };
        let (ok1, v1) = hex(b1);
        let (ok2, v2) = hex(b2);
        let pct = _mm512_cmpeq_epi8_mask(b0, percent);
        let escape = pct & ok1 & ok2;
        bad |= pct & !escape;
        let value = _mm512_or_si512(_mm512_and_si512(_mm512_slli_epi16(v1, 4), high_nibble), v2);
        let mut bytes = _mm512_mask_blend_epi8(escape, b0, value);
        if FORM {
            bytes = _mm512_mask_blend_epi8(_mm512_cmpeq_epi8_mask(b0, plus), bytes, space);
        }
        let crlf = _mm512_cmpeq_epi8_mask(b0, cr) & _mm512_cmpeq_epi8_mask(b1, lf);
        let keep = !((escape << 1) | (escape << 2) | crlf);
        let packed = _mm512_maskz_compress_epi8(keep, bytes);
        // SAFETY: see above.
        unsafe { _mm512_storeu_si512(dst.as_mut_ptr().add(j).cast(), packed) };
        j += keep.count_ones() as usize;
        // An escape in the last two places has digits in the next block: step over them.
        i += 64 + ((escape >> 62) & 1) as usize + 2 * ((escape >> 63) as usize);
    }
    (i, j, bad == 0)
}

/// Which bytes are hex digits, and their values.
#[target_feature(enable = "avx512f,avx512bw")]
fn hex(bytes: __m512i) -> (u64, __m512i) {
    let digit = _mm512_sub_epi8(bytes, _mm512_set1_epi8(b'0' as i8));
    let is_digit = _mm512_cmplt_epu8_mask(digit, _mm512_set1_epi8(10));
    let lower = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
    let letter = _mm512_sub_epi8(lower, _mm512_set1_epi8(b'a' as i8));
    let is_letter = _mm512_cmplt_epu8_mask(letter, _mm512_set1_epi8(6));
    let value = _mm512_mask_blend_epi8(
        is_letter,
        digit,
        _mm512_add_epi8(letter, _mm512_set1_epi8(10)),
    );
    (is_digit | is_letter, value)
}
