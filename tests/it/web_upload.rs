//! `netlab web --upload`, `--overwrite`, `--mkdir`, `--delete`, `--max-upload` against raw
//! sockets (issue 15): what is created, what is refused, and that nothing torn or temporary is
//! ever left under a name, whatever the client does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::{Lab, Server, WAIT, noise, skip};
use crate::web::serve;
use crate::web::{Resp, assert_closed, get, open, read_response, request, send};

/// A lab with a served folder `site` (one file, one folder) and a file beside it.
pub(crate) fn lab() -> Lab {
    let lab = Lab::new();
    lab.write("site/old.txt", "old\n");
    lab.write("site/d/x.txt", "x\n");
    lab.write("outside.txt", "outside\n");
    lab
}

fn put_head(target: &str, len: usize, extra: &str) -> String {
    format!("PUT {target} HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\n{extra}\r\n")
}

#[track_caller]
fn put(server: &Server, target: &str, body: &[u8]) -> Resp {
    let mut raw = put_head(target, body.len(), "").into_bytes();
    raw.extend_from_slice(body);
    request(server, raw)
}

/// Every path under `dir` (recursively, symlinks not followed), sorted, with file contents.
pub(crate) fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(here) = todo.pop() {
        for entry in std::fs::read_dir(&here).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            let path = entry.path();
            let bytes = if kind.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            if kind.is_dir() {
                todo.push(path.clone());
            }
            out.push((path, bytes));
        }
    }
    out.sort();
    out
}

/// The names in a folder, dotfiles (temporary files) included.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn web_put_creates_a_file_201() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let body = noise(100_000);
    let resp = put(&server, "/new.bin", &body);
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert_eq!(resp.header("Location"), Some("/new.bin"));
    assert_eq!(
        std::fs::read(lab.path().join("site/new.bin")).unwrap(),
        body
    );
    let back = get(&server, "/new.bin");
    assert_eq!(back.status, 200);
    assert_eq!(back.body, body);
    // An empty upload is an empty file; a non-ASCII name is kept.
    assert_eq!(put(&server, "/%E6%95%99%E7%A8%8B.txt", b"").status, 201);
    assert_eq!(
        std::fs::read(lab.path().join("site/教程.txt")).unwrap(),
        b""
    );
    assert_eq!(put(&server, "/d/y.txt", b"y").status, 201);
    assert_eq!(
        std::fs::read(lab.path().join("site/d/y.txt")).unwrap(),
        b"y"
    );
    assert_eq!(
        names(&lab.path().join("site")),
        ["d", "new.bin", "old.txt", "教程.txt"]
    );
}

#[test]
fn web_put_chunked_and_expect_continue() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let mut conn = open(&server);
    send(
        &mut conn,
        "PUT /c.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n",
    );
    assert_eq!(read_response(&mut conn, false).status, 201);
    // The connection is kept: a second upload, waiting for 100 Continue, on it.
    send(&mut conn, put_head("/e.txt", 3, "Expect: 100-continue\r\n"));
    let interim = read_response(&mut conn, true);
    assert_eq!(interim.status, 100);
    send(&mut conn, "abc");
    assert_eq!(read_response(&mut conn, false).status, 201);
    let site = lab.path().join("site");
    assert_eq!(std::fs::read(site.join("c.txt")).unwrap(), b"hello, world");
    assert_eq!(std::fs::read(site.join("e.txt")).unwrap(), b"abc");
}

#[test]
fn web_put_existing_is_409_unless_overwrite() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    assert_eq!(put(&server, "/old.txt", b"new").status, 409);
    assert_eq!(put(&server, "/d", b"new").status, 409);
    assert_eq!(
        std::fs::read(lab.path().join("site/old.txt")).unwrap(),
        b"old\n"
    );
    drop(server);
    let server = serve(&lab, &["--upload", "--overwrite"]);
    assert_eq!(put(&server, "/old.txt", b"new").status, 204);
    assert_eq!(
        std::fs::read(lab.path().join("site/old.txt")).unwrap(),
        b"new"
    );
    // A folder is never replaced by a file.
    assert_eq!(put(&server, "/d", b"new").status, 409);
    assert!(lab.path().join("site/d/x.txt").is_file());
}

#[test]
fn web_put_into_a_missing_folder_is_404_unless_mkdir() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    assert_eq!(put(&server, "/a/b/c.txt", b"c").status, 404);
    assert!(!lab.path().join("site/a").exists());
    drop(server);
    let server = serve(&lab, &["--upload", "--mkdir"]);
    assert_eq!(put(&server, "/a/b/c.txt", b"c").status, 201);
    assert_eq!(
        std::fs::read(lab.path().join("site/a/b/c.txt")).unwrap(),
        b"c"
    );
    // A folder name is checked as a file name is.
    assert_eq!(put(&server, "/.git/c.txt", b"c").status, 400);
    assert!(!lab.path().join("site/.git").exists());
}

#[test]
fn web_put_with_a_bad_name_writes_nothing_anywhere() {
    let lab = lab();
    std::os::unix::fs::symlink(lab.path(), lab.path().join("site/up")).unwrap();
    let server = serve(&lab, &["--upload", "--mkdir", "--overwrite"]);
    let before = tree(lab.path());
    for target in [
        "/../x",
        "/a/../../b",
        "/%2e%2e/x",
        "/%2E%2E%2Fx",
        "/a%2fb",
        "/a%2F..%2Foutside.txt",
        "/a%00b",
        "/a%5cb",
        "/a\\b",
        "/..\\outside.txt",
        "/a%01b",
        "/a%0ab",
        "/a%7fb",
        "/.env",
        "/d/.htaccess",
        "/%2eenv",
        "/dir/",
        "//outside.txt",
    ] {
        let resp = put(&server, target, b"EVIL");
        assert_eq!(resp.status, 400, "{target}: {}", resp.text());
    }
    // Through a symlink out of the root: refused, and nothing written where it leads.
    for target in ["/up/outside.txt", "/up/new.txt", "/up/new/x.txt"] {
        let resp = put(&server, target, b"EVIL");
        assert_eq!(resp.status, 403, "{target}: {}", resp.text());
    }
    assert_eq!(tree(lab.path()), before);
    server.wait_for_line("\"PUT /../x HTTP/1.1\" 400");
    // The server still serves.
    assert_eq!(get(&server, "/old.txt").status, 200);
}

#[test]
fn web_put_dotfile_with_hidden() {
    let lab = lab();
    let server = serve(&lab, &["--upload", "--hidden"]);
    assert_eq!(put(&server, "/.env", b"A=1").status, 201);
    assert_eq!(std::fs::read(lab.path().join("site/.env")).unwrap(), b"A=1");
    assert_eq!(put(&server, "/a%01b", b"x").status, 400);
}

#[test]
fn web_max_upload_is_413_up_front_and_while_streaming() {
    let lab = lab();
    let server = serve(&lab, &["--upload", "--max-upload", "1K"]);
    assert_eq!(put(&server, "/ok.bin", &noise(1024)).status, 201);
    // Content-Length over the limit: 413 before a byte is read, no 100 Continue.
    let mut conn = open(&server);
    send(
        &mut conn,
        put_head("/big.bin", 1025, "Expect: 100-continue\r\n"),
    );
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, 413);
    assert_eq!(resp.header("Connection"), Some("close"));
    // Chunked, over the limit in its second chunk.
    let mut conn = open(&server);
    send(
        &mut conn,
        "PUT /big.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    send(&mut conn, format!("200\r\n{}\r\n", "a".repeat(0x200)));
    send(
        &mut conn,
        format!("201\r\n{}\r\n0\r\n\r\n", "a".repeat(0x201)),
    );
    assert_eq!(read_response(&mut conn, false).status, 413);
    assert_closed(&mut conn);
    assert_eq!(names(&lab.path().join("site")), ["d", "ok.bin", "old.txt"]);
}

#[test]
fn web_upload_cut_halfway_leaves_no_file() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let total = 64 << 20;
    let mut conn = server.connect();
    conn.write_all(put_head("/cut.bin", total, "").as_bytes())
        .unwrap();
    let chunk = noise(1 << 20);
    for _ in 0..8 {
        conn.write_all(&chunk).unwrap();
    }
    // The client dies halfway (well, an eighth of the way).
    drop(conn);
    server.wait_for_line("upload of /cut.bin failed: body cut short");
    assert_eq!(names(&lab.path().join("site")), ["d", "old.txt"]);
    assert_eq!(get(&server, "/old.txt").status, 200);
}

#[test]
fn web_upload_that_stalls_times_out_and_leaves_no_file() {
    let lab = lab();
    let server = serve(&lab, &["--upload", "--header-timeout", "1s"]);
    let mut conn = open(&server);
    send(&mut conn, put_head("/slow.txt", 100, ""));
    send(&mut conn, "only part of it");
    // Others are served meanwhile.
    assert_eq!(get(&server, "/old.txt").status, 200);
    let began = Instant::now();
    let resp = read_response(&mut conn, false);
    assert_eq!(resp.status, 408);
    assert!(began.elapsed() < WAIT);
    server.wait_for_line("upload of /slow.txt failed: body timed out");
    assert_eq!(names(&lab.path().join("site")), ["d", "old.txt"]);
}

#[test]
fn web_two_uploads_of_one_name_end_with_one_whole_file() {
    let lab = lab();
    let server = serve(&lab, &["--upload"]);
    let site = lab.path().join("site");
    let (a, b) = (vec![b'a'; 200_000], vec![b'b'; 200_000]);
    let mut first = open(&server);
    let mut second = open(&server);
    send(&mut first, put_head("/same.bin", a.len(), ""));
    send(&mut first, &a[..1000]);
    send(&mut second, put_head("/same.bin", b.len(), ""));
    send(&mut second, &b[..1000]);
    // Both are streaming into temporary files of their own.
    let deadline = Instant::now() + WAIT;
    while names(&site).iter().filter(|n| n.starts_with('.')).count() < 2 {
        assert!(Instant::now() < deadline, "two uploads never began");
        std::thread::sleep(Duration::from_millis(5));
    }
    send(&mut first, &a[1000..]);
    assert_eq!(read_response(&mut first, false).status, 201);
    send(&mut second, &b[1000..]);
    assert_eq!(read_response(&mut second, false).status, 409);
    assert_eq!(std::fs::read(site.join("same.bin")).unwrap(), a);
    assert_eq!(names(&site), ["d", "old.txt", "same.bin"]);
}

#[test]
fn web_full_disk_is_507_and_leaves_nothing() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { nix::libc::geteuid() } != 0 {
        return skip("mounting a small tmpfs needs root");
    }
    let lab = lab();
    let disk = lab.path().join("site/disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&disk)
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        return skip("could not mount a tmpfs (no CAP_SYS_ADMIN here)");
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(disk.clone());
    let server = serve(&lab, &["--upload"]);
    let resp = put(&server, "/disk/full.bin", &noise(4 << 20));
    assert_eq!(resp.status, 507, "{}", resp.text());
    server.wait_for_line("upload of /disk/full.bin failed: disk full");
    assert!(names(&disk).is_empty(), "{:?}", names(&disk));
    // What fits still goes in.
    assert_eq!(put(&server, "/disk/small.bin", &noise(1000)).status, 201);
}

#[test]
fn web_without_upload_put_is_405() {
    let lab = lab();
    let server = serve(&lab, &[]);
    let resp = put(&server, "/new.txt", b"x");
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("Allow"), Some("GET, HEAD"));
    assert!(!lab.path().join("site/new.txt").exists());
    drop(server);
    let server = serve(&lab, &["--upload", "--delete"]);
    // A form goes to a folder, not to a file's name.
    let resp = request(&server, "POST /x HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("Allow"), Some("GET, HEAD, POST, PUT, DELETE"));
}

#[test]
fn web_upload_flags_need_a_directory() {
    let lab = lab();
    lab.cmd(["web", "--echo", "--upload"]).run().expect_code(2);
    lab.cmd(["web", "--overwrite"]).run().expect_code(2);
    lab.cmd(["web", "--upload", "--max-upload", "lots"])
        .run()
        .fails_with(2, "--max-upload");
}

#[test]
fn web_delete_removes_files_and_empty_folders_only() {
    let lab = lab();
    lab.write("site/.hidden", "h");
    std::fs::create_dir(lab.path().join("site/empty")).unwrap();
    std::os::unix::fs::symlink(lab.path().join("outside.txt"), lab.path().join("site/link"))
        .unwrap();
    let server = serve(&lab, &["--delete"]);
    let delete = |target: &str| {
        request(
            &server,
            format!("DELETE {target} HTTP/1.1\r\nHost: t\r\n\r\n"),
        )
        .status
    };
    assert_eq!(delete("/old.txt"), 204);
    assert!(!lab.path().join("site/old.txt").exists());
    assert_eq!(delete("/old.txt"), 404);
    assert_eq!(delete("/d"), 409);
    assert_eq!(delete("/empty"), 204);
    assert_eq!(delete("/.hidden"), 404);
    assert_eq!(delete("/../outside.txt"), 400);
    assert_eq!(delete("/"), 403);
    // A symlink goes, not what it points to.
    assert_eq!(delete("/link"), 204);
    assert!(lab.path().join("outside.txt").is_file());
    assert_eq!(names(&lab.path().join("site")), [".hidden", "d"]);
    // Without --upload a PUT is still refused.
    assert_eq!(put(&server, "/n.txt", b"n").status, 405);
}
