//! `roadbook`: the handbook's core without a window.

mod cli;
mod commands;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version: print them as clap renders them.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            // One line: the reason. `--help` shows the usage.
            let text = err.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("roadbook: {first} (see roadbook --help)");
            return ExitCode::from(2);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The chain on one line, outermost context first.
            let message = err
                .chain()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            let _ = writeln!(
                std::io::stderr(),
                "roadbook: {}",
                message.replace('\n', " ")
            );
            ExitCode::FAILURE
        }
    }
}
