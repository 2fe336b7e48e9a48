//! Who may connect to a server: `--allow` and `--deny`, which `serve` and `web` flatten.

use clap::Args;

#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Who may connect")]
pub struct AccessArgs {
    /// Only clients from this address or block (`10.0.0.0/8`, `192.168.1.7`, `::1/128`) may
    /// connect; repeatable. Others are closed at once, and logged once per address.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,

    /// Refuse clients from this address or block; repeatable; wins over --allow.
    #[arg(long, value_name = "CIDR")]
    pub deny: Vec<String>,
}
