//! `--auth`, `--auth-file`, `--auth-for`: HTTP Basic authentication (RFC 7617).
//!
//! Each credential is kept as the SHA-256 of its user name and of its password (`USER:PASS`
//! is hashed at start; `USER:sha256:HEX` gives the hash, so the password need not sit in shell
//! history). A request's credentials are hashed the same way and compared with every entry in
//! constant time (no early exit on the first differing byte, none on the first matching
//! user), so the time an answer takes says nothing about how close a guess was. Failures are
//! logged with the client's address, and a client that fails [`MAX_FAILURES`] times within
//! [`FAILURE_WINDOW`] is answered 429 until the window has passed, right password or not.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;

pub use crate::cli::AuthFor;
use crate::exit::Code;
use crate::web::request::trim;

/// Failed attempts a client may make within [`FAILURE_WINDOW`] before it is refused with 429.
pub const MAX_FAILURES: u32 = 10;
/// The window failures are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Clients whose failures are remembered at once (a flood from many addresses cannot grow the
/// table without bound: beyond it, the oldest windows are forgotten).
const MAX_TRACKED: usize = 4096;

/// The `WWW-Authenticate` challenge of a 401.
pub const CHALLENGE: &str = "Basic realm=\"netlab\", charset=\"UTF-8\"";

/// One user's credentials, hashed.
struct Credential {
    user: [u8; 32],
    password: [u8; 32],
}

/// The users of a site and the failures seen.
pub struct Auth {
    users: Vec<Credential>,
    pub scope: AuthFor,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the hashes.
        f.debug_struct("Auth")
            .field("users", &self.users.len())
            .field("scope", &self.scope)
            .finish()
    }
}

/// What the credentials of a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// No credentials (a browser's first try): 401, not counted as a failure.
    Missing,
    /// Wrong or malformed credentials: 401, counted.
    Refused,
    /// Too many failures lately: 429.
    TooMany,
}

impl Auth {
    /// From `--auth` entries and the lines of `--auth-file` (already read; `source` names it
    /// in errors). A malformed entry is a usage error.
    pub fn new(
        entries: &[String],
        file: Option<(&str, &str)>,
        scope: AuthFor,
    ) -> anyhow::Result<Auth> {
        let mut users = Vec::new();
        for entry in entries {
            users.push(
                parse_entry(entry).map_err(|why| Code::Usage.error(format!("--auth: {why}")))?,
            );
        }
        if let Some((source, text)) = file {
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                users.push(parse_entry(line).map_err(|why| {
                    Code::Usage.error(format!("--auth-file {source}:{}: {why}", n + 1))
                })?);
            }
        }
        if users.is_empty() {
            return Err(Code::Usage.error("--auth-file: no user in it"));
        }
        Ok(Auth {
            users,
            scope,
            failures: Mutex::new(HashMap::new()),
        })
    }

    /// Check a request's `Authorization` value from `peer` (`ip:port`).
    pub fn check(&self, authorization: Option<&[u8]>, peer: &str) -> Verdict {
        let client = client_of(peer);
        if self.locked(client) {
            crate::warn!("{peer}: refused: too many failed logins");
            return Verdict::TooMany;
        }
        let Some(value) = authorization else {
            return Verdict::Missing;
        };
        let found = basic_credentials(value).map(|(user, password)| {
            let user_hash = sha256(&user);
            let password_hash = sha256(&password);
            // Every entry is compared, matched or not.
            let hit = self.users.iter().fold(false, |hit, c| {
                hit | (same(&c.user, &user_hash) & same(&c.password, &password_hash))
            });
            (hit, user)
        });
        match found {
            Some((true, _)) => Verdict::Allowed,
            Some((false, user)) => {
                let user = String::from_utf8_lossy(&user).into_owned();
                crate::warn!("{peer}: login failed for user {user:?}");
                self.fail(client);
                Verdict::Refused
            }
            None => {
                crate::warn!("{peer}: login failed: malformed Authorization");
                self.fail(client);
                Verdict::Refused
            }
        }
    }

    fn locked(&self, client: &str) -> bool {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.get(client).is_some_and(|&(since, count)| {
            count >= MAX_FAILURES && since.elapsed() < FAILURE_WINDOW
        })
    }

    fn fail(&self, client: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED && !failures.contains_key(client) {
            failures.retain(|_, (since, _)| since.elapsed() < FAILURE_WINDOW);
            if failures.len() >= MAX_TRACKED {
                failures.clear();
            }
        }
        let entry = failures
            .entry(client.to_owned())
            .or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= FAILURE_WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

/// `USER:PASS` or `USER:sha256:HEX` (64 hex digits).
fn parse_entry(entry: &str) -> Result<Credential, String> {
    let Some((user, secret)) = entry.split_once(':') else {
        return Err(format!(
            "{:?}: expected USER:PASS or USER:sha256:HEX",
            redact(entry)
        ));
    };
    if user.is_empty() {
        return Err("the user name is empty".into());
    }
    let password = match secret.strip_prefix("sha256:") {
        Some(hex) => parse_hex(hex)
            .ok_or_else(|| format!("user {user:?}: sha256: must be followed by 64 hex digits"))?,
        None if secret.is_empty() => return Err(format!("user {user:?}: the password is empty")),
        None => sha256(secret.as_bytes()),
    };
    Ok(Credential {
        user: sha256(user.as_bytes()),
        password,
    })
}

/// What an entry may be shown as in an error: the user name, never the password.
fn redact(entry: &str) -> String {
    match entry.split_once(':') {
        Some((user, _)) => format!("{user}:…"),
        None if entry.len() > 3 => "…".into(),
        None => entry.into(),
    }
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

/// `Basic BASE64(user:password)` → the user and password.
fn basic_credentials(value: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let value = trim(value);
    let (scheme, rest) = value.split_at(value.iter().position(|&b| b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(trim(rest))
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Equal digests, in time that does not depend on where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The client's address without its port (`[::1]:5000` → `[::1]`).
fn client_of(peer: &str) -> &str {
    peer.rsplit_once(':').map_or(peer, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> Vec<u8> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_pass);
        format!("Basic {encoded}").into_bytes()
    }

    #[test]
    fn entries_and_checks() {
        let hash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"; // "secret"
        let auth = Auth::new(
            &["ann:pw:with:colons".into(), format!("bob:sha256:{hash}")],
            Some(("users.txt", "# comment\n\ncid:ok\n")),
            AuthFor::All,
        )
        .unwrap();
        assert_eq!(
            auth.check(Some(&basic("ann:pw:with:colons")), "1.1.1.1:1"),
            Verdict::Allowed
        );
        assert_eq!(
            auth.check(Some(&basic("bob:secret")), "1.1.1.1:1"),
            Verdict::Allowed
        );
        assert_eq!(
            auth.check(Some(&basic("cid:ok")), "1.1.1.1:1"),
            Verdict::Allowed
        );
        assert_eq!(
            auth.check(Some(b"basic   Y2lkOm9r  "), "1.1.1.1:1"),
            Verdict::Allowed
        );
        assert_eq!(auth.check(None, "1.1.1.1:1"), Verdict::Missing);
        assert_eq!(
            auth.check(Some(&basic("bob:ok")), "1.1.1.1:1"),
            Verdict::Refused
        );
        assert_eq!(auth.check(Some(b"Bearer x"), "1.1.1.1:1"), Verdict::Refused);
        assert_eq!(
            auth.check(Some(b"Basic !!!"), "1.1.1.1:1"),
            Verdict::Refused
        );
        assert_eq!(
            auth.check(Some(&basic("nocolon")), "1.1.1.1:1"),
            Verdict::Refused
        );
    }

    #[test]
    fn bad_entries_are_usage_errors_that_hide_the_password() {
        for bad in ["nocolon", ":pw", "ann:", "ann:sha256:abc", "ann:sha256:zz"] {
            let err = Auth::new(&[bad.into()], None, AuthFor::All).unwrap_err();
            assert!(!format!("{err:#}").contains("pw"), "{err:#}");
        }
        let err = Auth::new(&[], Some(("f", "x:y\nbroken\n")), AuthFor::All).unwrap_err();
        assert!(format!("{err:#}").contains("f:2"), "{err:#}");
    }

    #[test]
    fn failures_lock_a_client_out_for_a_while() {
        let auth = Auth::new(&["ann:pw".into()], None, AuthFor::All).unwrap();
        for _ in 0..MAX_FAILURES {
            assert_eq!(
                auth.check(Some(&basic("ann:no")), "[::1]:5"),
                Verdict::Refused
            );
        }
        assert_eq!(
            auth.check(Some(&basic("ann:pw")), "[::1]:6"),
            Verdict::TooMany
        );
        // Another client is not locked out.
        assert_eq!(
            auth.check(Some(&basic("ann:pw")), "[::2]:6"),
            Verdict::Allowed
        );
    }
}
