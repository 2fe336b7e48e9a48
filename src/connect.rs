//! `netlab connect` and `netlab resolve`.
use crate::cli::{ConnectArgs, ResolveArgs};

pub fn run(_args: ConnectArgs) -> anyhow::Result<()> {
    anyhow::bail!("connect is not implemented yet")
}

pub fn resolve(_args: ResolveArgs) -> anyhow::Result<()> {
    anyhow::bail!("resolve is not implemented yet")
}
