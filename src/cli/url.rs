//! `netlab urldecode`'s and `netlab urlencode`'s flags.

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
#[command(after_help = "Examples:\n  \
    netlab urldecode 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'\n  \
    netlab urldecode -p 'http://news.baidu.com/ns?cl=2&rn=20&tn=news&word=%E6%B5%8B%E8%AF%95'\n  \
    netlab urldecode --charset auto 'https://www.baidu.com/s?wd=%D6%D0%CE%C4'\n  \
    netlab urldecode --get param:wd 'https://www.baidu.com/s?wd=python%E6%95%99%E7%A8%8B'\n  \
    netlab urldecode --json < urls.txt | jq .host\n  \
    netlab urldecode --base https://example.org/a/b ../c?x=%41")]
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
