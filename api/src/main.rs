//! The `attain` binary: parses the command line and hands over to [`attain_api::cli`].

use std::process::ExitCode;

use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    match attain_api::cli::run(attain_api::cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes on one line; no backtrace for an operator's mistake.
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
