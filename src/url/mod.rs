//! `netlab urldecode` and `netlab urlencode`.
use crate::cli::{UrldecodeArgs, UrlencodeArgs};

pub fn decode_command(_args: UrldecodeArgs) -> anyhow::Result<()> {
    anyhow::bail!("urldecode is not implemented yet")
}

pub fn encode_command(_args: UrlencodeArgs) -> anyhow::Result<()> {
    anyhow::bail!("urlencode is not implemented yet")
}
