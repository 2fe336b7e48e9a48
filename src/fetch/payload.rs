//! What a request carries, from `-d`, `--data-urlencode`, `--json`, `-F` and `-T`, checked once:
//! the body (kept as bytes, or a file reopened for each send, so a 307/308 redirect or a retry
//! sends it again), its Content-Type, and for `-G` the query it becomes instead.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use ureq::SendBody;

use super::form::{self, Form};
use crate::cli::FetchArgs;
use crate::exit::Code;

/// A request body. Bytes are kept; a file is reopened; a form streams its files; stdin (`-T -`)
/// can be read once only.
#[derive(Debug, Clone)]
pub enum Payload {
    Bytes(Arc<[u8]>),
    File { path: PathBuf, len: u64 },
    Form(Arc<Form>),
    Stdin,
}

impl Payload {
    /// The Content-Length to announce; `None` sends the body chunked.
    pub fn len(&self) -> Option<u64> {
        match self {
            Payload::Bytes(bytes) => Some(bytes.len() as u64),
            Payload::File { len, .. } => Some(*len),
            Payload::Form(form) => Some(form.len()),
            Payload::Stdin => None,
        }
    }

    pub fn body(&self) -> anyhow::Result<SendBody<'static>> {
        Ok(match self {
            Payload::Bytes(bytes) => {
                SendBody::from_owned_reader(std::io::Cursor::new(bytes.clone()))
            }
            Payload::File { path, .. } => SendBody::from_owned_reader(
                std::fs::File::open(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            ),
            Payload::Form(form) => SendBody::from_owned_reader(form.reader()),
            Payload::Stdin => SendBody::from_owned_reader(std::io::stdin()),
        })
    }
}

/// The body flags, checked.
pub struct Body {
    pub payload: Option<Payload>,
    pub content_type: Option<String>,
    /// `-G`: the data, to go in the query.
    pub query: Option<String>,
    /// `-T`: PUT unless -X says otherwise.
    pub put: bool,
}

impl Body {
    pub fn from_args(args: &FetchArgs) -> anyhow::Result<Body> {
        let mut body = Body {
            payload: None,
            content_type: None,
            query: None,
            put: false,
        };
        if let Some(path) = &args.upload_file {
            body.put = true;
            if path.as_os_str() == "-" {
                body.payload = Some(Payload::Stdin);
            } else {
                body.payload = Some(file_payload(path, "-T")?);
            }
        } else if !args.form.is_empty() {
            let form = Form::from_specs(&args.form)?;
            body.content_type = Some(form.content_type());
            body.payload = Some(Payload::Form(Arc::new(form)));
        } else if let Some(json) = &args.json {
            body.payload = Some(read_payload(json)?);
            body.content_type = Some("application/json".into());
        } else if !args.data.is_empty() || !args.data_urlencode.is_empty() {
            let single_file = args.data.len() == 1 && args.data_urlencode.is_empty() && !args.get;
            let payload = if single_file {
                read_payload(&args.data[0])?
            } else {
                // Several pieces are joined with `&`, as curl joins them.
                let mut pieces = Vec::new();
                for data in &args.data {
                    pieces.push(bytes_of(read_payload(data)?)?);
                }
                for spec in &args.data_urlencode {
                    pieces.push(form::urlencode_piece(spec)?.into_bytes());
                }
                Payload::Bytes(pieces.join(&b'&').into())
            };
            if args.get {
                let Payload::Bytes(bytes) = &payload else {
                    unreachable!("-G data is read whole")
                };
                body.query = Some(String::from_utf8_lossy(bytes).into_owned());
            } else {
                body.payload = Some(payload);
                body.content_type = Some("application/x-www-form-urlencoded".into());
            }
        }
        Ok(body)
    }
}

/// A file payload's bytes, read now (to be joined with others).
fn bytes_of(payload: Payload) -> anyhow::Result<Vec<u8>> {
    match payload {
        Payload::Bytes(bytes) => Ok(bytes.to_vec()),
        Payload::File { path, .. } => std::fs::read(&path).map_err(|err| {
            Code::Usage
                .wrap(err)
                .context(format!("cannot read {}", path.display()))
        }),
        Payload::Form(_) | Payload::Stdin => unreachable!("-d reads bytes or a file"),
    }
}

/// A regular file is streamed (and reopened to be sent again); a pipe or device is read now.
fn file_payload(path: &Path, flag: &str) -> anyhow::Result<Payload> {
    let cannot = |err: std::io::Error| {
        Code::Usage
            .wrap(err)
            .context(format!("{flag}: cannot read {}", path.display()))
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_file() {
        Ok(Payload::File {
            path: path.to_path_buf(),
            len: meta.len(),
        })
    } else if meta.is_dir() {
        Err(Code::Usage.error(format!(
            "{flag}: {} is a directory, not a file",
            path.display()
        )))
    } else {
        // A pipe or device has no length to announce: read it now.
        Ok(Payload::Bytes(std::fs::read(path).map_err(cannot)?.into()))
    }
}

/// `-d`/`--json`: TEXT, `@FILE`, or `@-` for stdin.
fn read_payload(spec: &str) -> anyhow::Result<Payload> {
    match spec.strip_prefix('@') {
        Some("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .context("reading the request body from stdin")?;
            Ok(Payload::Bytes(bytes.into()))
        }
        Some(path) => file_payload(Path::new(path), "-d"),
        None => Ok(Payload::Bytes(spec.as_bytes().into())),
    }
}
