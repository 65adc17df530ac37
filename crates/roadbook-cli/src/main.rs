//! `roadbook`: the handbook's core without a window.

mod cli;
mod commands;
mod items;
mod outcome;
mod signin;
mod sync;
mod words;

use std::io::Write;
use std::process::ExitCode;

// A document allocates and frees many small pieces (shaped words, content operations, PDF
// objects): mimalloc reuses its memory where the system allocator's bookkeeping and the kernel's
// page faults were a third of the handbook's time (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let parsed = items::augment(<cli::Cli as clap::CommandFactory>::command())
        .try_get_matches()
        .and_then(|matches| {
            // The item commands are built from the model's table; the rest clap derives.
            match items::matched(&matches) {
                Some((kind, sub)) => Ok(Parsed::Item(kind, matches.clone(), sub.clone())),
                None => <cli::Cli as clap::FromArgMatches>::from_arg_matches(&matches)
                    .map(Parsed::Derived),
            }
        });
    let cli = match parsed {
        Ok(Parsed::Derived(cli)) => cli,
        Ok(Parsed::Item(kind, top, sub)) => {
            let db = global::<std::path::PathBuf>(&top, "db");
            let author = global::<String>(&top, "author");
            return finish(commands::run_item(db, author, kind, &sub));
        }
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
    finish(commands::run(cli))
}

/// A global option's value, wherever on the command line it was given.
fn global<T: Clone + Send + Sync + 'static>(matches: &clap::ArgMatches, id: &str) -> Option<T> {
    let mut at = Some(matches);
    while let Some(m) = at {
        if let Ok(Some(value)) = m.try_get_one::<T>(id) {
            return Some(value.clone());
        }
        at = m.subcommand().map(|(_, sub)| sub);
    }
    None
}

/// What the command line asked for.
enum Parsed {
    Derived(cli::Cli),
    /// An item command: its kind, the whole command line's matches, and the kind's.
    Item(roadbook_model::Kind, clap::ArgMatches, clap::ArgMatches),
}

/// The exit code, and the error (if any) on one line of stderr.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`roadbook history | head`): what it wanted it has; nothing to
        // say, as other commands of the shell say nothing.
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) if err.downcast_ref::<sync::Offline>().is_some() => {
            let _ = writeln!(std::io::stderr(), "roadbook: {err}");
            ExitCode::from(sync::OFFLINE_EXIT)
        }
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
