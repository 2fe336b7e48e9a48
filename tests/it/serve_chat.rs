//! `serve --chat`: sessions checked line by line in the thread and poll models (plain and TLS),
//! a client that never reads, over-long lines, escaped nicks, and the refusals.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;

use crate::harness::{Lab, Server, WAIT, bin, stop};

/// One chat client on a plain socket, reading line by line (every read bounded by [`WAIT`]).
struct Chatter {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Its address, as the room first names it.
    addr: String,
}

impl Chatter {
    fn new(server: &Server) -> Chatter {
        let writer = server.connect();
        Chatter {
            addr: writer.local_addr().unwrap().to_string(),
            reader: BufReader::new(writer.try_clone().unwrap()),
            writer,
        }
    }

    fn say(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    #[track_caller]
    fn next_line(&mut self) -> String {
        let mut line = Vec::new();
        self.reader
            .read_until(b'\n', &mut line)
            .expect("a line within the timeout");
        assert!(line.ends_with(b"\n"), "{}: cut short: {line:?}", self.addr);
        line.pop();
        String::from_utf8(line).unwrap()
    }

    #[track_caller]
    fn expect(&mut self, want: &str) {
        assert_eq!(self.next_line(), want, "what {} read next", self.addr);
    }
}

fn chat(lab: &Lab, model: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--port", "0", "--chat", "--model", model];
    args.extend_from_slice(extra);
    lab.server(args)
}

/// Clients join one at a time: each earlier one is told.
fn room(server: &Server, n: usize) -> Vec<Chatter> {
    let mut all: Vec<Chatter> = Vec::new();
    for _ in 0..n {
        let new = Chatter::new(server);
        for old in &mut all {
            old.expect(&format!("* {} joined", new.addr));
        }
        all.push(new);
    }
    all
}

fn five_clients_talk(model: &str) {
    let lab = Lab::new();
    let server = chat(&lab, model, &[]);
    let mut c = room(&server, 5);
    let names: Vec<String> = c.iter().map(|c| c.addr.clone()).collect();

    c[0].say(b"hello\n");
    for other in &mut c[1..] {
        other.expect(&format!("{}: hello", names[0]));
    }

    c[1].say(b"/nick alice\n");
    c[1].expect("* you are now alice");
    for i in [0, 2, 3, 4] {
        c[i].expect(&format!("* {} is now alice", names[1]));
    }
    c[1].say(b"hi from alice\r\n");
    for i in [0, 2, 3, 4] {
        c[i].expect("alice: hi from alice");
    }

    c[2].say(b"/nick alice\n/nick   \n");
    c[2].expect("* nick: alice is taken");
    c[2].expect("* nick: no name given (/nick NAME)");

    // Two lines in one write, a third split across writes.
    c[3].say(b"one\ntwo\nthr");
    c[3].say(b"ee\n");
    for i in [0, 1, 2, 4] {
        for line in ["one", "two", "three"] {
            c[i].expect(&format!("{}: {line}", names[3]));
        }
    }

    // A last line without its newline still goes out, before the leave notice.
    c[4].say(b"bye");
    c.pop();
    for other in &mut c {
        other.expect(&format!("{}: bye", names[4]));
        other.expect(&format!("* {} left", names[4]));
    }
    c.remove(1);
    for other in &mut c {
        other.expect("* alice left");
    }

    // Nothing came in between: the next line each reads is this one.
    c[0].say(b"end\n");
    c[1].expect(&format!("{}: end", names[0]));
    c[2].expect(&format!("{}: end", names[0]));
    let log = stop(server);
    assert!(log.contains("stopped: 5 connections"), "{log}");
}

#[test]
fn chat_five_clients_line_by_line_thread() {
    five_clients_talk("thread");
}

#[test]
fn chat_five_clients_line_by_line_poll() {
    five_clients_talk("poll");
}

/// Nine clients send to each other while a tenth never reads: the nine get every line, and the
/// tenth is dropped with a notice, once its queue (and socket buffers) are full.
fn a_client_that_never_reads(model: &str) {
    const LINES: usize = 500;
    const LINE: usize = 2000;
    let lab = Lab::new();
    let server = chat(&lab, model, &["--chat-queue", "256K"]);
    let mut all = room(&server, 10);
    let stuck = all.remove(0);
    let names: Vec<String> = all.iter().map(|c| c.addr.clone()).collect();
    let workers: Vec<_> = all
        .into_iter()
        .enumerate()
        .map(|(i, mut chatter)| {
            let names = names.clone();
            let stuck = stuck.addr.clone();
            std::thread::spawn(move || {
                let mut writer = chatter.writer.try_clone().unwrap();
                let sender = std::thread::spawn(move || {
                    let mut line = format!("{i:>4} ").into_bytes();
                    line.resize(LINE - 1, b'x');
                    line.push(b'\n');
                    for _ in 0..LINES {
                        writer.write_all(&line).unwrap();
                    }
                });
                let mut counts = vec![0usize; names.len()];
                let mut dropped = 0;
                // Bounded: every read has a timeout, and the count of lines is known.
                while counts.iter().sum::<usize>() < LINES * (names.len() - 1) {
                    let line = chatter.next_line();
                    if line == format!("* {stuck} dropped: not reading") {
                        dropped += 1;
                        continue;
                    }
                    let from = names
                        .iter()
                        .position(|name| line.starts_with(&format!("{name}: ")))
                        .unwrap_or_else(|| panic!("unexpected line {line:.80}"));
                    assert_eq!(line.len(), from_len(&names[from]) + LINE - 1);
                    counts[from] += 1;
                }
                sender.join().unwrap();
                (i, counts, dropped, chatter)
            })
        })
        .collect();
    let mut readers = Vec::new();
    for worker in workers {
        let (i, counts, dropped, chatter) = worker.join().unwrap();
        for (from, &n) in counts.iter().enumerate() {
            assert_eq!(n, if from == i { 0 } else { LINES }, "{i} from {from}");
        }
        readers.push((dropped, chatter));
    }
    server.wait_for_line(&format!("dropped {}: not reading", stuck.addr));
    // The drop notice came to each reader once (after the data, if it was not among it).
    for (dropped, mut chatter) in readers {
        if dropped == 0 {
            chatter.expect(&format!("* {} dropped: not reading", stuck.addr));
        } else {
            assert_eq!(dropped, 1);
        }
    }
    drop(stuck);
    stop(server);
}

fn from_len(name: &str) -> usize {
    name.len() + 2
}

#[test]
fn chat_a_client_that_never_reads_is_dropped_and_slows_no_one_thread() {
    a_client_that_never_reads("thread");
}

#[test]
fn chat_a_client_that_never_reads_is_dropped_and_slows_no_one_poll() {
    a_client_that_never_reads("poll");
}

#[test]
fn chat_an_over_long_line_is_refused_to_its_sender_and_the_client_stays() {
    for model in ["thread", "poll"] {
        let lab = Lab::new();
        let server = chat(&lab, model, &["--max-line", "100"]);
        let mut c = room(&server, 2);
        let mut long = vec![b'y'; 150];
        long.push(b'\n');
        c[0].say(&long[..70]);
        c[0].say(&long[70..]);
        c[0].say(&[b'z'; 101]);
        c[0].say(b"\nstill here\n");
        c[0].expect("* line not sent: longer than 100 bytes (--max-line)");
        c[0].expect("* line not sent: longer than 100 bytes (--max-line)");
        let a = c[0].addr.clone();
        c[1].expect(&format!("{a}: still here"));
        stop(server);
    }
}

#[test]
fn chat_control_bytes_in_a_nick_are_escaped_and_long_nicks_refused() {
    for model in ["thread", "poll"] {
        let lab = Lab::new();
        let server = chat(&lab, model, &[]);
        let mut c = room(&server, 2);
        c[0].say(b"/nick ev\x1b[2Jil\\\x07\n");
        c[0].expect("* you are now ev\\x1b[2Jil\\\\\\x07");
        let a = c[0].addr.clone();
        c[1].expect(&format!("* {a} is now ev\\x1b[2Jil\\\\\\x07"));
        c[1].say(format!("/nick {}\n", "n".repeat(33)).as_bytes());
        c[1].expect("* nick: too long (at most 32 bytes)");
        stop(server);
    }
}

#[test]
fn chat_refuses_models_without_a_shared_room_and_udp() {
    let lab = Lab::new();
    for (args, why) in [
        (&["--model", "serial"][..], "one client at a time"),
        (&["--model", "fork"], "processes share no room"),
        (&["--model", "pool"], "--workers"),
        (&["--udp"], "--chat does not go with --udp"),
    ] {
        let mut all = vec!["serve", "--port", "0", "--chat"];
        all.extend_from_slice(args);
        lab.cmd(all).run().fails_with(2, why);
    }
    lab.cmd(["serve", "--port", "0", "--chat-queue", "1M"])
        .run()
        .fails_with(2, "--chat");
    lab.cmd(["serve", "--port", "0", "--chat", "--max-line", "0"])
        .run()
        .fails_with(2, "--max-line");
}

/// A `netlab connect --tls` client, its output read on a thread.
struct TlsClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl TlsClient {
    fn new(lab: &Lab, server: &Server) -> TlsClient {
        let mut child = Command::new(bin())
            .args(["connect", "--tls", "--cacert", "saved.pem"])
            .arg(server.addr().to_string())
            .current_dir(lab.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        TlsClient {
            stdin: child.stdin.take(),
            child,
            lines,
        }
    }

    #[track_caller]
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(WAIT)
            .expect("a line within the timeout")
    }
}

impl Drop for TlsClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn chat_over_tls_in_the_thread_and_poll_models() {
    for model in ["thread", "poll"] {
        let lab = Lab::new();
        let server = chat(&lab, model, &["--tls", "--tls-save-cert", "saved.pem"]);
        let mut a = TlsClient::new(&lab, &server);
        // In the room (its handshake done) before bob comes.
        let input = a.stdin.as_mut().unwrap();
        input.write_all(b"/nick alice\n").unwrap();
        assert_eq!(a.next_line(), "* you are now alice");
        let mut b = TlsClient::new(&lab, &server);
        let joined = a.next_line();
        assert!(joined.starts_with("* 127.0.0.1:") && joined.ends_with(" joined"));
        let b_name = &joined[2..joined.len() - " joined".len()];
        let input = b.stdin.as_mut().unwrap();
        input.write_all(b"/nick bob\nhello over tls\n").unwrap();
        assert_eq!(b.next_line(), "* you are now bob");
        assert_eq!(a.next_line(), format!("* {b_name} is now bob"));
        assert_eq!(a.next_line(), "bob: hello over tls");
        // bob's end of input half-closes: the room lets bob go.
        b.stdin = None;
        assert_eq!(a.next_line(), "* bob left");
        drop(b);
        drop(a);
        stop(server);
    }
}
