//! `--echo`: the answer is the request itself — as text, exactly as it arrived (head and body),
//! or as JSON when the client sends `Accept: application/json`. A mirror for learning what a
//! browser, curl or a script really sends.

use serde::Serialize;

use super::{Ctx, Format};
use crate::web::request::{self, header_storage};
use crate::web::response::{Answer, Head};

/// Largest request body `--echo` reads (413 over it).
pub const MAX_BODY: u64 = 1024 * 1024;

#[derive(Serialize)]
struct Echo<'a> {
    client: &'a str,
    method: &'a str,
    target: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    version: &'a str,
    headers: Vec<(&'a str, String)>,
    body: String,
    body_bytes: usize,
}

impl<'s> Ctx<'_, 's> {
    /// The answer to an echo request: `head` is its bytes, its body (de-chunked, empty when
    /// there was none) is in `Scratch::scratch`.
    pub(crate) fn echo(&mut self, head: &[u8], format: Format) -> Answer<'s> {
        let bufs = &mut *self.bufs;
        bufs.body.clear();
        match format {
            Format::Json => json(self.peer, head, &bufs.scratch, &mut bufs.body),
            Format::Text => text(head, &bufs.scratch, &mut bufs.body),
        }
        let len = bufs.body.len();
        let mut head = Head::new(&mut bufs.out, 200, &self.site.common);
        head.content_type(
            match format {
                Format::Json => "application/json",
                Format::Text => "text/plain",
            },
            Some("utf-8"),
        )
        .number("Content-Length", len as u64)
        .header("Cache-Control", "no-store")
        .connection(self.framing.keep, self.framing.minor)
        .finish();
        self.answer(200, self.buffered(len))
    }
}

/// The text answer: the head as received, then the (de-chunked) body.
fn text(head: &[u8], body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(head);
    out.extend_from_slice(body);
}

/// The JSON answer; `head` must be a complete head (it was parsed once already).
fn json(client: &str, head: &[u8], body: &[u8], out: &mut Vec<u8>) {
    let mut storage = header_storage();
    let Ok(Some(req)) = request::parse(head, &mut storage) else {
        // Unreachable for a head that parsed before; answer with something valid anyway.
        out.extend_from_slice(b"{}\n");
        return;
    };
    let (path, query) = match req.target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (req.target, None),
    };
    let echo = Echo {
        client,
        method: req.method_token,
        target: req.target,
        path,
        query,
        version: req.version(),
        headers: req
            .headers
            .iter()
            .map(|h| (h.name, String::from_utf8_lossy(h.value).into_owned()))
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
        body_bytes: body.len(),
    };
    let _ = serde_json::to_writer_pretty(&mut *out, &echo);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_mirror() {
        let head = b"POST /form?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: \xe6\x95\x99\r\n\r\n";
        let mut out = Vec::new();
        json("127.0.0.1:1", head, b"name=value", &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["method"], "POST");
        assert_eq!(v["path"], "/form");
        assert_eq!(v["query"], "a=1");
        assert_eq!(v["headers"][1][0], "X-Test");
        assert_eq!(v["headers"][1][1], "教");
        assert_eq!(v["body"], "name=value");
    }
}
