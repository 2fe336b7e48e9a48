//! `--hexdump`: what went out (`>`) and what came in (`<`), on stderr, in `hexdump -C`'s layout
//! with offsets counted per direction:
//!
//! ```text
//! > 00000000  68 65 6c 6c 6f 0a                                 |hello.|
//! < 00000000  54 68 61 6e 6b 20 79 6f  75 20 66 6f 72 20 63 6f  |Thank you for co|
//! ```

use std::fmt::Write as _;
use std::io::Write as _;

/// One direction's dump: its marker and how many bytes it has shown.
#[derive(Debug)]
pub struct Hexdump {
    marker: char,
    offset: u64,
}

impl Hexdump {
    pub fn new(marker: char) -> Hexdump {
        Hexdump { marker, offset: 0 }
    }

    /// Print a chunk to stderr in one write (so the two directions never mix within a chunk).
    pub fn show(&mut self, bytes: &[u8]) {
        let text = self.render(bytes);
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// The lines for a chunk, sixteen bytes each.
    pub fn render(&mut self, bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len().div_ceil(16) * 80 + 80);
        if bytes.is_empty() {
            // An empty datagram is still worth seeing.
            let _ = writeln!(text, "{} {:08x}  (empty)", self.marker, self.offset);
        }
        for line in bytes.chunks(16) {
            let _ = write!(text, "{} {:08x}  ", self.marker, self.offset);
            for i in 0..16 {
                match line.get(i) {
                    Some(byte) => {
                        let _ = write!(text, "{byte:02x} ");
                    }
                    None => text.push_str("   "),
                }
                if i == 7 {
                    text.push(' ');
                }
            }
            text.push_str(" |");
            text.extend(line.iter().map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            }));
            text.push_str("|\n");
            self.offset += line.len() as u64;
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_look_like_hexdump_c() {
        let mut dump = Hexdump::new('<');
        let text = dump.render(b"Thank you for connecting");
        assert_eq!(
            text,
            "< 00000000  54 68 61 6e 6b 20 79 6f  75 20 66 6f 72 20 63 6f  |Thank you for co|\n\
             < 00000010  6e 6e 65 63 74 69 6e 67                           |nnecting|\n"
        );
    }

    #[test]
    fn offsets_continue_across_chunks() {
        let mut dump = Hexdump::new('>');
        dump.render(b"hello\n");
        let text = dump.render(&[0, 255]);
        assert_eq!(
            text,
            "> 00000006  00 ff                                             |..|\n"
        );
    }
}
