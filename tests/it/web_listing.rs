//! The listing's sorting (issue 15): `?sort=name|size|time&order=asc|desc`, in the page and the
//! JSON listing, directories first.

use crate::harness::Lab;
use crate::web::{get, request};

#[test]
fn web_listing_sorts_by_size_and_the_json_listing_too() {
    let lab = Lab::new();
    lab.write("site/small.txt", "1");
    lab.write("site/large.txt", "1".repeat(3000));
    lab.write("site/middle.txt", "1".repeat(200));
    lab.write("site/zdir/x", "");
    let server = lab.server(["web", "site", "--port", "0"]);
    let page = get(&server, "/?sort=size&order=desc").text();
    let at = |name: &str| {
        page.find(&format!(">{name}<"))
            .unwrap_or_else(|| panic!("{name}: {page}"))
    };
    assert!(at("zdir/") < at("large.txt"));
    assert!(at("large.txt") < at("middle.txt"));
    assert!(at("middle.txt") < at("small.txt"));
    // The column heads link to the other orders, without JavaScript.
    assert!(
        page.contains("href=\"?sort=size&amp;order=asc\">Size ↓</a>"),
        "{page}"
    );
    let json = request(
        &server,
        "GET /?sort=size HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\r\n",
    );
    let value: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    let names: Vec<&str> = value["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["zdir", "small.txt", "middle.txt", "large.txt"]);
}
