//! Whether a text file is UTF-8, for the `charset` its Content-Type names: `charset=utf-8` only
//! when the bytes are UTF-8, else none, so a page's own `<meta charset>` (or the browser's
//! guess) decides, as with python's http.server. A small file is checked whole, once (the
//! verdict is cached with it); a large one is read through once, and the verdict kept for its
//! identity (device, inode, size, times) by the root's cache.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// The whole of a file is UTF-8 (all ASCII counts: it reads the same in any charset).
pub fn is_utf8(whole: &[u8]) -> bool {
    simdutf8::basic::from_utf8(whole).is_ok()
}

/// Whether all of an open file larger than `SMALL_FILE` is UTF-8, read through `buf` in
/// pieces (a character cut between two pieces is carried over). The caller keeps the verdict
/// for the file's identity, so a file is read for this once, not once a request.
pub fn file_is_utf8(file: &File, buf: &mut Vec<u8>) -> io::Result<bool> {
    const PIECE: usize = 256 * 1024;
    buf.resize(PIECE + 3, 0);
    let mut offset = 0u64;
    // Bytes of a character begun at the end of the last piece, moved to the front.
    let mut carried = 0usize;
    loop {
        let got = file.read_at(&mut buf[carried..carried + PIECE], offset)?;
        if got == 0 {
            return Ok(carried == 0);
        }
        offset += got as u64;
        let piece = &buf[..carried + got];
        carried = match simdutf8::compat::from_utf8(piece) {
            Ok(_) => 0,
            // An incomplete character at the very end: it may finish in the next piece.
            Err(err) if err.error_len().is_none() => piece.len() - err.valid_up_to(),
            Err(_) => return Ok(false),
        };
        let start = piece.len() - carried;
        buf.copy_within(start..start + carried, 0);
    }
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
    }

    #[test]
    fn a_large_file_is_judged_whole() {
        use std::io::Write;
        // ASCII for far longer than one piece, then UTF-8 (or GBK) text, with a character
        // across the boundary of two pieces.
        let mut ascii = vec![b'a'; 256 * 1024 - 1];
        ascii.extend_from_slice("中文测试".as_bytes());
        let (gbk, _, _) = encoding_rs::GBK.encode("中文测试");
        let mut buf = Vec::new();
        for (tail, want) in [(&b""[..], true), (&gbk[..], false)] {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&ascii).unwrap();
            file.write_all(tail).unwrap();
            assert_eq!(file_is_utf8(&file, &mut buf).unwrap(), want);
        }
        // A file that ends inside a character is not UTF-8.
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&"中".as_bytes()[..2]).unwrap();
        assert!(!file_is_utf8(&file, &mut buf).unwrap());
    }
}
