use std::io::Read;

use super::*;

fn ranked(accepted: &str) -> Vec<&'static str> {
    Ranked::of(accepted.as_bytes())
        .iter()
        .map(Coding::name)
        .collect()
}

#[test]
fn weights_decide_and_ties_go_to_the_server() {
    assert_eq!(ranked("gzip, deflate, br, zstd"), ["br", "zstd", "gzip"]);
    assert_eq!(ranked("gzip;q=1.0, br;q=0.5"), ["gzip", "br"]);
    assert_eq!(
        ranked("zstd;q=0.9, GZIP;q=0.95, br;q=0.1"),
        ["gzip", "zstd", "br"]
    );
    assert_eq!(ranked("x-gzip"), ["gzip"]);
    assert_eq!(ranked("deflate, compress"), Vec::<&str>::new());
    assert_eq!(ranked(""), Vec::<&str>::new());
}

#[test]
fn zero_refuses_and_identity_can_win() {
    assert_eq!(ranked("gzip;q=0, br"), ["br"]);
    assert_eq!(ranked("gzip; q=0.000"), Vec::<&str>::new());
    // The client weighs identity higher than gzip: identity.
    assert_eq!(ranked("gzip;q=0.5, identity"), Vec::<&str>::new());
    assert_eq!(ranked("gzip;q=0.5, identity;q=0.5"), ["gzip"]);
    assert_eq!(ranked("gzip;q=0.5, identity;q=0"), ["gzip"]);
    // Identity unweighed: every named coding comes first.
    assert_eq!(ranked("gzip;q=0.2, br;q=0.4"), ["br", "gzip"]);
}

#[test]
fn star_stands_for_the_rest() {
    assert_eq!(ranked("*"), ["br", "zstd", "gzip"]);
    assert_eq!(ranked("gzip;q=0.2, *;q=0"), ["gzip"]);
    assert_eq!(ranked("br;q=0, *"), ["zstd", "gzip"]);
    // `*;q=0.5` weighs identity too; gzip named at 1 beats it, the rest tie with it.
    assert_eq!(ranked("gzip, *;q=0.5"), ["gzip", "br", "zstd"]);
    assert_eq!(ranked("identity, *;q=0.5"), Vec::<&str>::new());
}

#[test]
fn malformed_weights_are_ignored() {
    assert_eq!(
        ranked("gzip;q=2, br;q=0.x, zstd;q=0.5555"),
        Vec::<&str>::new()
    );
    assert_eq!(ranked("gzip;q=1.000, br;q=1.5"), ["gzip"]);
    assert_eq!(parse_q(b"0.25"), Some(250));
    assert_eq!(parse_q(b"1."), Some(1000));
    assert_eq!(parse_q(b".5"), None);
}

#[test]
fn text_types_only() {
    for mime in [
        "text/html",
        "application/json",
        "image/svg+xml",
        "application/wasm",
    ] {
        assert!(compressible(mime), "{mime}");
    }
    for mime in ["image/png", "application/zip", "font/woff2", "video/mp4"] {
        assert!(!compressible(mime), "{mime}");
    }
    assert!(!worth("text/html", MIN_LEN));
    assert!(worth("text/html", MIN_LEN + 1));
    assert!(!worth("text/html", MAX_LEN + 1));
}

#[test]
fn every_coding_round_trips() {
    let text: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("<p>line {i}</p>\n").into_bytes())
        .collect();
    for coding in Coding::PREFERRED {
        let packed = coding.encode(&text).unwrap();
        assert!(packed.len() < text.len() / 3, "{}", coding.name());
        let mut back = Vec::new();
        match coding {
            Coding::Gzip => flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut back),
            Coding::Br => brotli::Decompressor::new(&packed[..], 4096).read_to_end(&mut back),
            Coding::Zstd => zstd::stream::read::Decoder::new(&packed[..])
                .unwrap()
                .read_to_end(&mut back),
        }
        .unwrap();
        assert_eq!(back, text, "{}", coding.name());
    }
}
