use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = netlab::cli::parse();
    match netlab::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => match netlab::exit::code_of(&err) {
            None => ExitCode::SUCCESS,
            Some(code) => {
                if !netlab::log::errors_silenced() {
                    let message = netlab::exit::message(&err);
                    let _ = writeln!(std::io::stderr().lock(), "netlab: {message}");
                }
                ExitCode::from(code as u8)
            }
        },
    }
}
