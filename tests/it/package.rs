//! What a packaged netlab says about itself: `--version` with the build's commit, and the
//! licences `Cargo.toml` names, present and shipped by `cargo package`.

use std::path::Path;
use std::process::Command;

use crate::harness::Lab;

/// `netlab 0.2.0`, then ` (rev abc1234)` or ` (rev abc1234, dirty)` when built from a checkout.
fn version_line_is_well_formed(line: &str) -> bool {
    let version = env!("CARGO_PKG_VERSION");
    let Some(rest) = line.strip_prefix(&format!("netlab {version}")) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(inner) = rest
        .strip_prefix(" (rev ")
        .and_then(|r| r.strip_suffix(')'))
    else {
        return false;
    };
    let commit = inner.strip_suffix(", dirty").unwrap_or(inner);
    commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn version_names_the_package_and_the_commit_it_was_built_from() {
    let lab = Lab::new();
    let long = lab.cmd(["--version"]).run();
    long.success();
    let line = long.stdout();
    let line = line.trim_end();
    assert!(
        version_line_is_well_formed(line),
        "--version printed {line:?}"
    );
    // -V is the bare version, as the man pages show it.
    lab.cmd(["-V"])
        .run()
        .stdout_is(&format!("netlab {}\n", env!("CARGO_PKG_VERSION")));

    // Built from a git checkout of netlab (as `cargo test` is, here and in CI), the commit is
    // the checkout's HEAD.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output();
    match head {
        Ok(out) if out.status.success() && root.join(".git").exists() => {
            let head = String::from_utf8(out.stdout).unwrap();
            assert!(
                line.contains(&format!("(rev {}", head.trim())),
                "--version printed {line:?}, HEAD is {head}"
            );
        }
        _ => assert!(!line.contains("(rev"), "no checkout, yet {line:?}"),
    }
}

#[test]
fn version_format_is_checked_by_what_it_accepts() {
    assert!(version_line_is_well_formed(&format!(
        "netlab {}",
        env!("CARGO_PKG_VERSION")
    )));
    for bad in ["netlab", "netlab 0.0.0-x (rev c9368f3)", "netlab (rev zz)"] {
        assert!(!version_line_is_well_formed(bad), "{bad}");
    }
}

#[test]
fn licences_are_present_named_and_packaged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    let mit = std::fs::read_to_string(root.join("LICENSE-MIT")).unwrap();
    assert!(
        mit.starts_with("MIT License")
            && mit.contains("Permission is hereby granted, free of charge")
    );
    let apache = std::fs::read_to_string(root.join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("LICENSE-MIT") && readme.contains("LICENSE-APACHE"));

    // What `cargo package` would ship: the licences and the generated pages, no tests, benches or
    // fuzz corpora.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline", "--quiet"])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo package --list: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(out.stdout).unwrap();
    let files: Vec<&str> = list.lines().collect();
    for needed in [
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
        "CHANGELOG.md",
        "Cargo.lock",
        "src/main.rs",
        "src/build.rs",
        "man/netlab.1",
        "completions/netlab.bash",
    ] {
        assert!(
            files.contains(&needed),
            "{needed} is not packaged: {files:?}"
        );
    }
    for file in &files {
        for kept_out in [
            "tests/",
            "benches/",
            "fuzz/",
            ".ci/",
            "proptest-regressions/",
        ] {
            assert!(!file.starts_with(kept_out), "{file} is packaged");
        }
    }
}
