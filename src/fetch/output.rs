//! Where the body goes. stdout (never a binary body on a terminal unless `-o -`), a device such as
//! `/dev/null` (written directly), or a file: the body goes to `FILE.part` and is renamed to FILE
//! only once complete and verified, so a failed fetch never clobbers an existing FILE. On failure
//! (or Ctrl-C) the `.part` stays, and `-C` resumes it. `-O` names the file ([`super::naming`]),
//! inside the current directory or `--output-dir`, and never over an existing file unless
//! `--force`; `--create-dirs` makes the folders a path needs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ureq::http::{HeaderMap, StatusCode, header};
use url::Url;

use super::naming::{disposition_filename, name_from_url};
use super::request::{Job, Plan};
use crate::exit::Code;

/// Where the body is going, before the response says more.
pub struct Output {
    target: Target,
    /// `--output-dir`.
    dir: Option<PathBuf>,
    create_dirs: bool,
    /// `-J`.
    from_header: bool,
    /// `--name-from-final-url`.
    from_final_url: bool,
    force: bool,
    /// `-C` was given: the file named is the one to continue, whatever the server answers.
    resuming: bool,
    /// `-C`: where the bytes already here are, and how many.
    resume: Option<(PathBuf, u64)>,
}

enum Target {
    Stdout {
        forced: bool,
    },
    /// A path given with `-o`, or the `-O` name when it is fixed before the request (with `-C`).
    File {
        path: PathBuf,
        chosen: bool,
    },
    /// `-O`: named once the response head is in (the URL's name, or with -J or
    /// --name-from-final-url what the answer says).
    Remote {
        url_name: String,
    },
}

/// How the response relates to the bytes already on disk (`-C`).
pub enum Resume {
    /// Write the whole body from byte 0.
    Fresh,
    /// The server sends the rest from `from`; the whole file is `total` bytes when known.
    Append { from: u64, total: Option<u64> },
    /// The file on disk is already complete.
    Complete,
}

impl Output {
    pub fn new(plan: &Plan, job: &Job) -> anyhow::Result<Output> {
        let named_late = plan.remote_header_name || plan.name_from_final_url;
        let mut output = Output {
            target: Target::Stdout { forced: false },
            dir: plan.output_dir.clone(),
            create_dirs: plan.create_dirs,
            from_header: plan.remote_header_name,
            from_final_url: plan.name_from_final_url,
            force: plan.force,
            resuming: plan.resume,
            resume: None,
        };
        output.target = match &job.output {
            Some(path) if path.as_os_str() == "-" => Target::Stdout { forced: true },
            Some(path) => Target::File {
                path: output.place(path),
                chosen: true,
            },
            None if plan.remote_name => {
                let url_name = name_from_url(&job.url);
                if plan.resume && !named_late {
                    Target::File {
                        path: output.place(Path::new(&url_name)),
                        chosen: false,
                    }
                } else {
                    Target::Remote { url_name }
                }
            }
            None => Target::Stdout { forced: false },
        };
        if let Target::File { path, .. } = &output.target
            && plan.resume
        {
            output.resume = existing(path)?;
        }
        Ok(output)
    }

    /// A path in `--output-dir` (an absolute -o path stays where it is).
    fn place(&self, path: &Path) -> PathBuf {
        match &self.dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// The path an `-O` file gets for this answer.
    fn remote_path(&self, url_name: &str, headers: &HeaderMap, final_url: &Url) -> PathBuf {
        let from_header = || {
            headers
                .get(header::CONTENT_DISPOSITION)
                .and_then(|v| disposition_filename(v.as_bytes()))
        };
        let name = self
            .from_header
            .then(from_header)
            .flatten()
            .unwrap_or_else(|| {
                if self.from_final_url {
                    name_from_url(final_url)
                } else {
                    url_name.to_string()
                }
            });
        self.place(Path::new(&name))
    }

    /// `-C` with a name the answer decides (-J, --name-from-final-url): when the file so named,
    /// or its `.part`, has bytes already, the Output that resumes it (the request is then sent
    /// again to the final URL with a Range); `None` to save this answer whole.
    pub fn late_resume(
        &self,
        headers: &HeaderMap,
        final_url: &Url,
    ) -> anyhow::Result<Option<Output>> {
        let Target::Remote { url_name } = &self.target else {
            return Ok(None);
        };
        if !self.resuming {
            return Ok(None);
        }
        let path = self.remote_path(url_name, headers, final_url);
        let Some(resume) = existing(&path)? else {
            return Ok(None);
        };
        Ok(Some(Output {
            target: Target::File {
                path,
                chosen: false,
            },
            dir: self.dir.clone(),
            resume: Some(resume),
            ..*self
        }))
    }

    /// `-C`: the first byte to ask for.
    pub fn range_from(&self) -> Option<u64> {
        self.resume.as_ref().map(|(_, len)| *len)
    }

    /// With a Range sent, what the response means for the bytes on disk.
    pub fn resume_answer(&self, status: StatusCode, headers: &HeaderMap) -> anyhow::Result<Resume> {
        let Some((have, from)) = &self.resume else {
            return Ok(Resume::Fresh);
        };
        let from = *from;
        let content_range = headers
            .get(header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .map(parse_content_range);
        let kept = format!("{} is left as it was", have.display());
        match status {
            StatusCode::PARTIAL_CONTENT => match content_range {
                Some(Some((Some((start, _)), total))) if start == from => {
                    Ok(Resume::Append { from, total })
                }
                Some(Some((Some((start, _)), _))) => Err(anyhow::anyhow!(
                    "asked to resume at byte {from} but the server sent bytes from {start}: {kept}"
                )),
                _ => Err(anyhow::anyhow!(
                    "the server answered 206 without a usable Content-Range: {kept}"
                )),
            },
            StatusCode::RANGE_NOT_SATISFIABLE => match content_range {
                Some(Some((None, Some(total)))) if total == from => Ok(Resume::Complete),
                Some(Some((None, Some(total)))) if total < from => Err(anyhow::anyhow!(
                    "the local file has {from} bytes but the remote one only {total}: {kept}"
                )),
                _ => Err(anyhow::anyhow!(
                    "the server refused to resume at byte {from} (416): {kept}"
                )),
            },
            StatusCode::OK => {
                crate::warn!(
                    "the server ignored the Range request (200, not 206): downloading again from the start"
                );
                Ok(Resume::Fresh)
            }
            status if status.as_u16() >= 400 => Err(Code::HttpError.error(format!(
                "HTTP {} {}: {kept}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ))),
            status => Err(anyhow::anyhow!(
                "cannot resume: the server answered {status}: {kept}"
            )),
        }
    }

    /// `-C` found the file already complete (416 for the byte after its end): a `.part` becomes
    /// the file; a complete FILE stays as it is.
    pub fn complete(&self) -> anyhow::Result<()> {
        let (Target::File { path, .. }, Some((have, size))) = (&self.target, &self.resume) else {
            return Ok(());
        };
        if have != path {
            fs::rename(have, path).map_err(|err| {
                Code::Write.wrap(err).context(format!(
                    "renaming {} to {}",
                    have.display(),
                    path.display()
                ))
            })?;
        }
        crate::info!(
            "netlab: {} is complete ({})",
            path.display(),
            crate::net::HumanBytes(*size)
        );
        Ok(())
    }

    /// Whether the body goes to a terminal (for the binary check) — stdout only.
    pub fn guards_terminal(&self) -> bool {
        matches!(self.target, Target::Stdout { forced: false }) && io::stdout().is_terminal()
    }

    /// Whether the body goes to a file (for the progress bar).
    pub fn is_file(&self) -> bool {
        !matches!(self.target, Target::Stdout { .. })
    }

    /// Open the output for this response (from `final_url`, after redirects). `-O` picks its
    /// name now.
    pub fn open(
        &self,
        headers: &HeaderMap,
        final_url: &Url,
        resume: &Resume,
    ) -> anyhow::Result<Sink> {
        // `picked`: netlab chose the name (-O), so it never takes an existing file's place.
        let (path, picked) = match &self.target {
            Target::Stdout { .. } => {
                let fd = io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .context("stdout")?;
                return Ok(Sink::new(File::from(fd), Place::Stdout));
            }
            Target::File { path, chosen } => (path.clone(), !chosen),
            Target::Remote { url_name } => (self.remote_path(url_name, headers, final_url), true),
        };
        if self.create_dirs
            && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        {
            fs::create_dir_all(parent).map_err(|err| {
                Code::Write
                    .wrap(err)
                    .context(format!("cannot create {}", parent.display()))
            })?;
        }
        if picked && !self.force && !self.resuming && fs::symlink_metadata(&path).is_ok() {
            return Err(Code::Write.error(format!(
                "{} exists: not overwriting it (use --force, or -o to choose another name)",
                path.display()
            )));
        }
        // A picked name is always announced (it says which was picked); a name the user chose
        // only to a person watching.
        let announce = picked || io::stderr().is_terminal();
        if let Ok(meta) = fs::metadata(&path) {
            if meta.is_dir() {
                return Err(Code::Write.error(format!("{} is a directory", path.display())));
            }
            if !meta.is_file() {
                // A device or a pipe (/dev/null, /dev/stdout): nothing to rename, write in place.
                let file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|err| Code::Write.wrap(err).context(format!("{}", path.display())))?;
                return Ok(Sink::new(file, Place::Device(path)));
            }
        }

        let part = part_path(&path);
        let cannot = |err: io::Error| {
            Code::Write
                .wrap(err)
                .context(format!("cannot write {}", part.display()))
        };
        let file = match resume {
            Resume::Append { .. } => {
                let (have, _) = self.resume.as_ref().expect("resume has a source");
                if *have != part {
                    // The bytes are in FILE itself (say, left by another tool): copy them, so FILE
                    // stays as it is until the whole file is ready.
                    fs::copy(have, &part).map_err(cannot)?;
                }
                OpenOptions::new()
                    .append(true)
                    .open(&part)
                    .map_err(cannot)?
            }
            Resume::Fresh | Resume::Complete => File::create(&part).map_err(cannot)?,
        };
        Ok(Sink::new(
            file,
            Place::Part {
                part,
                path,
                announce,
            },
        ))
    }
}

/// Where a [`Sink`] writes.
enum Place {
    Stdout,
    Device(PathBuf),
    Part {
        part: PathBuf,
        path: PathBuf,
        announce: bool,
    },
}

/// The open output.
pub struct Sink {
    file: File,
    place: Place,
}

impl Sink {
    fn new(file: File, place: Place) -> Sink {
        Sink { file, place }
    }

    /// What to call this output in a message.
    pub fn name(&self) -> String {
        match &self.place {
            Place::Stdout => "stdout".into(),
            Place::Device(path) | Place::Part { path, .. } => path.display().to_string(),
        }
    }

    /// The body is complete: check the file's size when it is known, then rename `.part`.
    pub fn finish(self, expected_size: Option<u64>) -> anyhow::Result<()> {
        let Place::Part {
            part,
            path,
            announce,
        } = &self.place
        else {
            return Ok(());
        };
        let size = self
            .file
            .metadata()
            .map_err(|err| Code::Write.wrap(err).context(format!("{}", part.display())))?
            .len();
        if let Some(expected) = expected_size
            && size != expected
        {
            return Err(Code::PartialBody.error(format!(
                "{} has {size} bytes, {expected} were announced: kept as {}",
                path.display(),
                part.display()
            )));
        }
        drop(self.file);
        fs::rename(part, path).map_err(|err| {
            Code::Write.wrap(err).context(format!(
                "renaming {} to {}",
                part.display(),
                path.display()
            ))
        })?;
        if *announce {
            crate::info!(
                "netlab: saved {} ({})",
                path.display(),
                crate::net::HumanBytes(size)
            );
        }
        Ok(())
    }

    /// The transfer failed: keep a `.part` with bytes in it for `-C`, remove an empty one.
    pub fn abandon(self) {
        if let Place::Part { part, path, .. } = &self.place {
            let size = self.file.metadata().map(|m| m.len()).unwrap_or(0);
            drop(self.file);
            if size == 0 {
                let _ = fs::remove_file(part);
            } else {
                crate::warn!(
                    "{} bytes kept in {} ({} untouched); resume with -C",
                    size,
                    part.display(),
                    path.display()
                );
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

fn is_device(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// `-C`: the bytes already there for `path` — its `.part` first, else the file — if any.
fn existing(path: &Path) -> anyhow::Result<Option<(PathBuf, u64)>> {
    if is_device(path) {
        return Err(Code::Usage.error(format!(
            "-C cannot resume into {}: it is not a regular file",
            path.display()
        )));
    }
    Ok([part_path(path), path.to_path_buf()]
        .into_iter()
        .find_map(|p| fs::metadata(&p).ok().map(|m| (p, m.len())))
        .filter(|(_, len)| *len > 0))
}

/// `bytes START-END/TOTAL` → `(Some((START, END)), Some(TOTAL))`; `bytes */TOTAL` → `(None, …)`.
type ContentRange = (Option<(u64, u64)>, Option<u64>);

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        n => Some(n.parse().ok()?),
    };
    let range = match range.trim() {
        "*" => None,
        r => {
            let (start, end) = r.split_once('-')?;
            Some((start.trim().parse().ok()?, end.trim().parse().ok()?))
        }
    };
    Some((range, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 10-19/20"),
            Some((Some((10, 19)), Some(20)))
        );
        assert_eq!(parse_content_range("bytes */20"), Some((None, Some(20))));
        assert_eq!(
            parse_content_range("bytes 0-9/*"),
            Some((Some((0, 9)), None))
        );
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
