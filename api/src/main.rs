//! The `attain` binary: parses the command line and hands over to [`attain_api::cli`].

use clap::Parser;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    attain_api::cli::run(attain_api::cli::Cli::parse()).await
}
