//! `netlab connect`'s and `netlab resolve`'s flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{parse_duration, parse_timeout};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab connect 127.0.0.1:8881                     # the notes' client.py\n  \
    netlab connect example.org 80 --crlf              # type an HTTP request by hand\n  \
    printf 'hello' | netlab connect '[::1]:7'\n  \
    netlab connect --send 'ping' --udp 127.0.0.1:9999\n  \
    netlab connect --unix /tmp/lab.sock\n  \
    netlab connect -z 127.0.0.1:8000-8010             # which ports accept a connection?\n  \
    netlab connect --hexdump 127.0.0.1:8881\n  \
    netlab connect --tls example.org 443 --crlf       # talk HTTPS by hand\n  \
    netlab connect tls://127.0.0.1:8443 --cacert saved.pem\n  \
    netlab connect --starttls smtp -v mail.example.org 587 --crlf   # as openssl s_client\n  \
    netlab connect -l 9000 > received.bin             # listen for one client (nc -l)\n  \
    netlab connect -l -k --tls 127.0.0.1 8443         # TLS listener, one client after another\n  \
    echo ping | netlab connect -u 127.0.0.1:9999 --wait-reply 5s\n  \
    netlab connect host:25 --no-shutdown --quit-after-eof 2s\n  \
    netlab connect --proxy socks5h://127.0.0.1:1080 example.org 80 --crlf   # through SOCKS5")]
pub struct ConnectArgs {
    /// Where to connect: HOST:PORT, `[IPv6]:PORT`, or HOST with PORT as the next argument
    /// (with -z, PORT may be a range like 8000-8010). With -l, where to listen: PORT alone
    /// listens on 127.0.0.1.
    #[arg(value_name = "HOST[:PORT]", required_unless_present = "unix")]
    pub target: Option<String>,

    /// The port, when `HOST[:PORT]` is a bare host (`netlab connect ::1 8881`).
    #[arg(value_name = "PORT")]
    pub port: Option<String>,

    /// Connect to the Unix stream socket at PATH.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["target", "udp", "probe"])]
    pub unix: Option<PathBuf>,

    /// Use UDP: each line of stdin (or --send) goes out as one datagram.
    #[arg(short, long)]
    pub udp: bool,

    /// Send TEXT instead of reading stdin, then half-close.
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,

    /// Send line ends as CRLF (for talking to HTTP or SMTP servers by hand).
    #[arg(short = 'C', long)]
    pub crlf: bool,

    /// Give up connecting after this long (0: no limit but the system's).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Close after this long with no byte in either direction (off by default; 0: off).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub idle_timeout: Option<Duration>,

    /// Only report which ports accept a connection; exit 0 if any did. With --tls, which
    /// complete a TLS handshake, and what each one agreed on or why it failed.
    #[arg(short = 'z', long, conflicts_with_all = ["send", "hexdump", "udp"])]
    pub probe: bool,

    /// Hex dump of both directions on stderr (`>` sent, `<` received).
    #[arg(long)]
    pub hexdump: bool,

    /// Use IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6: bool,

    /// Speak TLS (as `tls://HOST:PORT` does): the server's certificate is checked against the
    /// system's CA store and the bundled Mozilla roots, or --cacert.
    #[arg(long, conflicts_with_all = ["udp", "unix"], help_heading = "TLS")]
    pub tls: bool,

    /// The name sent in the handshake (SNI) and looked for in the certificate, instead of the
    /// host connected to.
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub sni: Option<String>,

    /// Trust only the certificates in FILE (PEM): a CA, or the server's own self-signed
    /// certificate (`serve --tls-save-cert` writes one).
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub cacert: Option<PathBuf>,

    /// Do not check the server's certificate at all (long only: `-k` is netcat's
    /// keep-listening).
    #[arg(long, conflicts_with = "cacert", help_heading = "TLS")]
    pub insecure: bool,

    /// Offer this application protocol in the handshake (ALPN: h2, http/1.1 …); repeatable.
    #[arg(long, value_name = "PROTO", help_heading = "TLS")]
    pub alpn: Vec<String>,

    /// Start in cleartext and upgrade to TLS as `openssl s_client -starttls` does: greeting,
    /// EHLO (smtp) or CAPABILITY (imap), then STARTTLS (AUTH TLS for ftp); then as --tls.
    /// With -v the cleartext dialogue is shown on stderr; none of it reaches stdout.
    #[arg(
        long,
        value_name = "PROTOCOL",
        conflicts_with_all = ["udp", "unix", "listen", "probe"],
        help_heading = "TLS"
    )]
    pub starttls: Option<StartTls>,

    /// With --starttls smtp: the name sent with EHLO (default: this host's name when it is a
    /// full domain name, else the local address, as `[127.0.0.1]`).
    #[arg(long, value_name = "NAME", requires = "starttls", help_heading = "TLS")]
    pub starttls_name: Option<String>,

    /// Present this certificate (PEM; a chain, the client's own first) when the server asks
    /// for one: mutual TLS, as `serve --tls-client-ca` and `web --tls-client-ca` ask.
    #[arg(long, value_name = "FILE", requires = "key", help_heading = "TLS")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert (PEM, not encrypted).
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "TLS")]
    pub key: Option<PathBuf>,

    /// Listen for a client instead of connecting (nc's -l), then behave as connect does: stdin
    /// to the client, the client to stdout. The first stderr line says where it listens.
    #[arg(
        short = 'l',
        long,
        conflicts_with = "probe",
        help_heading = "Listen mode"
    )]
    pub listen: bool,

    /// With -l: when a client leaves, wait for the next one (one at a time) instead of exiting.
    #[arg(short = 'k', long, requires = "listen", help_heading = "Listen mode")]
    pub keep_open: bool,

    /// With -l --tls: the certificate to serve (PEM; a chain, our own first). Without it,
    /// -l --tls makes a self-signed one, its fingerprint on the first stderr line.
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_key"], help_heading = "Listen mode")]
    pub tls_cert: Option<PathBuf>,

    /// With -l --tls-cert: its private key (PEM, not encrypted).
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_cert"], help_heading = "Listen mode")]
    pub tls_key: Option<PathBuf>,

    /// With -l --tls: write the certificate served (PEM) to FILE, for the client's --cacert.
    #[arg(
        long,
        value_name = "FILE",
        requires = "listen",
        help_heading = "Listen mode"
    )]
    pub tls_save_cert: Option<PathBuf>,

    /// With -l: only clients from this address or block (`10.0.0.0/8`, `::1`) may connect;
    /// repeatable. Others are closed at once and logged once.
    #[arg(
        long,
        value_name = "CIDR",
        requires = "listen",
        help_heading = "Listen mode"
    )]
    pub allow: Vec<String>,

    /// With -l: refuse clients from this address or block; repeatable; wins over --allow.
    #[arg(
        long,
        value_name = "CIDR",
        requires = "listen",
        help_heading = "Listen mode"
    )]
    pub deny: Vec<String>,

    /// At stdin's end, keep the socket open for writing. By default it is half-closed, so the
    /// server reads end-of-file while replies are still read (nc's -N).
    #[arg(long, help_heading = "End of input")]
    pub no_shutdown: bool,

    /// Exit this long after stdin's end, whatever the server does (0: at once, as Debian nc's
    /// `-q 0`). Without it, connect reads until the server closes.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "End of input")]
    pub quit_after_eof: Option<Duration>,

    /// Only send: stdin (or --send) to the socket, what comes back is thrown away, and the
    /// session ends at stdin's end.
    #[arg(long, conflicts_with = "recv_only", help_heading = "End of input")]
    pub send_only: bool,

    /// Only receive: stdin is never read and the socket never half-closed; the session ends
    /// when the server closes.
    #[arg(long, conflicts_with = "send", help_heading = "End of input")]
    pub recv_only: bool,

    /// UDP: after stdin's end, wait for replies until none has come for DURATION (default 2s,
    /// or --idle-timeout; 0: do not wait). The wait ends early once every datagram has had one.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "udp", help_heading = "End of input")]
    pub wait_reply: Option<Duration>,

    /// Go through a proxy: `socks5://[USER:PASS@]HOST[:PORT]` (the address is looked up here),
    /// `socks5h://…` (the proxy looks up the name) or `http://HOST[:PORT]` (CONNECT). Default
    /// ports 1080 and 80; ALL_PROXY is not read.
    #[arg(long, value_name = "URL", help_heading = "Proxy")]
    pub proxy: Option<String>,

    /// The proxy's user name and password (instead of USER:PASS@ in the URL).
    #[arg(
        long,
        value_name = "USER:PASS",
        requires = "proxy",
        help_heading = "Proxy"
    )]
    pub proxy_auth: Option<String>,
}

/// The cleartext protocols `--starttls` can upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartTls {
    /// SMTP (ports 25, 587): EHLO, then STARTTLS.
    Smtp,
    /// IMAP (port 143): CAPABILITY, then STARTTLS.
    Imap,
    /// FTP (port 21): AUTH TLS.
    Ftp,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab resolve localhost\n  \
    netlab resolve example.org")]
pub struct ResolveArgs {
    /// The host name (or address) to resolve.
    pub name: String,
}
