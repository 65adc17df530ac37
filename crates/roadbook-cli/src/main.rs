//! `roadbook`: the handbook's core without a window.

mod cli;
mod commands;
mod signin;
mod sync;

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
            // One line: the reason, with what clap adds under it (the missing arguments, a
            // "tip:" for a misspelt word), without the usage. `--help` shows the usage.
            let text = err.render().to_string();
            let reason = text
                .lines()
                .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more"))
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .fold(String::new(), |reason, line| match reason.is_empty() {
                    true => line.to_owned(),
                    false if line.starts_with("tip:") => format!("{reason}; {line}"),
                    false => format!("{reason} {line}"),
                });
            let reason = reason.trim_start_matches("error: ");
            let reason = if reason.is_empty() {
                "invalid arguments"
            } else {
                reason
            };
            eprintln!("roadbook: {reason} (see roadbook --help)");
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
