//! `netlab fetch`.
use crate::cli::FetchArgs;

pub fn run(_args: FetchArgs) -> anyhow::Result<()> {
    anyhow::bail!("fetch is not implemented yet")
}
