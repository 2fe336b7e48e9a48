//! The upload form's `multipart/form-data` parser (`web::multipart`).

use crate::web::multipart::{Event, MAX_PART_HEAD, Parser};

/// The boundary every input is parsed with (seeds in the corpus use it).
pub const BOUNDARY: &[u8] = b"XyZ";

/// What a parse gave: each part's head and data, and how it ended (the refusal's status).
type Parsed = (Vec<(String, Vec<u8>)>, Result<(), u16>);

/// The fuzz target for the multipart parser. The first byte picks the piece size the body is
/// fed in (1 to 255; 0: whole); the rest is the body. Checked: no panic; the same parts, data
/// and verdict whole as in pieces; no more data out than went in; events in order (a part's
/// data only between its head and its end); and what the parser holds stays bounded by one
/// piece and a part head.
pub fn multipart(data: &[u8]) {
    let Some((&piece, body)) = data.split_first() else {
        return;
    };
    let whole = parse(body, body.len().max(1));
    let pieces = parse(body, usize::from(piece).max(1));
    assert_eq!(whole, pieces, "whole and in pieces of {piece}");
    let out: usize = whole.0.iter().map(|(_, data)| data.len()).sum();
    assert!(out <= body.len(), "more data out than in");
}

fn parse(body: &[u8], piece: usize) -> Parsed {
    let mut parser = Parser::new(BOUNDARY);
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut open = false;
    for chunk in body.chunks(piece) {
        let fed = parser.feed(chunk, &mut |event| {
            match event {
                Event::Part(head) => {
                    assert!(!open, "a part began inside another");
                    open = true;
                    parts.push((format!("{head:?}"), Vec::new()));
                }
                Event::Data(data) => {
                    assert!(open && !data.is_empty(), "data outside a part, or empty");
                    parts.last_mut().unwrap().1.extend_from_slice(data);
                }
                Event::End => {
                    assert!(open, "an end without a part");
                    open = false;
                }
            }
            Ok(())
        });
        assert!(
            parser.held() <= MAX_PART_HEAD + 2 + 256 + chunk.len(),
            "the parser holds {} bytes",
            parser.held()
        );
        if let Err(reject) = fed {
            return (parts, Err(reject.status));
        }
    }
    let end = parser.finish().map_err(|reject| reject.status);
    (parts, end)
}
