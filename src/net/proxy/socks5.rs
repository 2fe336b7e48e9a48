//! The client side of SOCKS5 (RFC 1928): offer "no authentication" (and RFC 1929's user name and
//! password when there are credentials), ask for a CONNECT to an address or a name, and read the
//! reply whole, so the next byte on the socket is the target's.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};

use super::{Credentials, Failure, Target, refused};

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0;
const USER_PASSWORD: u8 = 2;
const NONE_ACCEPTABLE: u8 = 0xff;
const CONNECT: u8 = 1;

/// RFC 1929 sends each of user and password with a one-byte length.
pub fn check_credentials(credentials: &Credentials) -> Result<(), String> {
    if credentials.user.is_empty() || credentials.user.len() > 255 {
        return Err("a SOCKS5 user name is 1 to 255 bytes".to_string());
    }
    if credentials.password.len() > 255 {
        return Err("a SOCKS5 password is at most 255 bytes".to_string());
    }
    Ok(())
}

/// What a SOCKS5 reply code means, in words (RFC 1928 §6).
pub fn reply_meaning(code: u8) -> &'static str {
    match code {
        0 => "succeeded",
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused by the target",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "an unassigned reply code",
    }
}

/// Open a tunnel to `target` on a socket connected to a SOCKS5 proxy. On success, what the proxy
/// answered, for `-v`: the method it chose and the address it bound.
pub fn handshake<S: Read + Write>(
    socket: &mut S,
    credentials: Option<&Credentials>,
    target: &Target<'_>,
) -> Result<String, Failure> {
    let offer: &[u8] = match credentials {
        Some(_) => &[VERSION, 2, NO_AUTH, USER_PASSWORD],
        None => &[VERSION, 1, NO_AUTH],
    };
    socket.write_all(offer)?;
    let mut choice = [0u8; 2];
    read(socket, &mut choice)?;
    if choice[0] != VERSION {
        return Err(not_socks5(choice[0]));
    }
    let method = match (choice[1], credentials) {
        (NO_AUTH, _) => "no authentication",
        (USER_PASSWORD, Some(credentials)) => {
            authenticate(socket, credentials)?;
            "user name and password, accepted"
        }
        (NONE_ACCEPTABLE, None) => {
            return Err(refused(
                "the proxy asks for a user name and password (give --proxy-auth USER:PASS or \
                 USER:PASS@ in the proxy URL)",
            ));
        }
        (NONE_ACCEPTABLE, Some(_)) => {
            return Err(refused(
                "the proxy accepts none of our authentication methods (none, user name and password)",
            ));
        }
        (other, _) => {
            return Err(Failure::Garbled(format!(
                "the proxy chose authentication method {other:#04x}, which we did not offer"
            )));
        }
    };
    socket.write_all(&request(target)?)?;
    let mut head = [0u8; 4];
    read(socket, &mut head)?;
    if head[0] != VERSION {
        return Err(not_socks5(head[0]));
    }
    if head[1] != 0 {
        return Err(Failure::Refused {
            reason: format!("{} (SOCKS5 reply {})", reply_meaning(head[1]), head[1]),
            target_side: matches!(head[1], 3..=6),
        });
    }
    let bound = bound_address(socket, head[3])?;
    Ok(format!("{method}; reply: succeeded, bound {bound}"))
}

/// RFC 1929: version 1, the user name and the password, each after its length.
fn authenticate<S: Read + Write>(socket: &mut S, credentials: &Credentials) -> Result<(), Failure> {
    check_credentials(credentials).map_err(Failure::Garbled)?;
    let mut message = vec![1, credentials.user.len() as u8];
    message.extend_from_slice(credentials.user.as_bytes());
    message.push(credentials.password.len() as u8);
    message.extend_from_slice(credentials.password.as_bytes());
    socket.write_all(&message)?;
    let mut status = [0u8; 2];
    read(socket, &mut status)?;
    if status[1] != 0 {
        return Err(refused(format!(
            "the proxy rejected the user name and password of {:?} (status {})",
            credentials.user, status[1]
        )));
    }
    Ok(())
}

/// The CONNECT request: the address (type 1 or 4) or the name (type 3), then the port.
fn request(target: &Target<'_>) -> Result<Vec<u8>, Failure> {
    let mut message = vec![VERSION, CONNECT, 0];
    let port = match target {
        Target::Addr(addr) => {
            match addr.ip() {
                IpAddr::V4(ip) => {
                    message.push(1);
                    message.extend_from_slice(&ip.octets());
                }
                IpAddr::V6(ip) => {
                    message.push(4);
                    message.extend_from_slice(&ip.octets());
                }
            }
            addr.port()
        }
        Target::Name(name, port) => {
            if name.is_empty() || name.len() > 255 {
                return Err(Failure::Garbled(format!(
                    "the name {name:?} cannot be sent to a SOCKS5 proxy (1 to 255 bytes)"
                )));
            }
            message.push(3);
            message.push(name.len() as u8);
            message.extend_from_slice(name.as_bytes());
            *port
        }
    };
    message.extend_from_slice(&port.to_be_bytes());
    Ok(message)
}

/// The rest of a reply: the address the proxy bound for the tunnel, as text.
fn bound_address<S: Read>(socket: &mut S, kind: u8) -> Result<String, Failure> {
    let text = match kind {
        1 => {
            let mut raw = [0u8; 6];
            read(socket, &mut raw)?;
            let ip = std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]);
            SocketAddr::new(ip.into(), u16::from_be_bytes([raw[4], raw[5]])).to_string()
        }
        4 => {
            let mut raw = [0u8; 18];
            read(socket, &mut raw)?;
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&raw[..16]);
            let ip = std::net::Ipv6Addr::from(octets);
            SocketAddr::new(ip.into(), u16::from_be_bytes([raw[16], raw[17]])).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            read(socket, &mut len)?;
            let mut raw = vec![0u8; usize::from(len[0]) + 2];
            read(socket, &mut raw)?;
            let (name, port) = raw.split_at(raw.len() - 2);
            let port = u16::from_be_bytes([port[0], port[1]]);
            super::authority(&String::from_utf8_lossy(name), port)
        }
        other => {
            return Err(Failure::Garbled(format!(
                "the proxy's reply has address type {other:#04x}, which SOCKS5 does not define"
            )));
        }
    };
    Ok(text)
}

fn not_socks5(first: u8) -> Failure {
    let hint = if first == b'H' {
        " (it looks like an HTTP proxy: use http://)"
    } else {
        ""
    };
    Failure::Garbled(format!(
        "the proxy does not speak SOCKS5 (its answer began with {first:#04x}){hint}"
    ))
}

/// `read_exact`, with the proxy closing early said in words.
fn read<S: Read>(socket: &mut S, buf: &mut [u8]) -> Result<(), Failure> {
    socket.read_exact(buf).map_err(|err| {
        if err.kind() == std::io::ErrorKind::UnexpectedEof {
            Failure::Garbled(
                "the proxy closed the connection in the middle of the SOCKS5 handshake".into(),
            )
        } else {
            Failure::Io(err)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::scripted::scripted;
    use super::*;

    #[test]
    fn a_name_goes_out_as_a_name_and_the_reply_is_read_whole() {
        let mut socket = scripted(&[5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90, b'x']);
        let said = handshake(&mut socket, None, &Target::Name("localhost", 80)).unwrap();
        assert_eq!(
            said,
            "no authentication; reply: succeeded, bound 127.0.0.1:8080"
        );
        let mut wanted = vec![5, 1, 0, 5, 1, 0, 3, 9];
        wanted.extend_from_slice(b"localhost");
        wanted.extend_from_slice(&[0, 80]);
        assert_eq!(socket.sent, wanted);
        // The byte after the reply is the target's, still unread.
        assert_eq!(socket.answers.position(), 12);
    }

    #[test]
    fn credentials_are_offered_and_a_rejection_is_a_refusal() {
        let credentials = Credentials::parse("alice:pw").unwrap();
        let mut socket = scripted(&[5, 2, 1, 1]);
        let target = Target::Addr("[::1]:7".parse().unwrap());
        match handshake(&mut socket, Some(&credentials), &target) {
            Err(Failure::Refused {
                reason,
                target_side,
            }) => {
                assert!(
                    reason.contains("rejected the user name and password"),
                    "{reason}"
                );
                assert!(!target_side);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(&socket.sent[..4], &[5, 2, 0, 2]);
        assert_eq!(&socket.sent[4..], b"\x01\x05alice\x02pw");
    }

    #[test]
    fn reply_codes_read_in_words() {
        let mut socket = scripted(&[5, 0, 5, 5, 0, 1]);
        let target = Target::Addr("127.0.0.1:9".parse().unwrap());
        match handshake(&mut socket, None, &target) {
            Err(Failure::Refused {
                reason,
                target_side,
            }) => {
                assert_eq!(reason, "connection refused by the target (SOCKS5 reply 5)");
                assert!(target_side);
            }
            other => panic!("{other:?}"),
        }
        let mut http = scripted(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        match handshake(&mut http, None, &target) {
            Err(Failure::Garbled(why)) => assert!(why.contains("use http://"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
