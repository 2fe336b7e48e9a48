//! `netlab urldecode`'s, `netlab urlencode`'s and `netlab url`'s flags.

use clap::{Args, ValueEnum};

/// What an input is taken to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
    /// An absolute URL (or relative, with --base).
    Url,
    /// A query string: name=value&name=value.
    Query,
    /// Any percent-encoded text.
    Text,
}

#[derive(Debug, Args)]
#[command(
    after_help = "`urldecode --get host` takes a part name; `url -g '{host}'` takes trurl's \
    template. `urldecode` reads by WHATWG; `url` reads by RFC 3986 unless --whatwg.\n\n\
    Examples:\n  \
    netlab urldecode 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'\n  \
    netlab urldecode -p 'http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=%E6%B5%8B%E8%AF%95'\n  \
    netlab urldecode --charset auto 'https://www.baidu.com/s?wd=%D6%D0%CE%C4'\n  \
    netlab urldecode --get param:wd 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'\n  \
    netlab urldecode --json < urls.txt | jq .host\n  \
    netlab urldecode --base https://example.org/a/b ../c?x=%41"
)]
pub struct UrldecodeArgs {
    /// URLs, query strings or text to decode; stdin lines when none are given.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Break each input into its parts (scheme, host, port, path, each query parameter …).
    #[arg(short, long, group = "mode")]
    pub parts: bool,

    /// One JSON object per input: the WHATWG URL components and the decoded ones. Bytes that are
    /// not valid text in the charset show as U+FFFD (with "lossy": true), so it is always valid JSON.
    #[arg(long, group = "mode")]
    pub json: bool,

    /// Print one part per input: scheme, user, password, host, port, path, query, fragment,
    /// param:NAME (first value), param-all:NAME (every value, one per line).
    #[arg(long, value_name = "PART", group = "mode")]
    pub get: Option<String>,

    /// Resolve each input against this base URL first.
    #[arg(long, value_name = "URL")]
    pub base: Option<String>,

    /// Treat `+` as a space everywhere (it always is inside query parameters).
    #[arg(long)]
    pub form: bool,

    /// Charset of the percent-encoded bytes: an encoding label (gbk, big5, shift_jis …) or `auto`.
    #[arg(long, value_name = "LABEL", default_value = "utf-8")]
    pub charset: String,

    /// Make an invalid % sequence or invalid text an error (exit 2) instead of a warning.
    #[arg(long)]
    pub strict: bool,

    /// What the inputs are (guessed by default).
    #[arg(long = "as", value_enum, value_name = "KIND")]
    pub kind: Option<InputKind>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netlab urlencode 'python教程'                     # python%E6%95%99%E7%A8%8B\n  \
    netlab urlencode --form 'a b&c'                   # a+b%26c\n  \
    netlab urlencode --path '/docs/教程 1.txt'\n  \
    netlab urlencode --charset gbk '中文'             # %D6%D0%CE%C4")]
pub struct UrlencodeArgs {
    /// Text to encode; stdin lines when none are given.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Form encoding: space becomes `+` (application/x-www-form-urlencoded).
    #[arg(long, conflicts_with = "path")]
    pub form: bool,

    /// Path encoding: keep `/` as it is.
    #[arg(long)]
    pub path: bool,

    /// Encode the text's bytes in this charset (gbk, big5, shift_jis …) before escaping.
    #[arg(long, value_name = "LABEL", default_value = "utf-8")]
    pub charset: String,
}

/// Which standard `netlab url` reads URLs by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standard {
    /// RFC 3986 (and RFC 3987 for non-ASCII), as trurl and libcurl read URLs.
    Rfc3986,
    /// The WHATWG URL Standard, as browsers read URLs.
    Whatwg,
}

#[derive(Debug, Args)]
#[command(after_help = URL_EXAMPLES)]
pub struct UrlArgs {
    /// URLs to work on; stdin lines when none is given (here, with --url or with --url-file).
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

    /// A URL to work on (repeat for more), as trurl spells it.
    #[arg(long = "url", value_name = "URL")]
    pub url_opts: Vec<String>,

    /// Read URLs from this file, one a line (`-` is stdin).
    #[arg(short = 'f', long, value_name = "FILE")]
    pub url_file: Vec<std::path::PathBuf>,

    /// Set a component: COMP=VALUE (VALUE is percent-encoded for you), COMP:=VALUE (VALUE is
    /// already encoded), COMP?=VALUE (only when the component is empty). An empty VALUE removes
    /// the component. COMP is one of url, scheme, user, password, options, host, port, path,
    /// query, fragment, zoneid.
    #[arg(short, long, value_name = "COMP=VALUE")]
    pub set: Vec<String>,

    /// Append to the path (a segment: path=SEGMENT) or to the query (a pair: query=NAME=VALUE).
    #[arg(short, long, value_name = "COMP=VALUE")]
    pub append: Vec<String>,

    /// Remove the query pairs whose name matches a glob (`*` matches any run, case
    /// insensitively): --trim 'query=utm_*'.
    #[arg(long, value_name = "query=GLOB")]
    pub trim: Vec<String>,

    /// Like --trim query=GLOB.
    #[arg(long, value_name = "GLOB")]
    pub qtrim: Vec<String>,

    /// Sort the query pairs by name (then value); pairs of equal name keep their order.
    #[arg(long)]
    pub sort_query: bool,

    /// Print the URL once for each value of a component: --iterate 'scheme=http ftp sftp'
    /// (values separated by single spaces; COMP:=… takes them already encoded). Several
    /// --iterate options (one per component) print every combination, the first one
    /// varying slowest.
    #[arg(long, value_name = "COMP=VALUES")]
    pub iterate: Vec<String>,

    /// Replace the value of a query pair that is there: NAME=VALUE (both encoded for you);
    /// later pairs of the same name go. A NAME that is not in the query is left out.
    #[arg(long, value_name = "NAME=VALUE")]
    pub replace: Vec<String>,

    /// Like --replace, but append the pair when the query has none of that name.
    #[arg(long, value_name = "NAME=VALUE", visible_alias = "force-replace")]
    pub replace_append: Vec<String>,

    /// Resolve this (relative) URL against each URL, as following a redirect does.
    #[arg(long, value_name = "URL")]
    pub redirect: Option<String>,

    /// Print this template instead of the URL: {scheme}, {host}, {path}, {query:NAME} (first
    /// value), {query-all:NAME} (every value) …, with modifiers {url:…} (percent-encoded),
    /// {strict:…}, {must:…}, {default:port}, {puny:host}, {idn:host}; `\n`, `\t` and `{{`
    /// as in trurl.
    #[arg(short, long, value_name = "FORMAT", conflicts_with = "json")]
    pub get: Option<String>,

    /// Print the URLs as a JSON array, in trurl's shape: {"url", "parts", "params"}.
    #[arg(long)]
    pub json: bool,

    /// Keep a port that is the scheme's default (https://h:443/ stays as it is).
    #[arg(long)]
    pub keep_port: bool,

    /// Show the scheme's default port when the URL has none.
    #[arg(long)]
    pub default_port: bool,

    /// Refuse URLs without a scheme instead of guessing one (http://, or ftp:// for ftp.…).
    #[arg(long)]
    pub no_guess_scheme: bool,

    /// Print host names in punycode (xn--…).
    #[arg(long, conflicts_with = "as_idn")]
    pub punycode: bool,

    /// Print punycode host names as Unicode.
    #[arg(long)]
    pub as_idn: bool,

    /// The character between query pairs (default `&`).
    #[arg(long, value_name = "CHAR")]
    pub query_separator: Option<String>,

    /// Accept spaces in URLs (they are encoded as %20).
    #[arg(long)]
    pub accept_space: bool,

    /// Print components percent-encoded (in --get and --json), and the URL fully encoded.
    #[arg(long)]
    pub urlencode: bool,

    /// Make a bad URL fatal (exit 2) instead of a warning that skips it.
    #[arg(long)]
    pub verify: bool,

    /// Only accept URLs whose scheme curl supports (http, https, ftp, file, ws, sftp …);
    /// any other scheme is a bad URL.
    #[arg(long)]
    pub curl: bool,

    /// Charset of the percent-encoded bytes in --get and --json output: an encoding label
    /// (gbk, big5, shift_jis …) or `auto` (as urldecode takes it).
    #[arg(long, value_name = "LABEL", default_value = "utf-8")]
    pub charset: String,

    /// Treat `+` as a space in every component --get and --json show (in query pairs it
    /// always is).
    #[arg(long)]
    pub form: bool,

    /// Make a component that does not decode to text an error (exit 2) that says at which
    /// byte, as if every {part} were {strict:part}; under --whatwg, also a % that starts no
    /// %XX escape.
    #[arg(long)]
    pub strict: bool,

    /// Read URLs by RFC 3986, as trurl does (the default).
    #[arg(long, conflicts_with = "whatwg")]
    pub rfc3986: bool,

    /// Read URLs by the WHATWG URL Standard, as browsers do.
    #[arg(long)]
    pub whatwg: bool,

    /// Parse this URL by both standards and show, part by part, where they disagree and why.
    #[arg(long, value_name = "URL", conflicts_with_all = ["urls", "url_opts", "url_file", "get", "json"])]
    pub compare: Option<String>,
}

/// `netlab url --help`'s description.
pub const URL_ABOUT: &str = "Read URLs, change them (set, append, trim, sort, redirect) and print \
    them, a template of their parts, or JSON. The options are trurl's, with trurl's names and \
    meaning, so a trurl script keeps working.\n\n\
    `url` reads by RFC 3986 by default, as trurl does; --whatwg reads as browsers do, and \
    --compare URL shows part by part where the two standards disagree and why. (`urldecode` \
    reads by WHATWG.)\n\n\
    `url -g` takes trurl's template (-g '{host}:{port}', {query:NAME}); `urldecode --get` takes \
    one part name instead (--get host, --get param:NAME).\n\n\
    Where netlab differs from trurl, on purpose:\n\
    - With no URL argument, stdin lines are read (trurl needs -f -). To build a URL from \
    parts alone, give an empty one: netlab url '' -s host=example.org\n\
    - Exit 2 for bad usage, for a failed {must:…} or {strict:…}, and for a bad URL under \
    --verify (trurl: a code per mistake, 1 to 12); each error is one `netlab: …` line that \
    names the argument, or the line of the input.\n\
    - Escapes and non-ASCII are kept as written: trurl decodes and re-encodes every path \
    segment and query pair (so %20 in a query becomes +, trurl#328); netlab changes only what \
    an option changes, writes the spaces it encodes as %20, and --urlencode percent-encodes \
    non-ASCII.\n\
    - A -g template with an unclosed { or an unknown {component} is an error, not text; a \
    component that does not decode to text (a NUL, bytes not UTF-8) is printed still encoded.\n\
    - By RFC 3986, 0x7f.1 and 0177.0.0.1 are host names: libcurl rewrites them to \
    127.0.0.1, netlab keeps them (--whatwg rewrites them, as browsers do).\n\
    - Under --whatwg a default port always goes (the standard drops it); --keep-port is for \
    RFC 3986.\n\
    - --trim globs may hold * anywhere (trurl: only at the end); --url-file may be repeated.\n\
    - -v is netlab's --verbose (trurl: --version); netlab -V prints the version.\n\
    - --curl takes a fixed list of schemes (every protocol libcurl can be built with), not \
    those of an installed libcurl; netlab does not link libcurl.\n\
    - --replace NAME=VALUE matches NAME against each pair's whole decoded name (trurl: any \
    pair whose encoded text starts with NAME, so a=1 also took ab=2) and leaves one pair of \
    that name (the first, with the new value) where the query had several; only \
    --replace-append appends (trurl: one --replace-append makes every --replace append).\n\
    - One component may not be both --set and --iterate, nor --iterate'd twice: an error \
    before any URL is read.";

/// `netlab urldecode --help`'s description.
pub const URLDECODE_ABOUT: &str = "Percent-decode URLs and query strings, or break them into \
    their parts.\n\n\
    `urldecode` reads URLs by the WHATWG URL Standard, as browsers do; `netlab url` reads by \
    RFC 3986 by default, as trurl does (so `urldecode --get host http://0x7f.1/` prints \
    127.0.0.1 where `url -g '{host}' http://0x7f.1/` prints 0x7f.1).\n\n\
    `urldecode --get` takes one part name (--get host, --get param:wd); `url -g` takes trurl's \
    template instead (-g '{host}:{port}', -g '{query:wd}').";

const URL_EXAMPLES: &str =
    "`url -g` takes trurl's template; `urldecode --get` takes a part name. `url` reads by \
RFC 3986 unless --whatwg; `urldecode` reads by WHATWG. More in --help.

Examples:
  netlab url 'https://example.org:443/a/../b?x=1'          # https://example.org/b?x=1
  netlab url '' -s scheme=ftp -s host=example.org -s path=/pub   # ftp://example.org/pub
  netlab url -s host=example.com -s port=8080 http://a.test/
  netlab url -s 'query?=page=1' https://example.org/list    # only if it has no query
  netlab url -a query=lang=zh -a path=docs https://example.org/
  netlab url --qtrim 'utm_*' --sort-query < links.txt
  netlab url -g '{host}{path}' < access.log
  netlab url -g '{query:wd}' 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'
  netlab url --json https://example.org/s?q=1 | jq '.[0].params'
  netlab url --redirect ../c https://example.org/a/b        # https://example.org/c
  netlab url --compare 'HTTP://EXAMPLE.com:80/./a/../b'";
