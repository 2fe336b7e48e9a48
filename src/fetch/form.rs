//! Request bodies built from flags: `-F` multipart forms (RFC 7578, laid out as curl lays them;
//! a file part is streamed from disk, so any size goes in constant memory, and the length is known
//! before the first byte so `Content-Length` is sent) and `--data-urlencode`'s pieces.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::exit::Code;

/// A multipart form: its boundary and its parts, in order.
#[derive(Debug)]
pub struct Form {
    pub boundary: String,
    parts: Vec<Part>,
}

#[derive(Debug)]
struct Part {
    /// The part's head, from the `--boundary` line to the blank line.
    head: Vec<u8>,
    body: PartBody,
}

#[derive(Debug)]
enum PartBody {
    Bytes(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

impl Form {
    /// Check every `-F` spec (a missing file is named here, before any socket opens).
    pub fn from_specs(specs: &[String]) -> anyhow::Result<Form> {
        let boundary = boundary()?;
        let parts = specs
            .iter()
            .map(|spec| part(spec, &boundary))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Form { boundary, parts })
    }

    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The body's length: every head, body, CRLF and the closing line.
    pub fn len(&self) -> u64 {
        let parts: u64 = self
            .parts
            .iter()
            .map(|part| {
                let body = match &part.body {
                    PartBody::Bytes(bytes) => bytes.len() as u64,
                    PartBody::File { len, .. } => *len,
                };
                part.head.len() as u64 + body + 2
            })
            .sum();
        parts + self.closing().len() as u64
    }

    fn closing(&self) -> Vec<u8> {
        format!("--{}--\r\n", self.boundary).into_bytes()
    }

    /// The body as a reader that opens each file when it gets to it.
    pub fn reader(self: &Arc<Form>) -> FormReader {
        FormReader {
            form: Arc::clone(self),
            next: 0,
            current: None,
        }
    }
}

/// Reads a [`Form`] piece by piece: a part's head, its body (a file read through exactly its
/// announced length), the CRLF after it, and the closing boundary.
pub struct FormReader {
    form: Arc<Form>,
    /// The next piece: 3 per part (head, body, CRLF), then the closing line.
    next: usize,
    current: Option<Box<dyn Read + Send>>,
}

impl FormReader {
    fn open(&self, piece: usize) -> io::Result<Option<Box<dyn Read + Send>>> {
        let parts = &self.form.parts;
        let (at, which) = (piece / 3, piece % 3);
        let Some(part) = parts.get(at) else {
            return Ok((piece == parts.len() * 3)
                .then(|| Box::new(Cursor::new(self.form.closing())) as Box<dyn Read + Send>));
        };
        Ok(Some(match which {
            0 => Box::new(Cursor::new(part.head.clone())),
            1 => match &part.body {
                PartBody::Bytes(bytes) => Box::new(Cursor::new(bytes.clone())),
                PartBody::File { path, len } => Box::new(Exactly {
                    inner: File::open(path).map_err(|err| {
                        io::Error::new(err.kind(), format!("cannot read {}: {err}", path.display()))
                    })?,
                    left: *len,
                    path: path.clone(),
                }),
            },
            _ => Box::new(Cursor::new(b"\r\n".to_vec())),
        }))
    }
}

impl Read for FormReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.current.is_none() {
                self.current = self.open(self.next)?;
                self.next += 1;
                if self.current.is_none() {
                    return Ok(0);
                }
            }
            let n = self.current.as_mut().map_or(Ok(0), |r| r.read(buf))?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = None;
        }
    }
}

/// A file read through exactly the length announced for it: one that shrank since is an error
/// (the Content-Length sent would be a lie), one that grew is cut at that length.
struct Exactly {
    inner: File,
    left: u64,
    path: PathBuf,
}

impl Read for Exactly {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let room = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} got shorter while it was being sent",
                    self.path.display()
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A boundary as curl makes one: dashes and random hex, which no file is likely to contain.
fn boundary() -> anyhow::Result<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 12];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("no random bytes for a multipart boundary"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("------------------------{hex}"))
}

/// One `-F` spec: `name=value`, `name=@FILE[;type=T][;filename=N]`, `name=<FILE[;type=T]`.
fn part(spec: &str, boundary: &str) -> anyhow::Result<Part> {
    let bad = |why: &str| Code::Usage.error(format!("-F `{}`: {why}", spec.escape_debug()));
    let Some((name, content)) = spec.split_once('=') else {
        return Err(bad("expected NAME=CONTENT, NAME=@FILE or NAME=<FILE"));
    };
    if name.is_empty() {
        return Err(bad("no field name before `=`"));
    }
    let (kind, rest) = match content.as_bytes().first() {
        Some(b'@') => (Some(b'@'), &content[1..]),
        Some(b'<') => (Some(b'<'), &content[1..]),
        _ => (None, content),
    };
    let (value, params) = split_params(rest);
    let mut mime = None;
    let mut filename = None;
    for (key, val) in params {
        match key.to_ascii_lowercase().as_str() {
            "type" => mime = Some(val),
            "filename" => filename = Some(val),
            other => {
                return Err(bad(&format!(
                    "unknown option `{other}` (type and filename are known)"
                )));
            }
        }
    }
    if let Some(mime) = &mime
        && (mime.is_empty() || mime.contains(['\r', '\n']))
    {
        return Err(bad("the type is empty or has a line break"));
    }
    let (body, file_name) = match kind {
        Some(marker) => {
            if value.is_empty() {
                return Err(bad("no file name after the `@` or `<`"));
            }
            let path = PathBuf::from(&value);
            let meta = std::fs::metadata(&path).map_err(|err| {
                Code::Usage
                    .wrap(err)
                    .context(format!("-F {name}: cannot read {}", path.display()))
            })?;
            let body = if meta.is_file() {
                PartBody::File {
                    path: path.clone(),
                    len: meta.len(),
                }
            } else {
                // A pipe or device (`@-` is stdin) has no length to announce: read it now.
                let bytes = if value == "-" {
                    let mut bytes = Vec::new();
                    io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
                } else {
                    std::fs::read(&path)
                }
                .map_err(|err| {
                    Code::Usage
                        .wrap(err)
                        .context(format!("-F {name}: cannot read {}", path.display()))
                })?;
                PartBody::Bytes(bytes)
            };
            let file_name = (marker == b'@')
                .then(|| filename.clone().unwrap_or_else(|| base_name(&path, &value)));
            if marker == b'@' && mime.is_none() {
                let guess = mime_guess::from_path(&path).first_or_octet_stream();
                mime = Some(guess.essence_str().to_string());
            }
            (body, file_name)
        }
        None => (PartBody::Bytes(value.into_bytes()), filename),
    };

    let mut head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"",
        escape(name)
    );
    if let Some(file_name) = &file_name {
        head.push_str(&format!("; filename=\"{}\"", escape(file_name)));
    }
    head.push_str("\r\n");
    if let Some(mime) = &mime {
        head.push_str(&format!("Content-Type: {mime}\r\n"));
    }
    head.push_str("\r\n");
    Ok(Part {
        head: head.into_bytes(),
        body,
    })
}

/// `value;key=v;key="v;w"`: the value and its options. A `;` not followed by a known option is
/// part of the value (`-F 'q=a;b'` sends `a;b`).
fn split_params(text: &str) -> (String, Vec<(String, String)>) {
    let known = |at: usize| {
        let rest = text[at + 1..].trim_start().to_ascii_lowercase();
        rest.starts_with("type=") || rest.starts_with("filename=")
    };
    let Some(first) = text
        .char_indices()
        .find(|&(at, c)| c == ';' && known(at))
        .map(|(at, _)| at)
    else {
        return (text.to_string(), Vec::new());
    };
    let value = text[..first].to_string();
    let mut params = Vec::new();
    let mut rest = &text[first + 1..];
    loop {
        rest = rest.trim_start();
        let Some((key, after)) = rest.split_once('=') else {
            if !rest.is_empty() {
                params.push((rest.to_string(), String::new()));
            }
            break;
        };
        let (val, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (
                    quoted[..end].to_string(),
                    quoted[end + 1..].split_once(';').map(|(_, n)| n),
                ),
                None => (quoted.to_string(), None),
            }
        } else {
            match after.split_once(';') {
                Some((v, n)) => (v.to_string(), Some(n)),
                None => (after.to_string(), None),
            }
        };
        params.push((key.trim().to_string(), val));
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    (value, params)
}

/// The file name a part announces: the last component of the path, as curl sends it.
fn base_name(path: &Path, typed: &str) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| typed.to_string())
}

/// A name inside `"…"` of Content-Disposition, escaped as browsers (and curl) do: `"` as `%22`,
/// CR and LF as `%0D` and `%0A`.
fn escape(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// curl's `--data-urlencode` set: every byte but the unreserved ones is percent-encoded.
const URLENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One `--data-urlencode` piece as curl reads it: `content`, `=content`, `name=content`,
/// `@FILE`, `name@FILE` (`@-` is stdin).
pub fn urlencode_piece(spec: &str) -> anyhow::Result<String> {
    let encode = |bytes: &[u8]| percent_encoding::percent_encode(bytes, URLENCODE).to_string();
    let read = |path: &str| -> anyhow::Result<Vec<u8>> {
        let result = if path == "-" {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
        } else {
            std::fs::read(path)
        };
        result.map_err(|err| {
            Code::Usage
                .wrap(err)
                .context(format!("--data-urlencode: cannot read {path}"))
        })
    };
    let eq = spec.find('=');
    let at = spec.find('@');
    Ok(match (eq, at) {
        (Some(e), a) if a.is_none_or(|a| e < a) => {
            let (name, content) = (&spec[..e], &spec[e + 1..]);
            let value = encode(content.as_bytes());
            if name.is_empty() {
                value
            } else {
                format!("{name}={value}")
            }
        }
        (_, Some(a)) => {
            let (name, path) = (&spec[..a], &spec[a + 1..]);
            let value = encode(&read(path)?);
            if name.is_empty() {
                value
            } else {
                format!("{name}={value}")
            }
        }
        _ => encode(spec.as_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(form: Form) -> Vec<u8> {
        let form = Arc::new(form);
        let mut out = Vec::new();
        form.reader().read_to_end(&mut out).unwrap();
        assert_eq!(out.len() as u64, form.len());
        out
    }

    #[test]
    fn a_text_field_is_laid_out_as_curl_does() {
        let form = Form::from_specs(&["a=1".into(), "q=x;y".into()]).unwrap();
        let b = form.boundary.clone();
        assert_eq!(
            String::from_utf8(body(form)).unwrap(),
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nx;y\r\n--{b}--\r\n"
            )
        );
    }

    #[test]
    fn file_options_are_read_and_quotes_kept_out() {
        let (value, params) = split_params(r#"a.txt;type=text/x;filename="x;y.txt""#);
        assert_eq!(value, "a.txt");
        assert_eq!(
            params,
            vec![
                ("type".to_string(), "text/x".to_string()),
                ("filename".to_string(), "x;y.txt".to_string())
            ]
        );
        assert_eq!(escape("a\"b\r\n"), "a%22b%0D%0A");
    }

    #[test]
    fn a_missing_file_is_named_and_exits_2() {
        let err = Form::from_specs(&["f=@/no/such/file.bin".into()]).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), Some(Code::Usage));
        assert!(format!("{err:#}").contains("/no/such/file.bin"), "{err:#}");
        for bad in ["novalue", "=x", "f=@", "f=@x;colour=red"] {
            assert!(Form::from_specs(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_urlencode_reads_pieces_as_curl() {
        assert_eq!(urlencode_piece("a b&c").unwrap(), "a%20b%26c");
        assert_eq!(urlencode_piece("=a=b").unwrap(), "a%3Db");
        assert_eq!(urlencode_piece("q=x y").unwrap(), "q=x%20y");
        assert_eq!(urlencode_piece("q=a@b").unwrap(), "q=a%40b");
    }
}
