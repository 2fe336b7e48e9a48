//! `netlab url`'s query-pair and scheme helpers: `--replace`/`--replace-append` pairs and
//! the schemes `--curl` accepts.

use super::{QUERY_PAIR, encode};

/// The schemes libcurl supports (a build with every protocol), which `--curl` accepts alone.
pub fn curl_supports(scheme: &str) -> bool {
    matches!(
        scheme,
        "dict"
            | "file"
            | "ftp"
            | "ftps"
            | "gopher"
            | "gophers"
            | "http"
            | "https"
            | "imap"
            | "imaps"
            | "ldap"
            | "ldaps"
            | "mqtt"
            | "pop3"
            | "pop3s"
            | "rtmp"
            | "rtmpe"
            | "rtmps"
            | "rtmpt"
            | "rtmpte"
            | "rtmpts"
            | "rtsp"
            | "scp"
            | "sftp"
            | "smb"
            | "smbs"
            | "smtp"
            | "smtps"
            | "telnet"
            | "tftp"
            | "ws"
            | "wss"
    )
}

/// One `--replace` or `--replace-append`: a pair, name and value as text.
#[derive(Debug, Clone)]
pub struct Replace {
    /// The name, as text (matched against each pair's decoded name).
    pub name: String,
    /// The whole pair, encoded as it goes into the query.
    pub pair: String,
    /// `--replace-append`: append the pair when no pair has the name.
    pub append: bool,
}

impl Replace {
    pub fn new(arg: &str, append: bool) -> Replace {
        let name = arg.split_once('=').map_or(arg, |(name, _)| name);
        Replace {
            name: name.to_string(),
            pair: encode_pair(arg),
            append,
        }
    }
}

/// `NAME=VALUE` as a query pair: each side encoded, the first `=` kept (as trurl does).
pub(super) fn encode_pair(pair: &str) -> String {
    match pair.split_once('=') {
        Some((name, value)) => {
            format!("{}={}", encode(name, QUERY_PAIR), encode(value, QUERY_PAIR))
        }
        None => encode(pair, QUERY_PAIR),
    }
}
