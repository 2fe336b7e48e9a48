//! `netlab web --archives` (issue 15): each folder as tar, tar.gz and zip, downloaded with curl,
//! unpacked with `tar` and `unzip` and compared with the tree — UTF-8 and long names, nested
//! folders, a symlink out of the root absent, one inside followed, dotfiles only with
//! `--hidden`; off by default; guarded by `--auth` as reads are.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::{Lab, Server, noise, peer, wait_output};
use crate::web::get;
use crate::web::serve;

/// A name of 150 bytes: over tar's 100-byte field, so it needs a GNU long-name entry.
fn long_name() -> String {
    format!("{}.bin", "l".repeat(146))
}

/// The tree: files at three depths, a UTF-8 name, a long name, an empty folder, dotfiles, a
/// symlink out of the root and one inside it (to a file and, a loop, to its own parent).
fn lab() -> Lab {
    let lab = Lab::new();
    lab.write("secret.txt", "outside the root\n");
    lab.write("site/a.txt", "alpha\n");
    lab.write("site/教程.txt", "中文内容\n");
    lab.write(&format!("site/sub/deep/{}", long_name()), noise(300 * 1024));
    lab.write("site/sub/b.txt", "beta\n");
    lab.write("site/.hidden", "dot\n");
    lab.write("site/sub/.dotdir/x.txt", "x\n");
    std::fs::create_dir(lab.path().join("site/empty")).unwrap();
    let link = |target: &Path, at: &str| std::os::unix::fs::symlink(target, lab.path().join(at));
    link(&lab.path().join("secret.txt"), "site/out.txt").unwrap();
    link(Path::new("../a.txt"), "site/sub/in.txt").unwrap();
    link(Path::new(".."), "site/sub/deep/up").unwrap();
    lab
}

/// What an unpacked tree holds: each path below `dir`, with a file's bytes (`None`: a folder).
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().unwrap());
            let kind = entry.file_type().unwrap();
            assert!(!kind.is_symlink(), "{name}: an archive holds no symlink");
            if kind.is_dir() {
                out.insert(name.clone(), None);
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, Some(std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

/// What the archive of `site/` should unpack to, under `site/`.
fn expected(lab: &Lab, hidden: bool) -> BTreeMap<String, Option<Vec<u8>>> {
    let read = |rel: &str| Some(std::fs::read(lab.path().join(rel)).unwrap());
    let mut want = BTreeMap::new();
    for dir in ["site", "site/empty", "site/sub", "site/sub/deep"] {
        want.insert(dir.to_string(), None);
    }
    for file in ["site/a.txt", "site/教程.txt", "site/sub/b.txt"] {
        want.insert(file.to_string(), read(file));
    }
    let long = format!("site/sub/deep/{}", long_name());
    want.insert(long.clone(), read(&long));
    // The link inside the root is followed: a.txt's bytes under the link's name.
    want.insert("site/sub/in.txt".into(), read("site/a.txt"));
    if hidden {
        want.insert("site/.hidden".into(), read("site/.hidden"));
        want.insert("site/sub/.dotdir".into(), None);
        want.insert(
            "site/sub/.dotdir/x.txt".into(),
            read("site/sub/.dotdir/x.txt"),
        );
    }
    want
}

/// Run a peer tool to its end (bounded); panics with its output when it fails.
#[track_caller]
fn run(command: &mut Command) -> Vec<u8> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {command:?}: {err}"));
    let out = wait_output(child);
    assert!(
        out.status.success(),
        "{command:?} failed: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Download `target` with curl into `file`; returns the response head.
fn download(server: &Server, target: &str, file: &Path) -> String {
    let url = format!("{}{target}", server.base_url());
    let head = run(Command::new("curl")
        .args(["-sS", "--fail", "-D", "-", "-o"])
        .arg(file)
        .arg(url));
    String::from_utf8(head).unwrap()
}

/// Download the root in each format, unpack it with the peer tool, compare with the tree.
fn unpacks_to_the_tree(hidden: bool) {
    if !peer("curl") || !peer("tar") || !peer("unzip") {
        return;
    }
    let lab = lab();
    let server = serve(
        &lab,
        if hidden {
            &["--archives", "--hidden"]
        } else {
            &["--archives"]
        },
    );
    let want = expected(&lab, hidden);
    for (format, unpack) in [
        ("tar", &["tar", "-xf"][..]),
        ("tar.gz", &["tar", "-xzf"][..]),
        ("zip", &["unzip", "-q"][..]),
    ] {
        let file = lab.path().join(format!("got.{format}"));
        let head = download(&server, &format!("/?download={format}"), &file);
        assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
        assert!(
            head.contains(&format!(
                "filename=\"site.{format}\"; filename*=UTF-8''site.{format}"
            )),
            "{head}"
        );
        let into = lab.path().join(format!("unpacked-{format}"));
        std::fs::create_dir(&into).unwrap();
        run(Command::new(unpack[0])
            .args(&unpack[1..])
            .arg(&file)
            .current_dir(&into));
        let got = tree(&into);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{format}: names"
        );
        assert!(got == want, "{format}: some file's bytes differ");
        assert!(!got.contains_key("site/out.txt"), "{format}: a symlink out");
    }
    let log = server.log();
    for format in ["tar", "tar.gz", "zip"] {
        assert!(
            log.contains(&format!("\"GET /?download={format} HTTP/1.1\" 200 ")),
            "{log}"
        );
    }
}

#[test]
fn web_archives_unpack_with_tar_and_unzip_to_what_the_listing_shows() {
    unpacks_to_the_tree(false);
}

#[test]
fn web_archives_hold_dotfiles_only_with_hidden() {
    unpacks_to_the_tree(true);
}

#[test]
fn web_archives_of_a_subfolder_are_named_for_it() {
    if !peer("curl") || !peer("tar") {
        return;
    }
    let lab = lab();
    lab.write("site/资料/c.txt", "gamma\n");
    let server = serve(&lab, &["--archives"]);
    let file = lab.path().join("sub.tar.gz");
    let head = download(&server, "/%E8%B5%84%E6%96%99/?download=tar.gz", &file);
    assert!(
        head.contains(
            "Content-Disposition: attachment; filename=\"__.tar.gz\"; \
             filename*=UTF-8''%E8%B5%84%E6%96%99.tar.gz"
        ),
        "{head}"
    );
    assert!(head.contains("Content-Type: application/gzip"), "{head}");
    let listed = run(Command::new("tar").arg("-tzf").arg(&file));
    assert_eq!(String::from_utf8(listed).unwrap(), "资料\n资料/c.txt\n");
}

#[test]
fn web_listing_links_to_archives_only_with_the_flag() {
    let lab = lab();
    let on = serve(&lab, &["--archives"]);
    let page = get(&on, "/sub/").text();
    for format in ["tar", "tar.gz", "zip"] {
        assert!(
            page.contains(&format!("<a href=\"?download={format}\">")),
            "{page}"
        );
    }
    let off = serve(&lab, &[]);
    let page = get(&off, "/sub/");
    assert!(!page.text().contains("download="), "{}", page.text());
    // Without the flag the query means nothing: the listing answers, not an archive.
    for format in ["tar", "tar.gz", "zip"] {
        let resp = get(&off, &format!("/sub/?download={format}"));
        assert_eq!(resp.status, 200);
        assert_eq!(
            resp.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert!(resp.header("Content-Disposition").is_none());
        assert!(resp.text().contains("b.txt"));
    }
}

#[test]
fn web_archives_ask_for_the_password_as_reads_do() {
    let lab = lab();
    let all = serve(&lab, &["--archives", "--auth", "ann:pw"]);
    let resp = get(&all, "/?download=zip");
    assert_eq!(resp.status, 401);
    assert!(resp.header("Content-Disposition").is_none());
    // `--auth-for write`: reads, archives among them, stay public.
    let write = serve(
        &lab,
        &["--archives", "--auth", "ann:pw", "--auth-for", "write"],
    );
    let mut conn = crate::web::open(&write);
    crate::web::send(&mut conn, "HEAD /?download=zip HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = crate::web::read_response(&mut conn, true);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Content-Type"), Some("application/zip"));
}

#[test]
fn web_archives_need_a_listing() {
    Lab::new()
        .cmd(["web", ".", "--archives", "--no-listing"])
        .run()
        .expect_code(2);
}

#[test]
fn web_archives_go_to_http_1_0_clients_until_the_close() {
    if !peer("tar") {
        return;
    }
    let lab = lab();
    let server = serve(&lab, &["--archives"]);
    let mut conn = crate::web::open(&server);
    crate::web::send(&mut conn, "GET /sub/?download=tar HTTP/1.0\r\n\r\n");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut conn, &mut bytes).unwrap();
    let at = memchr_end(&bytes).expect("a head");
    let head = String::from_utf8_lossy(&bytes[..at]).into_owned();
    assert!(head.contains("Connection: close"), "{head}");
    assert!(!head.contains("chunked"), "{head}");
    let file = lab.path().join("sub.tar");
    std::fs::write(&file, &bytes[at..]).unwrap();
    let listed = String::from_utf8(run(Command::new("tar").arg("-tf").arg(&file))).unwrap();
    assert!(
        listed.contains(&format!("sub/deep/{}", long_name())),
        "{listed}"
    );
    assert!(listed.contains("sub/in.txt"), "{listed}");
}

/// Where the body starts: after the head's blank line.
fn memchr_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

#[test]
fn web_archives_cut_by_the_client_leave_the_server_serving() {
    let lab = lab();
    // More than the sockets' buffers hold, so the server is still writing when the client goes.
    for i in 0..40 {
        lab.write(&format!("site/many/{i}.bin"), noise(256 * 1024));
    }
    let server = serve(&lab, &["--archives"]);
    let mut conn = crate::web::open(&server);
    crate::web::send(&mut conn, "GET /?download=tar HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut first = [0u8; 1024];
    std::io::Read::read_exact(&mut conn, &mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 200 OK\r\n"));
    drop(conn);
    // The cut download is logged as such, and the next client is served.
    server.wait_for_line("\"GET /?download=tar HTTP/1.1\" - -");
    let resp = get(&server, "/a.txt");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "alpha\n");
}
