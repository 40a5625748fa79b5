use std::process::ExitCode;

use clap::Parser;
use pledgeflow::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
