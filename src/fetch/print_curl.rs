//! `fetch --print-curl`: the curl command line that asks for the same thing (a learner's bridge,
//! as xh's `--curl`), printed instead of fetching. netlab's defaults that curl does not share are
//! spelled out (redirects followed, answers decoded, the timeouts); what curl cannot say is named
//! on stderr rather than left out silently.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use crate::cli::FetchArgs;

/// The command line, one shell word per argument, quoted where a shell needs it.
pub fn command(args: &FetchArgs) -> String {
    let mut line = Line(vec!["curl".into()]);
    if !args.no_follow {
        line.flag("-L");
        line.pair("--max-redirs", args.max_redirects.to_string());
    }
    line.flag("--compressed");
    line.opt("-X", args.request.as_deref());
    for header in &args.headers {
        line.pair("-H", header);
    }
    for data in &args.data {
        line.pair("--data", data);
    }
    for data in &args.data_urlencode {
        line.pair("--data-urlencode", data);
    }
    line.opt("--json", args.json.as_deref());
    line.when(args.get, "-G");
    for part in &args.form {
        line.pair("-F", part);
    }
    line.path("-T", args.upload_file.as_deref());
    line.opt("-u", args.user.as_deref());
    line.opt("--oauth2-bearer", args.bearer.as_deref());
    line.when(args.netrc, "--netrc");
    line.path("--netrc-file", args.netrc_file.as_deref());
    line.opt("-b", args.cookie.as_deref());
    line.path("-c", args.cookie_jar.as_deref());
    if args.retry > 0 {
        line.pair("--retry", args.retry.to_string());
        line.pair("--retry-delay", seconds(args.retry_delay));
        line.pair("--retry-max-time", seconds(args.retry_max_time));
    }
    line.opt("-A", args.user_agent.as_deref());
    line.when(args.include, "-i");
    line.when(args.head, "-I");
    line.when(args.fail, "-f");
    for output in &args.output {
        line.path("-o", Some(output));
    }
    line.when(args.remote_name, "--remote-name-all");
    line.when(args.remote_header_name, "-J");
    line.path("--output-dir", args.output_dir.as_deref());
    line.when(args.create_dirs, "--create-dirs");
    line.when(args.parallel, "-Z");
    if args.parallel {
        line.pair("--parallel-max", args.parallel_max.to_string());
    }
    line.when(args.fail_early, "--fail-early");
    if args.resume {
        line.pair("-C", "-");
    }
    line.when(args.silent, "-s");
    line.when(args.show_error, "-S");
    line.opt("-w", args.write_out.as_deref());
    line.pair("--connect-timeout", seconds(args.connect_timeout));
    if let Some(timeout) = args.timeout {
        line.pair("--max-time", seconds(timeout));
    }
    // netlab's idle timeout: curl gives up when under 1 byte/s for that long.
    line.pair("--speed-limit", "1");
    line.pair("--speed-time", seconds(args.idle_timeout));
    line.path("--cacert", args.cacert.as_deref());
    line.when(args.insecure, "-k");
    line.path("--cert", args.cert.as_deref());
    line.path("--key", args.key.as_deref());
    line.opt("-x", args.proxy.as_deref());
    line.opt("-U", args.proxy_user.as_deref());
    line.opt("--noproxy", args.noproxy.as_deref());
    for url in &args.urls {
        line.word(url);
    }
    line.0.join(" ")
}

/// What was asked that curl has no flag for (each a note for stderr).
pub fn untranslated(args: &FetchArgs) -> Vec<&'static str> {
    let mut left = Vec::new();
    let mut note = |asked: bool, what: &'static str| {
        if asked {
            left.push(what);
        }
    };
    note(args.utf8, "--utf8 (curl writes the body's bytes as sent)");
    note(
        args.timing,
        "--timing (curl's -w time_* variables come closest)",
    );
    note(args.name_from_final_url, "--name-from-final-url");
    note(args.force, "--force (curl overwrites without asking)");
    note(
        args.retry > 0 && args.retry_on != crate::cli::DEFAULT_RETRY_ON,
        "--retry-on (curl's own rules decide what is retried)",
    );
    left
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0}")
    } else {
        format!("{secs}")
    }
}

struct Line(Vec<String>);

impl Line {
    fn word(&mut self, word: &str) {
        let quoted = shlex::try_quote(word).map_or_else(|_| word.into(), |q| q.into_owned());
        self.0.push(quoted);
    }

    fn flag(&mut self, flag: &str) {
        self.0.push(flag.into());
    }

    fn when(&mut self, asked: bool, flag: &str) {
        if asked {
            self.flag(flag);
        }
    }

    fn pair(&mut self, flag: &str, value: impl AsRef<str>) {
        self.flag(flag);
        self.word(value.as_ref());
    }

    fn opt(&mut self, flag: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.pair(flag, value);
        }
    }

    fn path(&mut self, flag: &str, path: Option<&Path>) {
        if let Some(path) = path {
            self.pair(flag, OsStr::to_string_lossy(path.as_os_str()));
        }
    }
}
