//! What `netlab --version` says about the build: the package version and, when it was built
//! from a git checkout of netlab itself, the short commit and whether the tree had changes.
//!
//! Compiled twice: by the build script (`src/build.rs`), which runs git once per build and hands
//! the result to the crate as `NETLAB_LONG_VERSION`, and by `cargo test` for its tests. It is not
//! part of the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A commit of netlab's own repository: its short hash, and whether tracked files differed from
/// it when the build ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub commit: String,
    pub dirty: bool,
}

/// The long version line after the program name: `0.2.0`, `0.2.0 (rev c9368f3)` or
/// `0.2.0 (rev c9368f3, dirty)`.
pub fn describe(version: &str, revision: Option<&Revision>) -> String {
    match revision {
        None => version.to_string(),
        Some(Revision {
            commit,
            dirty: false,
        }) => format!("{version} (rev {commit})"),
        Some(Revision {
            commit,
            dirty: true,
        }) => format!("{version} (rev {commit}, dirty)"),
    }
}

/// The revision of the git checkout whose top level is `dir`, or `None`: no git, not a checkout,
/// or a checkout of something else that merely contains `dir` (a packaged crate unpacked under
/// `target/`, a crate in a vendored tree). Never an error: a build without git is a normal build.
pub fn revision(dir: &Path) -> Option<Revision> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--short", "HEAD"])?;
    // `--no-optional-locks`: status must not refresh the index, whose change would make cargo
    // run the build script again on the next build.
    let status = git(
        dir,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )?;
    Some(Revision {
        commit,
        dirty: !status.is_empty(),
    })
}

/// The files whose change can change [`revision`]'s answer for `dir`: the checkout's `HEAD`, its
/// log (every commit and checkout writes it) and its index. Empty when `dir` is not a checkout.
pub fn watched(dir: &Path) -> Vec<PathBuf> {
    let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) else {
        return Vec::new();
    };
    let git_dir = PathBuf::from(git_dir);
    ["HEAD", "logs/HEAD", "index"]
        .iter()
        .map(|name| git_dir.join(name))
        .filter(|path| path.exists())
        .collect()
}

/// `git ARGS` in `dir`, its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_git_is_the_bare_version() {
        assert_eq!(describe("0.2.0", None), "0.2.0");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(revision(dir.path()), None);
        assert!(watched(dir.path()).is_empty());
    }

    #[test]
    fn a_build_from_a_checkout_names_its_commit_and_dirt() {
        let clean = Revision {
            commit: "c9368f3".into(),
            dirty: false,
        };
        let dirty = Revision {
            dirty: true,
            ..clean.clone()
        };
        assert_eq!(describe("0.2.0", Some(&clean)), "0.2.0 (rev c9368f3)");
        assert_eq!(
            describe("0.2.0", Some(&dirty)),
            "0.2.0 (rev c9368f3, dirty)"
        );
    }

    #[test]
    fn revision_reads_a_real_checkout() {
        if Command::new("git").arg("--version").output().is_err() {
            if std::env::var_os("CI").is_some() {
                panic!("git is missing (CI needs it for this test)");
            }
            eprintln!("skipped: git is not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let status = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        run(&["init", "-q"]);
        std::fs::write(dir.path().join("a"), "one").unwrap();
        run(&["add", "a"]);
        run(&["commit", "-q", "-m", "one"]);
        let clean = revision(dir.path()).expect("a checkout has a revision");
        assert!(!clean.dirty);
        assert!(clean.commit.len() >= 7 && clean.commit.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!watched(dir.path()).is_empty());

        std::fs::write(dir.path().join("a"), "two").unwrap();
        assert_eq!(
            revision(dir.path()),
            Some(Revision {
                dirty: true,
                ..clean
            })
        );

        // A directory inside the checkout is not the checkout: no revision of the outer one.
        std::fs::create_dir(dir.path().join("inner")).unwrap();
        assert_eq!(revision(&dir.path().join("inner")), None);
    }
}
