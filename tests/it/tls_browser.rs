//! Headless Chromium loading `web --tls`'s listing over https (trusting it with
//! `--ignore-certificate-errors`), and every link on it answering 200 to `fetch --cacert`.

use crate::harness::{Lab, peer_any, stop};
use crate::web_peers::dump_dom_with;

#[test]
fn web_tls_listing_loads_in_chromium_and_every_link_answers_200() {
    let Some(browser) = peer_any(&["chromium", "chromium-browser", "google-chrome"]) else {
        return;
    };
    let lab = Lab::new();
    let names = ["a.txt", "b b.html", "教程.txt"];
    for name in names {
        lab.write(&format!("site/{name}"), format!("content of {name}"));
    }
    lab.write("site/folder/inner.txt", "inner");
    let server = lab.server([
        "web",
        "--port",
        "0",
        "--tls",
        "--tls-save-cert",
        "c.pem",
        "site",
    ]);
    let base = format!("https://{}", server.addr());
    let dom = dump_dom_with(
        browser,
        &lab,
        &format!("{base}/"),
        &["--ignore-certificate-errors"],
    );
    for name in names.iter().chain(&["folder/"]) {
        assert!(dom.contains(name), "{name} missing from the DOM:\n{dom}");
    }
    let hrefs: Vec<String> = dom
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| *href != "../")
        .map(|href| href.replace("&amp;", "&"))
        .collect();
    // The breadcrumb home, the names, the folder, and the column heads' three sort orders.
    assert_eq!(hrefs.len(), 1 + names.len() + 1 + 3, "{hrefs:?}");
    for href in hrefs {
        lab.cmd([
            "fetch",
            "--cacert",
            "c.pem",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{base}/{}", href.trim_start_matches('/')),
        ])
        .run()
        .success()
        .stdout_is("200");
    }
    // Chromium's requests came over TLS: the access log has them.
    let log = stop(server);
    assert!(log.contains("\"GET / HTTP/1.1\" 200"), "{log}");
}
