//! `connect`'s byte handling: the hex dump, `--crlf`, and HOST:PORT.

/// Cut `data` into chunks the way reads would (sizes from `seed`, some empty).
fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut state = u32::from(seed) | 1;
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state as usize % 40).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The fuzz target for `connect`'s byte handling. The first byte picks how the rest is cut into
/// reads. Checked, for the `--hexdump` lines: every line is in `hexdump -C`'s layout, offsets
/// run on across chunks, the hex gives back exactly the bytes, the text column shows printable
/// ASCII or `.`, and no control character reaches the terminal; for `--crlf`: the same output
/// however the input is cut, every LF preceded by CR, converting twice changes nothing; for
/// `HOST:PORT`: no panic, ports 1 to 65535, ranges that run forwards, and a split target put
/// back together splits the same way.
pub fn connect(data: &[u8]) {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let pieces = chunks(rest, seed);
    if let Err(why) = check_hexdump(&pieces, rest) {
        panic!("--hexdump: {why}");
    }
    check_crlf(&pieces, rest);
    let text = String::from_utf8_lossy(rest);
    let (target, port) = match text.split_once('\t') {
        Some((target, port)) => (target, Some(port)),
        None => (&*text, None),
    };
    check_host_port(target, port);
}

fn check_hexdump(pieces: &[&[u8]], data: &[u8]) -> Result<(), String> {
    use crate::connect::hexdump::Hexdump;
    let mut dump = Hexdump::new('<');
    let mut text = String::new();
    for piece in pieces {
        text.push_str(&dump.render(piece));
    }
    if let Some(c) = text
        .chars()
        .find(|&c| c != '\n' && (c.is_control() || !c.is_ascii()))
    {
        return Err(format!("{c:?} written to the terminal"));
    }
    let mut bytes = Vec::new();
    for line in text.lines() {
        let offset = line
            .strip_prefix("< ")
            .and_then(|l| l.get(..8))
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .ok_or_else(|| format!("bad start: {line:?}"))?;
        if offset != bytes.len() as u64 {
            return Err(format!(
                "offset {offset:x} after {} bytes: {line:?}",
                bytes.len()
            ));
        }
        if line.get(10..) == Some("  (empty)") {
            continue;
        }
        let (hex, column) = (
            line.get(12..61).ok_or(format!("short line {line:?}"))?,
            line.get(61..).ok_or(format!("short line {line:?}"))?,
        );
        let ascii = column
            .strip_prefix(" |")
            .and_then(|c| c.strip_suffix('|'))
            .ok_or_else(|| format!("bad text column: {line:?}"))?;
        let mut shown = Vec::new();
        for slot in hex.as_bytes().chunks(3) {
            let slot = std::str::from_utf8(slot).unwrap_or("??");
            match slot.trim() {
                "" => {}
                byte => shown.push(
                    u8::from_str_radix(byte, 16)
                        .map_err(|_| format!("bad byte {slot:?}: {line:?}"))?,
                ),
            }
        }
        if shown.is_empty() || shown.len() > 16 || ascii.len() != shown.len() {
            return Err(format!("{} bytes, text {ascii:?}: {line:?}", shown.len()));
        }
        for (&b, c) in shown.iter().zip(ascii.chars()) {
            let expected = if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            };
            if c != expected {
                return Err(format!("byte {b:02x} shown as {c:?}: {line:?}"));
            }
        }
        bytes.extend_from_slice(&shown);
    }
    if bytes != data {
        return Err("the hex does not give back the bytes".into());
    }
    Ok(())
}

fn check_crlf(pieces: &[&[u8]], data: &[u8]) {
    use crate::connect::session::Crlf;
    let mut whole = Vec::new();
    Crlf::default().convert(data, &mut whole);
    let mut cut = Vec::new();
    let mut crlf = Crlf::default();
    for piece in pieces {
        crlf.convert(piece, &mut cut);
    }
    assert_eq!(cut, whole, "--crlf depends on how the input is cut");
    for (i, &b) in whole.iter().enumerate() {
        assert!(
            b != b'\n' || (i > 0 && whole[i - 1] == b'\r'),
            "a bare LF at {i}"
        );
    }
    let mut again = Vec::new();
    Crlf::default().convert(&whole, &mut again);
    assert_eq!(again, whole, "--crlf applied twice adds more");
    let bare = data
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || data[i - 1] != b'\r'))
        .count();
    assert_eq!(
        whole.len(),
        data.len() + bare,
        "--crlf adds one CR per bare LF"
    );
}

fn check_host_port(target: &str, port: Option<&str>) {
    use crate::net::{parse_port, parse_port_range, split_host_port};
    let Ok(split) = split_host_port(target, port) else {
        return;
    };
    assert!(
        !split.host.is_empty() && !split.port.is_empty(),
        "{split:?}"
    );
    if let Ok(p) = parse_port(&split.port) {
        assert!(p >= 1, "port 0 accepted");
        assert_eq!(parse_port_range(&split.port), Ok(p..=p));
    }
    if let Ok(range) = parse_port_range(&split.port) {
        assert!(
            *range.start() >= 1 && range.start() <= range.end(),
            "{range:?}"
        );
    }
    if !split.host.contains(['[', ']']) {
        let joined = if split.host.contains(':') {
            format!("[{}]:{}", split.host, split.port)
        } else {
            format!("{}:{}", split.host, split.port)
        };
        if !split.port.contains(':') {
            let again = split_host_port(&joined, None)
                .unwrap_or_else(|err| panic!("{joined:?} from {target:?}: {err}"));
            assert_eq!(
                (again.host, again.port),
                (split.host, split.port),
                "{joined:?}"
            );
        }
    }
}
