//! The values of `--lang`, the language of `--explain`.

use clap::ValueEnum;

/// A language `--explain` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Simplified Chinese (简体中文).
    Zh,
}

/// `netlab tour`'s flags.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  netlab tour              # every section, pausing for Enter on a terminal
  netlab tour --auto 13.3  # one section, without pausing
  netlab tour --lang zh    # in Chinese")]
pub struct TourArgs {
    /// Run only this section: 13.2.1, 13.2.2, 13.3, 13.4 or 13.5 (the concurrency models).
    #[arg(value_name = "SECTION")]
    pub section: Option<String>,

    /// Run through without pausing for Enter.
    #[arg(long)]
    pub auto: bool,
}
