//! `gatehousectl`: Gatehouse's sharing, team and member actions from a terminal (SH-8,
//! It speaks only the JSON API (`/api/v1`) with a personal access token, so it
//! can never do more than its user may do on the screens.
//!
//! Exit codes: 0 done; 1 refused or failed; 2 usage error; 3 cancelled at a question;
//! 4 not signed in, or the token is not accepted.
mod client;
mod commands;
mod config;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match commands::Cli::try_parse_from(commands::split_aliases(std::env::args())) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are not errors; a usage error exits 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("gatehousectl: {f}");
            ExitCode::from(f.code())
        }
    }
}
