//! The committed completions and man pages are generated from `cli::command()`; this test
//! fails when they are stale.
//!
//! Regenerate them with: `NETLAB_UPDATE_ASSETS=1 cargo test --test it assets::`

use std::fs;
use std::path::{Path, PathBuf};

use clap_complete::Shell;
use clap_mangen::roff::{Roff, roman};

/// Every generated file: (path relative to the crate root, contents).
fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = netlab::cli::command();
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "netlab", &mut out);
        let name = match shell {
            Shell::Bash => "netlab.bash".to_string(),
            Shell::Zsh => "_netlab".to_string(),
            Shell::Fish => "netlab.fish".to_string(),
            Shell::Elvish => "netlab.elv".to_string(),
            Shell::PowerShell => "_netlab.ps1".to_string(),
            other => panic!("unexpected shell {other}"),
        };
        files.push((Path::new("completions").join(name), out));
    }
    // The pages show the package version, not the commit a build came from (`--version`'s long
    // form), or every commit would make them stale.
    let mut cmd = netlab::cli::command().long_version(None::<&str>);
    cmd.build();
    man_pages(&cmd, "netlab", &mut files);
    files
}

/// `netlab.1`, then `netlab-<verb>.1` for every verb (and nested verb) that is not hidden.
fn man_pages(cmd: &clap::Command, name: &str, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    // clap names are `&'static str`; a test may leak the few it builds.
    let title: &'static str = Box::leak(name.to_string().into_boxed_str());
    let bin_name: &'static str = Box::leak(name.replace('-', " ").into_boxed_str());
    let page = cmd.clone().name(title).bin_name(bin_name);
    let man = clap_mangen::Man::new(page.clone());
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    if page.has_subcommands() {
        man.render_subcommands_section(&mut out).unwrap();
    }
    // clap_mangen would fill the examples into a paragraph; keep their lines as they are.
    let mut extra = Roff::new();
    if let Some(examples) = page.get_after_help() {
        let examples = examples.to_string();
        let body = examples.strip_prefix("Examples:\n").unwrap_or(&examples);
        preformatted(&mut extra, "EXAMPLES", body);
    }
    if name == "netlab" || name == "netlab-fetch" {
        preformatted(&mut extra, "EXIT STATUS", &netlab::exit::Code::table());
    }
    extra.to_writer(&mut out).unwrap();
    man.render_version_section(&mut out).unwrap();
    files.push((Path::new("man").join(format!("{name}.1")), out));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files);
    }
}

#[test]
fn completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("NETLAB_UPDATE_ASSETS").is_some();
    let mut stale = Vec::new();
    let files = generated();
    for (path, contents) in &files {
        let full = root.join(path);
        if update {
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(&full, contents).unwrap();
        } else if fs::read(&full).ok().as_deref() != Some(contents.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    // A file left behind by a verb that no longer exists is stale too.
    for dir in ["completions", "man"] {
        for entry in fs::read_dir(root.join(dir)).into_iter().flatten().flatten() {
            let path = Path::new(dir).join(entry.file_name());
            if !files.iter().any(|(p, _)| *p == path) {
                if update {
                    fs::remove_file(root.join(&path)).unwrap();
                } else {
                    stale.push(format!("{} (no longer generated)", path.display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nregenerate with: NETLAB_UPDATE_ASSETS=1 cargo test --test it assets::"
    );
}

/// A section whose lines are kept as written (`.nf`).
fn preformatted(roff: &mut Roff, heading: &str, body: &str) {
    roff.control("SH", [heading]);
    roff.control("nf", []);
    for line in body.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
}

#[test]
fn readme_lists_every_exit_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let mut table = String::from("| code | meaning |\n| ---: | --- |\n");
    for code in netlab::exit::Code::ALL {
        table.push_str(&format!("| {} | {} |\n", code as u8, code.meaning()));
    }
    assert!(
        readme.contains(&table),
        "README's exit-code table differs from src/exit.rs; it should read:\n{table}"
    );
}
