//! Reading stdin as chunks of whole lines: large reads, no copy per line, no limit on a line's
//! length (the buffer grows to hold the longest line, and only that).

use std::io::{ErrorKind, Read};

use anyhow::Context;

const CHUNK: usize = 256 * 1024;

/// Call `each` with chunks of whole lines, each line ending in `\n` (one is added to a last line
/// that lacks it).
pub fn for_each_chunk(
    mut reader: impl Read,
    mut each: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            // A line longer than the buffer: make room for it.
            buf.resize(buf.len() * 2, 0);
        }
        let read = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err).context("read stdin"),
        };
        if read == 0 {
            if filled > 0 {
                buf.truncate(filled);
                buf.push(b'\n');
                each(&buf)?;
            }
            return Ok(());
        }
        let searched = filled;
        filled += read;
        if let Some(last) = memchr::memrchr(b'\n', &buf[searched..filled]) {
            let end = searched + last + 1;
            each(&buf[..end])?;
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
    }
}

/// Call `each` with every line of a chunk from [`for_each_chunk`], without its `\n` or `\r\n`.
pub fn each_line(
    chunk: &[u8],
    mut each: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', chunk) {
        let line = &chunk[start..end];
        each(line.strip_suffix(b"\r").unwrap_or(line))?;
        start = end + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8]) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        for_each_chunk(input, |chunk| {
            seen.push(chunk.to_vec());
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn a_last_line_without_newline_gets_one() {
        assert_eq!(chunks(b"a\nb"), vec![b"a\n".to_vec(), b"b\n".to_vec()]);
    }

    #[test]
    fn lines_lose_their_ends() {
        let mut seen = Vec::new();
        each_line(b"a\r\nb\n\nc\rd\n", |line| {
            seen.push(line.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![b"a".to_vec(), b"b".to_vec(), b"".to_vec(), b"c\rd".to_vec()]
        );
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert!(chunks(b"").is_empty());
    }

    #[test]
    fn a_line_longer_than_the_buffer_arrives_whole() {
        let mut input = vec![b'x'; CHUNK * 3 + 5];
        input.push(b'\n');
        input.extend_from_slice(b"short\n");
        let seen = chunks(&input);
        let joined: Vec<u8> = seen.concat();
        assert_eq!(joined, input);
        assert!(seen.iter().all(|c| c.ends_with(b"\n")));
    }
}
