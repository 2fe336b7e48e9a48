//! The leak check over TLS: 1,000 connections, each a full handshake and one small exchange, to
//! `serve --tls --echo` in every model and to `web --tls`; then the server's descriptors, threads
//! and children must settle back to what they were before the first client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use netlab::net::tls::{Trust, client_config, read_certs, server_name};

use crate::harness::{Lab, Server, WAIT, stop};
use crate::serve::{census, settles_to};

const CONNECTIONS: usize = 1_000;
const CLIENTS: usize = 4;

/// A client trusting the server's saved certificate, with resumption off: every connection
/// pays a full handshake, the path that allocates the most.
fn client(lab: &Lab) -> Arc<rustls::ClientConfig> {
    let certs = read_certs(&lab.path().join("saved.pem"), "--cacert").expect("saved.pem");
    let (config, _) = client_config(Trust::CaCert(certs), Vec::new(), None).expect("config");
    let mut config = (*config).clone();
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
}

/// One TLS connection: send `request`, read until the answer holds `expect` (or the server
/// closes), and close with a close_notify. What went wrong, if anything.
fn exchange(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    request: &[u8],
    expect: &[u8],
) -> Result<(), String> {
    let name = server_name(None, "127.0.0.1").unwrap();
    let socket = TcpStream::connect(addr).map_err(|err| format!("connect: {err}"))?;
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.set_write_timeout(Some(WAIT)).unwrap();
    let conn = rustls::ClientConnection::new(Arc::clone(config), name).expect("client");
    let mut tls = rustls::StreamOwned::new(conn, socket);
    tls.write_all(request)
        .map_err(|err| format!("send over TLS: {err}"))?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !answer.windows(expect.len()).any(|w| w == expect) {
        match tls.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
    if !answer.windows(expect.len()).any(|w| w == expect) {
        return Err(format!(
            "expected {:?} in {:?}",
            String::from_utf8_lossy(expect),
            String::from_utf8_lossy(&answer)
        ));
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}

/// Census, 1,000 exchanges from four threads, and the census again once they have ended.
fn thousand_connections_leave_nothing(lab: &Lab, server: &Server, request: &[u8], expect: &[u8]) {
    let config = client(lab);
    let baseline = census(server.pid());
    assert_eq!(baseline.2, 0, "children before any client");
    let addr = server.addr();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                scope.spawn(|| {
                    (0..CONNECTIONS / CLIENTS)
                        .find_map(|_| exchange(addr, &config, request, expect).err())
                })
            })
            .collect();
        clients
            .into_iter()
            .filter_map(|client| client.join().expect("client thread"))
            .collect()
    });
    assert!(failures.is_empty(), "{failures:?}\n{}", server.log());
    settles_to(server, baseline);
}

fn serve_tls_leaks_nothing(model: &str) {
    let lab = Lab::new();
    let server = lab.server([
        "serve",
        "--port",
        "0",
        "--model",
        model,
        "--echo",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
    ]);
    thousand_connections_leave_nothing(&lab, &server, b"ping over tls\n", b"ping over tls\n");
    let log = stop(server);
    // Every connection was served, and counted (with its thousands separator).
    assert!(log.contains("stopped: 1,000 connections"), "{log}");
}

#[test]
fn serve_tls_serial_leaks_no_fd_thread_or_process_after_1000_connections() {
    serve_tls_leaks_nothing("serial");
}

#[test]
fn serve_tls_thread_leaks_no_fd_thread_or_process_after_1000_connections() {
    serve_tls_leaks_nothing("thread");
}

#[test]
fn serve_tls_pool_leaks_no_fd_thread_or_process_after_1000_connections() {
    serve_tls_leaks_nothing("pool");
}

#[test]
fn serve_tls_fork_leaks_no_fd_thread_or_process_after_1000_connections() {
    serve_tls_leaks_nothing("fork");
}

#[test]
fn serve_tls_poll_leaks_no_fd_thread_or_process_after_1000_connections() {
    serve_tls_leaks_nothing("poll");
}

#[test]
fn web_tls_leaks_no_fd_or_thread_after_1000_connections() {
    let lab = Lab::new();
    lab.write("site/a.txt", "hello over tls\n");
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "saved.pem",
        "site",
    ]);
    let get = b"GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    // web prints its `listening on` line before its event loops have started; it accepts
    // only once they all run, so one answered request makes the census a fair baseline.
    exchange(server.addr(), &client(&lab), get, b"200 OK").expect("a first request");
    thousand_connections_leave_nothing(&lab, &server, get, b"hello over tls\n");
    let log = stop(server);
    assert!(log.contains("stopped: "), "{log}");
}
