//! `roadbook-server`: serve, with settings from the environment or `--config FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "roadbook-server",
    version,
    about = "Roadbook's central store: the programs a team syncs, on PostgreSQL"
)]
struct Cli {
    /// A TOML file with the settings (the environment's values win): ROADBOOK_DATABASE_URL,
    /// ROADBOOK_LISTEN, ROADBOOK_ISSUER, ROADBOOK_AUDIENCE, ROADBOOK_GROUPS_CLAIM, ROADBOOK_ROLES,
    /// ROADBOOK_TOKEN_TYPE, ROADBOOK_NAME_CLAIM, ROADBOOK_BODY_LIMIT, ROADBOOK_DB_CONNECTIONS
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let text = err.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "roadbook-server: {} (see roadbook-server --help)",
                first.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match roadbook_server::config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("roadbook-server: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("roadbook-server: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let running = match roadbook_server::start(&config).await {
            Ok(running) => running,
            Err(message) => {
                eprintln!("roadbook-server: {message}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(addr = %running.addr, "roadbook-server listening");
        // Also on stdout, one line, for scripts that start the server on port 0.
        println!("listening on {}", running.addr);
        match running.wait().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("roadbook-server: {err}");
                ExitCode::FAILURE
            }
        }
    })
}
