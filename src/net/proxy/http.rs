//! The client side of HTTP CONNECT (RFC 9110 §9.3.6): ask for a tunnel, with
//! `Proxy-Authorization: Basic` when there are credentials, and read the answer's head a byte at
//! a time, so nothing the target sends after it is swallowed.

use std::io::{Read, Write};

use base64::Engine;

use super::{Credentials, Failure, Target, refused};

/// The most an answer's head may hold.
const MAX_HEAD: usize = 16 * 1024;

/// Open a tunnel to `target` on a socket connected to an HTTP proxy. On success, the proxy's
/// status line, for `-v`.
pub fn handshake<S: Read + Write>(
    socket: &mut S,
    credentials: Option<&Credentials>,
    target: &Target<'_>,
) -> Result<String, Failure> {
    let authority = target.to_string();
    let mut request = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: netlab/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(credentials) = credentials {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", credentials.user, credentials.password));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    socket.write_all(request.as_bytes())?;
    socket.flush()?;

    let head = read_head(socket)?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => {
            let first = String::from_utf8_lossy(head.split(|&b| b == b'\n').next().unwrap_or(&[]))
                .trim_end()
                .to_string();
            return Err(Failure::Garbled(format!(
                "the proxy answered something that is not HTTP: {first:?}"
            )));
        }
    }
    let code = response.code.unwrap_or(0);
    let line = format!(
        "HTTP/1.{} {code} {}",
        response.version.unwrap_or(1),
        response.reason.unwrap_or_default()
    )
    .trim_end()
    .to_string();
    if (200..300).contains(&code) {
        return Ok(line);
    }
    if code == 407 {
        let asks = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("proxy-authenticate"))
            .map(|h| format!("; it asks for {}", String::from_utf8_lossy(h.value)))
            .unwrap_or_default();
        return Err(refused(match credentials {
            Some(credentials) => format!(
                "the proxy rejected the credentials of {:?}: {line}{asks}",
                credentials.user
            ),
            None => {
                format!("the proxy wants credentials: {line}{asks} (give --proxy-auth USER:PASS)")
            }
        }));
    }
    Err(Failure::Refused {
        reason: format!("the proxy refused the tunnel: {line}"),
        // 502 and 504 are the target's fault (Bad Gateway, Gateway Timeout).
        target_side: matches!(code, 502 | 504),
    })
}

/// Bytes up to and including the blank line that ends the head.
fn read_head<S: Read>(socket: &mut S) -> Result<Vec<u8>, Failure> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_HEAD {
            return Err(Failure::Garbled(format!(
                "the proxy's answer head is over {} KiB",
                MAX_HEAD / 1024
            )));
        }
        match socket.read(&mut byte) {
            Ok(0) => {
                let what = if head.is_empty() {
                    "the proxy closed the connection without answering the CONNECT"
                } else {
                    "the proxy closed the connection in the middle of its answer"
                };
                return Err(Failure::Garbled(what.into()));
            }
            Ok(_) => head.push(byte[0]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Failure::Io(err)),
        }
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::super::scripted::scripted;
    use super::*;

    #[test]
    fn connect_sends_basic_credentials_and_leaves_the_tunnel_unread() {
        let answer = b"HTTP/1.1 200 Connection established\r\n\r\nhello";
        let mut socket = scripted(answer);
        let credentials = Credentials::parse("alice:pw").unwrap();
        let target = Target::Addr("[::1]:7".parse().unwrap());
        let line = handshake(&mut socket, Some(&credentials), &target).unwrap();
        assert_eq!(line, "HTTP/1.1 200 Connection established");
        let sent = String::from_utf8(socket.sent).unwrap();
        assert!(
            sent.starts_with("CONNECT [::1]:7 HTTP/1.1\r\nHost: [::1]:7\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains("Proxy-Authorization: Basic YWxpY2U6cHc=\r\n"),
            "{sent}"
        );
        assert_eq!(socket.answers.position() as usize, answer.len() - 5);
    }

    #[test]
    fn refusals_carry_the_status_line() {
        let target = Target::Name("example.test", 443);
        let mut socket = scripted(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        match handshake(&mut socket, None, &target) {
            Err(Failure::Refused { reason, .. }) => assert_eq!(
                reason,
                "the proxy refused the tunnel: HTTP/1.1 403 Forbidden"
            ),
            other => panic!("{other:?}"),
        }
        let mut socket = scripted(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"lab\"\r\n\r\n",
        );
        match handshake(&mut socket, None, &target) {
            Err(Failure::Refused { reason, .. }) => {
                assert!(
                    reason.starts_with("the proxy wants credentials: HTTP/1.1 407"),
                    "{reason}"
                );
                assert!(reason.contains("Basic realm=\"lab\""), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
