//! Addresses: a client's `HOST:PORT` split and resolved, ports parsed, peers shown as people
//! read them.

use std::net::{IpAddr, SocketAddr};

/// How a socket address is written in URLs and logs: `127.0.0.1:80`, `[::1]:80`.
pub fn url_authority(addr: SocketAddr) -> String {
    addr.to_string()
}

/// A client's target split into host and port text: `HOST:PORT`, `[v6]:PORT`, `HOST PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// A name or an address, without IPv6 brackets.
    pub host: String,
    /// The port as written (a number, or a range like `8000-8010` for probes).
    pub port: String,
}

/// Split a target written `HOST:PORT`, `[IPv6]:PORT`, or `HOST` with the port as a second
/// argument (a bare IPv6 address like `::1` takes its port that way). The error is a sentence for
/// the user.
pub fn split_host_port(target: &str, port: Option<&str>) -> Result<HostPort, String> {
    let (host, inline_port) = if let Some(rest) = target.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("`{target}` lacks the closing `]`"));
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("`{target}`: expected `:PORT` after `]`")),
            },
        }
    } else {
        match target.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            // No colon, or several: a bare IPv6 address, whose port can only come separately.
            _ => (target, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{target}` has no host"));
    }
    let port = match (inline_port, port) {
        (Some(_), Some(extra)) => {
            return Err(format!(
                "`{target}` already has a port; unexpected `{extra}`"
            ));
        }
        (Some(port), None) | (None, Some(port)) => port,
        (None, None) if host.contains(':') => {
            return Err(format!(
                "no port for `{target}` (write [{host}]:PORT or {host} PORT)"
            ));
        }
        (None, None) => {
            return Err(format!(
                "no port for `{target}` (write {host}:PORT or {host} PORT)"
            ));
        }
    };
    if port.is_empty() {
        return Err(format!("`{target}` has an empty port"));
    }
    Ok(HostPort {
        host: host.to_string(),
        port: port.to_string(),
    })
}

/// A port number to connect to: 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(0) => Err("port 0 cannot be connected to (use 1 to 65535)".to_string()),
        Ok(port) => Ok(port),
        Err(_) => Err(format!("`{text}` is not a port (use 1 to 65535)")),
    }
}

/// A port or a range of ports, `8000` or `8000-8010`.
pub fn parse_port_range(text: &str) -> Result<std::ops::RangeInclusive<u16>, String> {
    match text.split_once('-') {
        None => parse_port(text).map(|port| port..=port),
        Some((first, last)) => {
            let (first, last) = (parse_port(first)?, parse_port(last)?);
            if first > last {
                return Err(format!("port range `{text}` runs backwards"));
            }
            Ok(first..=last)
        }
    }
}

/// Every address `host` resolves to (IPv6 and IPv4, in the resolver's order, no duplicates).
/// An address is taken as it is, without asking the resolver.
pub fn resolve(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found = (host, port).to_socket_addrs().map_err(|err| {
        // std says "failed to lookup address information: Name or service not known".
        let text = err.to_string();
        let cause = text
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&text);
        anyhow::anyhow!("resolve {host}: {}", super::io::lowercase_first(cause))
    })?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in found {
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        anyhow::bail!("resolve {host}: no address found");
    }
    Ok(addrs)
}

/// A peer's address as people expect to read it: an IPv4 client of a dual-stack listener shows
/// as `127.0.0.1:5000`, not `[::ffff:127.0.0.1]:5000`.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split() {
        let split = |t: &str, p: Option<&str>| split_host_port(t, p).map(|hp| (hp.host, hp.port));
        let ok = |h: &str, p: &str| Ok((h.to_string(), p.to_string()));
        assert_eq!(split("127.0.0.1:8881", None), ok("127.0.0.1", "8881"));
        assert_eq!(split("example.org", Some("80")), ok("example.org", "80"));
        assert_eq!(split("[::1]:7", None), ok("::1", "7"));
        assert_eq!(split("[::1]", Some("7")), ok("::1", "7"));
        assert_eq!(split("::1", Some("7")), ok("::1", "7"));
        assert_eq!(split("h:8000-8010", None), ok("h", "8000-8010"));
        assert!(split("::1", None).unwrap_err().contains("[::1]:PORT"));
        assert!(split("example.org", None).is_err());
        assert!(split("h:1", Some("2")).is_err());
        assert!(split(":80", None).is_err());
        assert!(split("h:", None).is_err());
        assert!(split("[::1", Some("7")).is_err());
        assert!(split("[::1]x", None).is_err());
    }

    #[test]
    fn ports_parse() {
        assert_eq!(parse_port("8881"), Ok(8881));
        assert!(parse_port("0").is_err());
        assert!(parse_port("65536").is_err());
        assert!(parse_port("http").is_err());
        assert_eq!(parse_port_range("8000-8002"), Ok(8000..=8002));
        assert_eq!(parse_port_range("22"), Ok(22..=22));
        assert!(parse_port_range("9-8").is_err());
        assert!(parse_port_range("1-").is_err());
    }

    #[test]
    fn resolve_takes_addresses_as_they_are() {
        let addrs = resolve("::1", 7).unwrap();
        assert_eq!(addrs, vec!["[::1]:7".parse().unwrap()]);
        let addrs = resolve("localhost", 80).unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn mapped_addresses_read_as_ipv4() {
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        assert_eq!(canonical(mapped).to_string(), "127.0.0.1:5000");
    }
}
