//! Who may connect: `--allow CIDR` and `--deny CIDR` (repeatable) on `serve`, `web` and
//! `connect -l`. With any `--allow`, only those addresses may connect; a `--deny` wins over an
//! `--allow`. A refused client is closed at once (with a reset, so it sees a refusal rather
//! than an empty answer) and logged once per address, so a host that keeps trying cannot flood
//! the log.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Mutex;

use ipnet::IpNet;

use super::Peer;

/// Distinct refused addresses remembered for "logged once"; past this, refusals are only
/// counted.
const REMEMBERED: usize = 4096;

/// The `--allow` and `--deny` lists.
#[derive(Debug, Default)]
pub struct Access {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
    logged: Mutex<HashSet<IpAddr>>,
}

impl Access {
    /// From the flags' values; a malformed one is a usage error naming the flag.
    pub fn from_flags(allow: &[String], deny: &[String]) -> anyhow::Result<Access> {
        let parse = |flag: &str, values: &[String]| -> anyhow::Result<Vec<IpNet>> {
            values
                .iter()
                .map(|text| {
                    parse_cidr(text).ok_or_else(|| {
                        crate::exit::Code::Usage.error(format!(
                            "{flag} {text}: not an address or CIDR block (such as 10.0.0.0/8, \
                             192.168.1.7 or ::1/128)"
                        ))
                    })
                })
                .collect()
        };
        Ok(Access {
            allow: parse("--allow", allow)?,
            deny: parse("--deny", deny)?,
            logged: Mutex::default(),
        })
    }

    /// Whether anything is restricted (no lists: everyone may connect, nothing is checked).
    pub fn restricts(&self) -> bool {
        !self.allow.is_empty() || !self.deny.is_empty()
    }

    /// Whether a client from `ip` may connect. An IPv4 client seen on a dual-stack socket
    /// (`::ffff:10.0.0.1`) is matched as the IPv4 address it is.
    pub fn admits(&self, ip: IpAddr) -> bool {
        if !self.restricts() {
            return true;
        }
        let ip = ip.to_canonical();
        if self.deny.iter().any(|net| net.contains(&ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|net| net.contains(&ip))
    }

    /// Whether a peer may connect (a Unix socket client has no address: always).
    pub fn admits_peer(&self, peer: &Peer) -> bool {
        match peer {
            Peer::Tcp(addr) => self.admits(addr.ip()),
            Peer::Unix(_) => true,
        }
    }

    /// Say that `peer` was refused — the first time for its address.
    pub fn refused(&self, peer: &Peer) {
        let Peer::Tcp(addr) = peer else { return };
        let ip = addr.ip().to_canonical();
        let first = {
            let mut logged = super::lock(&self.logged);
            logged.len() < REMEMBERED && logged.insert(ip)
        };
        if first {
            let why = if self.deny.iter().any(|net| net.contains(&ip)) {
                "--deny"
            } else {
                "not in --allow"
            };
            crate::warn!("refused {ip} ({why}); later connections from it are refused silently");
        }
    }
}

/// `10.0.0.0/8`, `::1/128`, or a bare address (one host).
fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        // `10.1.2.3/8` means the block it lies in.
        return Some(net.trunc());
    }
    let ip: IpAddr = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(IpNet::from(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(allow: &[&str], deny: &[&str]) -> Access {
        let own = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Access::from_flags(&own(allow), &own(deny)).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn no_lists_admit_everyone() {
        assert!(access(&[], &[]).admits(ip("203.0.113.9")));
    }

    #[test]
    fn allow_admits_only_its_blocks_and_deny_wins() {
        let rules = access(&["10.0.0.0/8", "::1"], &["10.9.0.0/16"]);
        assert!(rules.admits(ip("10.1.2.3")));
        assert!(rules.admits(ip("::1")));
        assert!(!rules.admits(ip("10.9.4.4")));
        assert!(!rules.admits(ip("192.168.0.1")));
        // An IPv4 client on a dual-stack socket.
        assert!(rules.admits(ip("::ffff:10.1.2.3")));
        let deny_only = access(&[], &["127.0.0.1"]);
        assert!(!deny_only.admits(ip("127.0.0.1")));
        assert!(deny_only.admits(ip("127.0.0.2")));
    }

    #[test]
    fn malformed_blocks_are_usage_errors() {
        for bad in ["10.0.0.0/33", "nope", "10.0.0/8", ""] {
            let err = Access::from_flags(&[bad.to_string()], &[]).unwrap_err();
            assert!(err.to_string().contains("--allow"), "{bad}: {err}");
        }
        assert_eq!(parse_cidr("10.1.2.3/8"), "10.0.0.0/8".parse().ok());
        assert_eq!(parse_cidr("[::1]"), "::1/128".parse().ok());
    }
}
