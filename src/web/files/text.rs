//! Whether a text file is UTF-8, for the `charset` its Content-Type names: `charset=utf-8` only
//! when the bytes are UTF-8, else none, so a page's own `<meta charset>` (or the browser's
//! guess) decides, as with python's http.server. A small file is checked whole, once (the
//! verdict is cached with it); a large one by its first [`SMALL_FILE`] bytes on each request.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::SMALL_FILE;

/// The whole of a file is UTF-8 (all ASCII counts: it reads the same in any charset).
pub fn is_utf8(whole: &[u8]) -> bool {
    simdutf8::basic::from_utf8(whole).is_ok()
}

/// The start of a larger file is UTF-8 with some non-ASCII text in it (a character cut at the
/// end of the window is fine). An ASCII start is no evidence: the rest may be GBK, and a
/// page without a charset reads the same as one with the right one as long as it is ASCII.
pub fn starts_as_utf8(start: &[u8]) -> bool {
    let valid = match simdutf8::compat::from_utf8(start) {
        Ok(_) => start,
        Err(err) if err.error_len().is_none() => &start[..err.valid_up_to()],
        Err(_) => return false,
    };
    !valid.is_ascii()
}

/// [`starts_as_utf8`] for an open file larger than [`SMALL_FILE`], its start read into `buf`
/// (one `pread`: a regular file gives all that was asked for unless it ends first).
pub fn file_starts_as_utf8(file: &File, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.resize(SMALL_FILE, 0);
    let got = file.read_at(buf, 0)?;
    Ok(starts_as_utf8(&buf[..got]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_verdicts() {
        let (gbk, _, _) = encoding_rs::GBK.encode("中文测试");
        assert!(is_utf8("中文测试".as_bytes()));
        assert!(is_utf8(b"plain ascii"));
        assert!(!is_utf8(&gbk));
        let text = "中文测试".as_bytes();
        assert!(starts_as_utf8(text));
        assert!(starts_as_utf8(&text[..text.len() - 1]), "a cut character");
        assert!(!starts_as_utf8(&gbk));
        assert!(!starts_as_utf8(b"ascii only, so far"));
    }
}
