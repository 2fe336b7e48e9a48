//! `netlab bench`: the load generator.
use crate::cli::BenchArgs;

pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("bench is not implemented yet")
}
