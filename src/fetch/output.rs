//! Where the body goes. stdout (never a binary body on a terminal unless `-o -`), a device such as
//! `/dev/null` (written directly), or a file: the body goes to `FILE.part` and is renamed to FILE
//! only once complete and verified, so a failed fetch never clobbers an existing FILE. On failure
//! (or Ctrl-C) the `.part` stays, and `-C` resumes it. `-O` names the file from Content-Disposition
//! or the URL, inside the current directory, and never over an existing file unless `--force`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ureq::http::{HeaderMap, StatusCode, header};
use url::Url;

use super::request::Plan;
use crate::exit::Code;

/// Where the body is going, before the response says more.
pub struct Output {
    target: Target,
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
    /// `-O`: named once the response head is in.
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
    pub fn new(plan: &Plan) -> anyhow::Result<Output> {
        let target = match &plan.output {
            Some(path) if path.as_os_str() == "-" => Target::Stdout { forced: true },
            Some(path) => Target::File {
                path: path.clone(),
                chosen: true,
            },
            None if plan.remote_name => {
                let url_name = name_from_url(&plan.url);
                if plan.resume {
                    Target::File {
                        path: PathBuf::from(url_name),
                        chosen: false,
                    }
                } else {
                    Target::Remote { url_name }
                }
            }
            None => Target::Stdout { forced: false },
        };
        let mut output = Output {
            target,
            force: plan.force,
            resuming: plan.resume,
            resume: None,
        };
        if plan.resume {
            let Target::File { path, .. } = &output.target else {
                unreachable!("checked in Plan::from_args");
            };
            if is_device(path) {
                return Err(Code::Usage.error(format!(
                    "-C cannot resume into {}: it is not a regular file",
                    path.display()
                )));
            }
            let part = part_path(path);
            output.resume = [part, path.clone()]
                .into_iter()
                .find_map(|p| fs::metadata(&p).ok().map(|m| (p, m.len())))
                .filter(|(_, len)| *len > 0);
        }
        Ok(output)
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

    /// Open the output for this response. `-O` picks its name now.
    pub fn open(&self, headers: &HeaderMap, resume: &Resume) -> anyhow::Result<Sink> {
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
            Target::Remote { url_name } => {
                let name = headers
                    .get(header::CONTENT_DISPOSITION)
                    .and_then(|v| disposition_filename(v.as_bytes()))
                    .unwrap_or_else(|| url_name.clone());
                (PathBuf::from(name), true)
            }
        };
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

/// `-O` without Content-Disposition: the URL's last path segment, decoded and made safe.
pub fn name_from_url(url: &Url) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    safe_name(&decoded).unwrap_or_else(|| "index.html".to_string())
}

/// A file name that stays in the current directory: the last component only, no control
/// characters, no leading dots (so never `..`, never a hidden file), at most 255 bytes.
pub fn safe_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return None;
    }
    let mut end = cleaned.len().min(255);
    while !cleaned.is_char_boundary(end) {
        end -= 1;
    }
    Some(cleaned[..end].to_string())
}

/// The file name of a Content-Disposition header: `filename*=` (RFC 6266/8187) first, else
/// `filename=`; made safe by [`safe_name`].
pub fn disposition_filename(value: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(value);
    let mut plain = None;
    let mut extended = None;
    for (name, value) in disposition_params(&text) {
        match name.to_ascii_lowercase().as_str() {
            "filename*" => extended = decode_ext_value(&value),
            "filename" => plain = Some(value),
            _ => {}
        }
    }
    extended
        .and_then(|name| safe_name(&name))
        .or_else(|| plain.and_then(|name| safe_name(&name)))
}

/// The `name=value` parameters after the disposition type; quoted values unescaped.
fn disposition_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    // Skip the type (`attachment`, `inline`).
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let name: String = chars
            .by_ref()
            .take_while(|&c| c != '=')
            .collect::<String>()
            .trim()
            .trim_start_matches(';')
            .trim()
            .to_string();
        if name.is_empty() {
            break;
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
        }
        params.push((name, value.trim().to_string()));
    }
    params
}

/// `UTF-8''na%C3%AFve.txt` → `naïve.txt` (other charsets through encoding_rs).
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    let (text, _, _) = encoding.decode(&bytes);
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_the_current_directory() {
        assert_eq!(safe_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(safe_name("..\\..\\boot.ini").unwrap(), "boot.ini");
        assert_eq!(safe_name(".bashrc").unwrap(), "bashrc");
        assert_eq!(safe_name(".."), None);
        assert_eq!(safe_name("a\nb\0c").unwrap(), "abc");
        assert!(safe_name(&"x".repeat(300)).unwrap().len() <= 255);
    }

    #[test]
    fn url_names() {
        let name = |u: &str| name_from_url(&Url::parse(u).unwrap());
        assert_eq!(name("http://h.test/files/big.iso?x=1"), "big.iso");
        assert_eq!(name("http://h.test/"), "index.html");
        assert_eq!(name("http://h.test/a/%2E%2E%2Fsecret"), "secret");
        assert_eq!(name("http://h.test/caf%C3%A9.txt"), "café.txt");
    }

    #[test]
    fn content_disposition_names() {
        let name = |v: &str| disposition_filename(v.as_bytes());
        assert_eq!(
            name("attachment; filename=\"report.pdf\"").unwrap(),
            "report.pdf"
        );
        assert_eq!(name("attachment; filename=plain.txt").unwrap(), "plain.txt");
        assert_eq!(
            name("attachment; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve.txt").unwrap(),
            "naïve.txt"
        );
        assert_eq!(
            name("attachment; filename=\"../../evil.sh\"").unwrap(),
            "evil.sh"
        );
        assert_eq!(
            name("attachment; filename=\"a \\\"q\\\".txt\"").unwrap(),
            "a \"q\".txt"
        );
        assert_eq!(name("inline"), None);
    }

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
