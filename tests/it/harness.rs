//! The one harness every integration test uses.
//!
//! - [`Lab`] gives a test its own temporary directory and builds commands that run the real
//!   `netlab` binary there. [`Run`] holds what a command did; its assertions print the command,
//!   exit code, stdout and stderr when they fail.
//! - [`Server`] starts a netlab server (with `--port 0`), reads the address from its first stderr
//!   line, keeps draining stderr, and kills and reaps the process on drop.
//! - [`peer`] checks for a peer tool (nc, socat, curl …): without it a test is skipped, and says
//!   so, except under CI (`CI` set), where it fails.
//!
//! Every wait here is bounded; nothing sleeps to let a server start.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait in a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The proxy variables fetch obeys: removed from every command, so a test reaches its own
/// loopback server directly.
const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Path of the binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_netlab"))
}

/// A test's own working directory, removed when the test ends.
pub struct Lab {
    dir: tempfile::TempDir,
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

impl Lab {
    pub fn new() -> Lab {
        Lab {
            dir: tempfile::Builder::new()
                .prefix("netlab-test-")
                .tempdir()
                .expect("create temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file (creating parent directories) and return its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// A `netlab` command that sees `hosts` as its `/etc/hosts` (a private mount namespace, as
    /// root, with `unshare`): how a test makes `localhost` resolve to several addresses on a
    /// machine whose own hosts file gives one. `None` (the test is skipped, and says so) when
    /// this process cannot make a mount namespace.
    pub fn cmd_with_hosts<I, S>(&self, hosts: &str, args: I) -> Option<Cmd>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        if !peer("unshare") {
            return None;
        }
        let works = Command::new("unshare")
            .args(["-m", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !works {
            skip("no mount namespace here (unshare -m needs root)");
            return None;
        }
        let file = self.write("hosts", hosts);
        let mut cmd = self.cmd(args);
        let program = std::mem::replace(&mut cmd.command, Command::new("unshare"));
        cmd.command
            .args([
                "-m",
                "sh",
                "-c",
                r#"mount --bind "$0" /etc/hosts && exec "$@""#,
            ])
            .arg(&file)
            .arg(program.get_program())
            .args(program.get_args())
            .current_dir(self.path());
        for (key, value) in program.get_envs() {
            match value {
                Some(value) => cmd.command.env(key, value),
                None => cmd.command.env_remove(key),
            };
        }
        Some(cmd)
    }

    /// A `netlab` command run in this lab's directory.
    pub fn cmd<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(bin());
        command.args(args).current_dir(self.path());
        command.env_remove("NO_COLOR");
        for proxy in PROXY_VARS {
            command.env_remove(proxy);
        }
        Cmd {
            command,
            stdin: None,
        }
    }

    /// Run netlab with stdin, stdout and stderr on a terminal (a pty made by util-linux
    /// `script`); what the terminal showed is the run's stdout. `None` when `script` is not
    /// installed and the test is skipped (see [`peer`]).
    pub fn in_terminal(&self, args: &[&str]) -> Option<Run> {
        if !peer("script") {
            return None;
        }
        let mut line = shell_quote(&bin().to_string_lossy());
        for arg in args {
            line.push(' ');
            line.push_str(&shell_quote(arg));
        }
        let mut command = Command::new("script");
        command
            .args(["-qec", &line, "/dev/null"])
            .current_dir(self.path());
        for proxy in PROXY_VARS {
            command.env_remove(proxy);
        }
        let mut run = Cmd {
            command,
            stdin: None,
        }
        .run();
        run.description = format!("(in a terminal) netlab {}", args.join(" "));
        Some(run)
    }

    /// Start a netlab server with these arguments (include `--port 0` or `--unix`).
    pub fn server<I, S>(&self, args: I) -> Server
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd(args).spawn_server()
    }
}

/// A command about to run.
pub struct Cmd {
    pub command: Command,
    stdin: Option<Vec<u8>>,
}

impl Cmd {
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.command.env(key, value);
        self
    }

    fn describe(&self) -> String {
        let args: Vec<String> = self
            .command
            .get_args()
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect();
        format!("netlab {}", args.join(" "))
    }

    /// Start the command with its output piped and the given stdin (if any) written whole, then
    /// closed, by a thread of its own.
    /// With `live`, stdin is left as the caller set it (a pipe the caller holds).
    fn spawn(&mut self, live: bool) -> (Child, Option<thread::JoinHandle<()>>) {
        if !live {
            self.command.stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        }
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("spawn netlab");
        let stdin_thread = self.stdin.take().map(|bytes| {
            let mut pipe = child.stdin.take().unwrap();
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            })
        });
        (child, stdin_thread)
    }

    /// Run to completion (killed after `WAIT`) and capture everything.
    pub fn run(mut self) -> Run {
        let description = self.describe();
        let (mut child, stdin_thread) = self.spawn(false);
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let status = wait_timeout(&mut child, WAIT);
        if let Some(t) = stdin_thread {
            let _ = t.join();
        }
        let run = Run {
            description,
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        };
        if status.is_none() {
            panic!("command timed out after {WAIT:?}\n{}", run.context());
        }
        run
    }

    /// Start a long-running server; see [`Server`].
    pub fn spawn_server(self) -> Server {
        // A server that reads its stdin sees the end once the bytes are written.
        self.start(false).listening()
    }

    /// Start a server whose stdin is a pipe the test holds ([`Starting::stdin`]) and writes
    /// into while the server runs; [`Starting::listening`] then waits for its first line.
    pub fn spawn_live(self) -> Starting {
        self.start(true)
    }

    fn start(mut self, live: bool) -> Starting {
        let description = self.describe();
        if live {
            self.command.stdin(Stdio::piped());
            self.stdin = None;
        }
        let (mut child, _stdin_thread) = self.spawn(live);
        let stdin = if live { child.stdin.take() } else { None };
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (first_tx, first_rx) = mpsc::channel();
        let (line_tx, line_rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                let mut reader = BufReader::new(stderr);
                let mut first = Some(first_tx);
                let mut line = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            log.lock().unwrap().push_str(&line);
                            if let Some(tx) = first.take() {
                                let _ = tx.send(line.clone());
                            }
                            let _ = line_tx.send(line.trim_end().to_string());
                        }
                    }
                }
            });
        }
        let stdout = drain(child.stdout.take().unwrap());
        Starting {
            description,
            child,
            stdin,
            first: first_rx,
            log,
            lines: line_rx,
            stdout,
        }
    }
}

/// A server started but not yet known to listen: its stdin is the test's to write into.
pub struct Starting {
    description: String,
    child: Child,
    /// The server's stdin, open until dropped (or taken) — with [`Cmd::spawn_live`].
    pub stdin: Option<std::process::ChildStdin>,
    first: mpsc::Receiver<String>,
    log: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
    stdout: thread::JoinHandle<Vec<u8>>,
}

impl Starting {
    /// The first stderr line, if the server prints one within `wait` (`None`: not yet).
    pub fn first_line_within(&mut self, wait: Duration) -> Option<String> {
        let line = self.first.recv_timeout(wait).ok()?;
        // Keep it for listening(), which reads it again.
        let (tx, rx) = mpsc::channel();
        let _ = tx.send(line.clone());
        self.first = rx;
        Some(line)
    }

    /// Wait (bounded) for the "listening on" line, and hand back the running server. Its stdin,
    /// if still held here, stays open for the server's life.
    pub fn listening(mut self) -> Server {
        let description = self.description;
        let first = match self.first.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(_) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "server printed no first line within {WAIT:?}\ncommand: {description}\nstderr:\n{}",
                    self.log.lock().unwrap()
                );
            }
        };
        let Some(location) = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
        else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("server did not start\ncommand: {description}\nstderr:\n{first}");
        };
        if let Some(stdin) = self.stdin.take() {
            self.child.stdin = Some(stdin);
        }
        Server {
            description,
            child: Some(self.child),
            location: location.to_string(),
            log: self.log,
            lines: self.lines,
            stdout: Some(self.stdout),
        }
    }
}

/// What a finished command did.
pub struct Run {
    pub description: String,
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Run {
    pub fn context(&self) -> String {
        format!(
            "command: {}\nexit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.description,
            self.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "killed (timeout)".into()),
            String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(4000)]),
            String::from_utf8_lossy(&self.stderr[..self.stderr.len().min(4000)]),
        )
    }

    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Assert exit 0 and return self.
    #[track_caller]
    pub fn success(&self) -> &Run {
        self.expect_code(0)
    }

    /// Assert this exit code and return self.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            Some(code),
            "expected exit {code}\n{}",
            self.context()
        );
        self
    }

    /// Assert stdout equals `expected` exactly.
    #[track_caller]
    pub fn stdout_is(&self, expected: &str) -> &Run {
        assert_eq!(
            self.stdout(),
            expected,
            "stdout differs\n{}",
            self.context()
        );
        self
    }

    /// Assert stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Run {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.context()
        );
        self
    }

    /// Assert stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Run {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.context()
        );
        self
    }

    /// Assert stderr is empty.
    #[track_caller]
    pub fn stderr_empty(&self) -> &Run {
        assert!(
            self.stderr.is_empty(),
            "stderr not empty\n{}",
            self.context()
        );
        self
    }

    /// Assert a failure printed as one `netlab: …` line, with this exit code.
    #[track_caller]
    pub fn fails_with(&self, code: i32, needle: &str) -> &Run {
        self.expect_code(code);
        let stderr = self.stderr();
        let last = stderr.lines().last().unwrap_or("");
        assert!(
            last.starts_with("netlab: ") && last.contains(needle),
            "expected a last stderr line `netlab: …{needle}…`\n{}",
            self.context()
        );
        assert!(
            !stderr.contains("panicked"),
            "netlab panicked\n{}",
            self.context()
        );
        self
    }
}

/// A running netlab server; killed and reaped on drop.
pub struct Server {
    description: String,
    child: Option<Child>,
    /// What followed "listening on " in the first line, e.g. `tcp://127.0.0.1:4711`.
    pub location: String,
    log: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
    stdout: Option<thread::JoinHandle<Vec<u8>>>,
}

impl Server {
    /// The bound socket address (TCP, UDP or HTTP servers).
    pub fn addr(&self) -> SocketAddr {
        let rest = self.location.split("://").nth(1).unwrap_or(&self.location);
        let authority = rest.split('/').next().unwrap();
        authority
            .parse()
            .unwrap_or_else(|_| panic!("no socket address in {:?}", self.location))
    }

    /// `http://ADDR` without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait (bounded) for a stderr line containing `needle`, and return it.
    #[track_caller]
    pub fn wait_for_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!(
                    "no stderr line with {needle:?} within {WAIT:?}\ncommand: {}\nstderr:\n{}",
                    self.description,
                    self.log()
                ),
            }
        }
    }

    /// Connect a TCP client with read/write timeouts set.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr(), WAIT).expect("connect to server");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        stream
    }

    /// Send a signal (e.g. `libc`'s SIGTERM = 15) to the server.
    pub fn signal(&self, signal: i32) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Send SIGTERM and wait (bounded) for the server to exit; returns the status and full stderr.
    #[track_caller]
    pub fn stop(self) -> (ExitStatus, String) {
        self.signal(15);
        self.wait()
    }

    /// Wait (bounded) for the server to exit by itself; returns the status, full stderr and
    /// everything it wrote to stdout.
    #[track_caller]
    pub fn finish(mut self) -> (ExitStatus, String, Vec<u8>) {
        let stdout = self.stdout.take();
        let (status, log) = self.wait();
        let out = stdout.map(|t| t.join().unwrap()).unwrap_or_default();
        (status, log, out)
    }

    /// Wait (bounded) for the server to exit by itself; returns the status and full stderr.
    #[track_caller]
    pub fn wait(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        let status = wait_timeout(&mut child, WAIT);
        let Some(status) = status else {
            panic!(
                "server did not exit within {WAIT:?}\ncommand: {}\nstderr:\n{}",
                self.description,
                self.log()
            );
        };
        // The stderr reader ends at EOF now that the process is gone (children may hold it open
        // a moment longer; the log is read as it stands).
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if self.lines.recv_timeout(Duration::from_millis(50)).is_err()
                && matches!(self.lines.try_recv(), Err(mpsc::TryRecvError::Disconnected))
            {
                break;
            }
        }
        (status, self.log())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.stdout.take();
    }
}

/// SIGTERM a server and wait for it: it must exit 0 without a panic. Returns its stderr.
#[track_caller]
pub fn stop(server: Server) -> String {
    let (status, log) = server.stop();
    assert!(status.success(), "server exited with {status}\n{log}");
    assert!(!log.contains("panicked"), "server panicked\n{log}");
    log
}

/// A TCP port of 127.0.0.1 nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("local address").port()
}

/// `len` reproducible bytes that are not text (xorshift), for payloads.
pub fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// The fuzzers' web fixture (files, a FIFO, symlinks in and out, a dotfile) in a temporary
/// directory, with logging quiet; the directory goes when the first value is dropped.
pub fn web_fixture() -> (tempfile::TempDir, netlab::fuzzing::Fixture) {
    netlab::log::init(true, false);
    let dir = tempfile::tempdir().expect("create temp dir");
    let fixture = netlab::fuzzing::Fixture::create(dir.path()).expect("create the web fixture");
    (dir, fixture)
}

/// Whether a peer tool is installed, for a test to return early without it: outside CI the test
/// then passes and says it was skipped. When `CI` is set (non-empty) a missing peer fails the
/// test instead, naming the tool: `.ci/run` installs every peer, so a skip there would be a test
/// that silently never ran.
#[track_caller]
pub fn peer(tool: &str) -> bool {
    peer_any(&[tool]).is_some()
}

/// The first of these names found on `PATH`, for one tool known by several (Chromium's
/// `chromium`, `chromium-browser`, `google-chrome`); none is missing as in [`peer`].
#[track_caller]
pub fn peer_any<'a>(names: &[&'a str]) -> Option<&'a str> {
    if let Some(found) = names.iter().copied().find(|name| on_path(name)) {
        return Some(found);
    }
    let tool = names.join("`, `");
    if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        panic!("`{tool}` is not installed, and CI is set: .ci/run must install it");
    }
    skip(&format!("`{tool}` is not installed (.ci/run installs it)"));
    None
}

/// Say that the calling test is skipped, and why. libtest captures what a passing test prints,
/// so the reason is also kept for one summary the test binary prints on stderr when it exits:
/// `cargo test` shows every skip at its end, not only with `--nocapture`.
pub fn skip(why: &str) {
    static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    extern "C" fn summary() {
        let skipped = SKIPPED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = format!("\n{} test(s) skipped:\n", skipped.len());
        for line in skipped.iter() {
            text.push_str(&format!("    {line}\n"));
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    let test = thread::current().name().unwrap_or("a test").to_string();
    eprintln!("skipped: {why}");
    let mut skipped = SKIPPED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if skipped.is_empty() {
        // SAFETY: atexit takes a plain function with no arguments; `summary` is one, and it only
        // reads a static.
        unsafe {
            nix::libc::atexit(summary);
        }
    }
    skipped.push(format!("{test}: {why}"));
}

/// Whether an executable file of this name is in a directory of `PATH`.
fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Read everything from a pipe on a thread.
fn drain<R: Read + Send + 'static>(mut reader: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    })
}

/// Wait for a child up to `timeout`; kill it and return `None` when it does not exit in time.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Not a test of its own: what [`peer_rule_fails_in_ci_and_skips_outside`] runs in a child
/// copy of this binary, under each value of `CI`.
#[test]
#[ignore = "run by peer_rule_fails_in_ci_and_skips_outside"]
fn probe_a_missing_peer() {
    if !peer("netlab-no-such-peer") {
        return;
    }
    panic!("a tool that does not exist was found on PATH");
}

/// The rule `.ci/run` depends on: under CI a missing peer fails the test by the tool's name;
/// outside CI the test passes and says it was skipped.
#[test]
fn peer_rule_fails_in_ci_and_skips_outside() {
    let probe = |ci: &str| {
        let out = Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "harness::probe_a_missing_peer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CI", ci)
            .output()
            .expect("run the probe");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (passed, output) = probe("true");
    assert!(!passed, "CI set, and a missing peer passed:\n{output}");
    assert!(
        output.contains("`netlab-no-such-peer` is not installed, and CI is set"),
        "{output}"
    );
    let (passed, output) = probe("");
    assert!(passed, "outside CI a missing peer must skip:\n{output}");
    assert!(
        output.contains("skipped: `netlab-no-such-peer` is not installed"),
        "{output}"
    );
    assert!(
        output.contains("1 passed"),
        "the probe did not run:\n{output}"
    );
}

/// A peer tool's output once it exits (killed after [`WAIT`]): stdout and stderr read while it
/// runs, so a full pipe cannot stall it.
pub fn wait_output(child: Child) -> std::process::Output {
    wait_output_within(child, WAIT)
}

/// [`wait_output`] for a peer that takes longer (a browser session), killed after `timeout`.
pub fn wait_output_within(mut child: Child, timeout: Duration) -> std::process::Output {
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let status = wait_timeout(&mut child, timeout).expect("the peer tool should exit in time");
    let join =
        |t: Option<thread::JoinHandle<Vec<u8>>>| t.map(|t| t.join().unwrap()).unwrap_or_default();
    std::process::Output {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    }
}
