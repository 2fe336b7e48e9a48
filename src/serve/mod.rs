//! `netlab serve`.
use crate::cli::ServeArgs;

pub fn run(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("serve is not implemented yet")
}
