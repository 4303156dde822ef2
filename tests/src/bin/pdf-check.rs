//! The server's PDF check as a binary of the test crate: integration tests run the server
//! inside the test process, which cannot run itself as `ecabinet pdf-check`, so they point
//! `documents.checker` here. Same code, same arguments.

use std::process::ExitCode;

use clap::Parser;
use ecabinet::cli::{Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::PdfCheck(args) => ecabinet::documents::validate::child_main(&args),
        _ => {
            eprintln!("pdf-check: only the pdf-check subcommand is available here");
            ExitCode::from(2)
        }
    }
}
