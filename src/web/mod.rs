//! `netlab web`.
use crate::cli::WebArgs;

pub fn run(_args: WebArgs) -> anyhow::Result<()> {
    anyhow::bail!("web is not implemented yet")
}
