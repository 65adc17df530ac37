//! `roadbook-server`: serve, with settings from the environment or `--config FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use roadbook_model::Id;
use roadbook_protocol::Role;

#[derive(Debug, Parser)]
#[command(
    name = "roadbook-server",
    version,
    about = "Roadbook's central store: the programs a team syncs, on PostgreSQL"
)]
struct Cli {
    /// A TOML file with the settings (the environment's values win): ROADBOOK_DATABASE_URL,
    /// ROADBOOK_LISTEN, ROADBOOK_ISSUER, ROADBOOK_AUDIENCE, ROADBOOK_GROUPS_CLAIM, ROADBOOK_ROLES
    /// or ROADBOOK_ROLES_FILE, ROADBOOK_BREAK_GLASS, ROADBOOK_TOKEN_TYPE, ROADBOOK_NAME_CLAIM,
    /// ROADBOOK_BODY_LIMIT, ROADBOOK_DB_CONNECTIONS, ROADBOOK_CLIENT_ID, ROADBOOK_SCOPES,
    /// ROADBOOK_REDIRECT_PORTS
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (what runs when no command is given)
    Serve,
    /// The org roster, from the authoritative org source
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Grant a person a role on one program, over what their groups give
    Grant {
        #[arg(value_name = "PROGRAM_ID")]
        program: Id,
        /// The person, by the email their sign-in carries
        #[arg(value_name = "EMAIL")]
        email: String,
        /// viewer, editor, lead or admin
        #[arg(value_name = "ROLE")]
        role: Role,
        /// Who grants it (recorded in the audit trail)
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Let an email be held by a new subject: a person whose account at the identity provider
    /// was made again (an email joins the roster and grants to the first subject the issuer
    /// vouched it for, and to no other)
    Unbind {
        #[arg(value_name = "EMAIL")]
        email: String,
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Take back a role granted on one program
    Revoke {
        #[arg(value_name = "PROGRAM_ID")]
        program: Id,
        #[arg(value_name = "EMAIL")]
        email: String,
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Let only the members of an org unit (and admins) see a program, or everyone again
    Scope {
        #[arg(value_name = "PROGRAM_ID")]
        program: Id,
        /// The org unit, as the roster names it
        #[arg(long, value_name = "UNIT", required_unless_present = "everyone")]
        org_unit: Option<String>,
        /// Open it to every role again
        #[arg(long, conflicts_with = "org_unit")]
        everyone: bool,
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Who has which role on which program, through which group, grant or roster entry, when
    /// they last signed in or synced, and break-glass use in the period
    AccessReview {
        /// FILE.csv or FILE.pdf
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Who prepares it ("Prepared by" on the PDF)
        #[arg(long, value_name = "NAME", default_value = "the server's operators")]
        by: String,
        /// Break-glass use from this date on (YYYY-MM-DD; default: the last 90 days)
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
    },
    /// The audit trail, oldest first: on the terminal, or as CSV with --out FILE.csv; `audit
    /// verify` checks its hash chains
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        #[command(subcommand)]
        check: Option<AuditCommand>,
        /// Only this program's events
        #[arg(long, value_name = "PROGRAM_ID")]
        program: Option<Id>,
        /// Only this person's (the subject their sign-in carries, or an operator's name)
        #[arg(long, value_name = "SUBJECT")]
        subject: Option<String>,
        /// Only events of this kind: publish, join, document_issued, applied, conflict,
        /// rejected, create, update, delete, resolve, roster_import, grant, revoke, scope,
        /// break_glass
        #[arg(long, value_name = "KIND", value_parser = roadbook_server::audit::AuditFilter::kind)]
        kind: Option<String>,
        /// From this date or time on (2026-11-30, or 2026-11-30T09:00:00Z)
        #[arg(long, value_name = "WHEN", value_parser = roadbook_server::audit::moment)]
        since: Option<String>,
        /// Before this date or time
        #[arg(long, value_name = "WHEN", value_parser = roadbook_server::audit::moment)]
        until: Option<String>,
        /// Write CSV to FILE instead
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
    },
    /// Usage counts from the apps that share them, by day and kind
    Usage {
        /// From this day on (YYYY-MM-DD; default: the last 30 days)
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
    },
    /// Bring the database's schema up to date and exit (the deployment's migration job), as the
    /// owning role (ROADBOOK_MIGRATE_DATABASE_URL, else ROADBOOK_DATABASE_URL); with a serving
    /// role, grant it what serving needs and, on the audit trail, only reading and adding
    Migrate {
        /// The role the servers connect as (else ROADBOOK_SERVING_ROLE)
        #[arg(long, value_name = "ROLE")]
        serving_role: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the audit trail's hash chains: says the first broken link (a deleted, changed or
    /// inserted event) and exits non-zero when there is one; else prints each chain's end
    Verify {
        /// The ends an earlier check printed (kept outside the database): each must still be
        /// in its chain, unchanged, or the trail was rewritten since
        #[arg(long, value_name = "FILE")]
        expect: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum RosterCommand {
    /// Replace the roster with FILE (CSV or JSON: person, email, team, org unit, manager), all
    /// or nothing, and say what changed
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_name = "NAME")]
        by: String,
    },
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
    let traces = match logging() {
        Ok(traces) => traces,
        Err(message) => {
            eprintln!("roadbook-server: {message}");
            return ExitCode::from(2);
        }
    };
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
    if let Some(command) = cli.command.filter(|c| !matches!(c, Command::Serve)) {
        return match runtime.block_on(admin(&config, command)) {
            Ok(said) => {
                println!("{said}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("roadbook-server: {message}");
                ExitCode::FAILURE
            }
        };
    }
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
        let stopped = running.wait().await;
        // The last spans go before the process does.
        if let Some(traces) = traces
            && let Err(err) = tokio::task::spawn_blocking(move || traces.shutdown()).await
        {
            eprintln!("roadbook-server: the last traces may be lost: {err}");
        }
        match stopped {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("roadbook-server: {err}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Logs on stderr: one JSON object a line where a collector reads them (not a terminal), lines
/// for a person at a terminal; ROADBOOK_LOG_FORMAT=json or text decides instead. RUST_LOG
/// filters (default: info). With OTEL_EXPORTER_OTLP_ENDPOINT set, the same spans (one per
/// request, with its route, caller and status) also go to that OpenTelemetry collector over
/// OTLP/HTTP; unset, nothing is exported and no exporter runs.
fn logging() -> Result<Option<opentelemetry_sdk::trace::SdkTracerProvider>, String> {
    use std::io::IsTerminal;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let json = match std::env::var("ROADBOOK_LOG_FORMAT")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("") => !std::io::stderr().is_terminal(),
        Some("json") => true,
        Some("text") => false,
        Some(other) => {
            return Err(format!(
                "ROADBOOK_LOG_FORMAT is '{other}': set it to json or text, or leave it unset"
            ));
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let lines = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed()
    };
    let provider = traces()?;
    // Spans at info and above whatever RUST_LOG says of the log lines: quieting the log does
    // not blind the traces.
    let exported = provider.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider as _;
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("roadbook-server"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(exported)
        .init();
    Ok(provider)
}

/// The OTLP exporter, when OTEL_EXPORTER_OTLP_ENDPOINT names a collector (the exporter reads
/// the standard OTEL_EXPORTER_OTLP_* settings itself).
fn traces() -> Result<Option<opentelemetry_sdk::trace::SdkTracerProvider>, String> {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_default();
    if endpoint.trim().is_empty() {
        return Ok(None);
    }
    if !endpoint.starts_with("http://") {
        return Err(format!(
            "OTEL_EXPORTER_OTLP_ENDPOINT is '{endpoint}': give the collector's http:// address (OTLP over HTTP, for example http://otel-collector:4318)"
        ));
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("cannot export traces to {endpoint}: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("roadbook-server")
        .build();
    Ok(Some(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build(),
    ))
}

/// The operator's commands: on the database, never through the API.
async fn admin(
    config: &roadbook_server::config::Config,
    command: Command,
) -> Result<String, String> {
    use roadbook_server::directory::{Directory, PgDirectory};
    use roadbook_server::storage::Storage;
    use roadbook_server::storage::postgres::PgStorage;
    if let Command::Migrate { serving_role } = &command {
        // As the owning role: the schema, then what the serving role may do.
        let url = config
            .migrate_database_url
            .as_deref()
            .unwrap_or(&config.database_url);
        let storage = PgStorage::open(
            url,
            1,
            roadbook_server::storage::postgres::Migrations::AtStart,
        )
        .await
        .map_err(|e| {
            format!(
                "cannot bring the schema up to date ({e}): check ROADBOOK_MIGRATE_DATABASE_URL (the owning role's) or ROADBOOK_DATABASE_URL"
            )
        })?;
        return match serving_role.as_ref().or(config.serving_role.as_ref()) {
            Some(role) => {
                storage.grant_serving(role).await?;
                Ok(format!(
                    "the database's schema is up to date; {role} may serve it (and only read and add to the audit trail)"
                ))
            }
            None => Ok("the database's schema is up to date".into()),
        };
    }
    let storage = PgStorage::open(&config.database_url, 2, config.migrations)
        .await
        .map_err(|e| format!("cannot use the database ({e}): check ROADBOOK_DATABASE_URL"))?;
    let directory = PgDirectory::new(storage.clone());
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let missing = |program: Id| {
        move |e: roadbook_server::storage::StorageError| match e {
            roadbook_server::storage::StorageError::NotFound => {
                format!("there is no program {program} on this server")
            }
            other => other.to_string(),
        }
    };
    match command {
        Command::Serve => Ok(String::new()),
        Command::Migrate { .. } => Ok("the database's schema is up to date".into()),
        Command::Audit {
            check: Some(AuditCommand::Verify { expect }),
            ..
        } => {
            let noted = match expect {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
                    Some(
                        roadbook_server::audit_chain::read_noted(&text)
                            .map_err(|why| format!("{}: {why}", path.display()))?,
                    )
                }
            };
            let (events, ends) = storage.audit_links().await?;
            let verdict = match &noted {
                Some(noted) => roadbook_server::audit_chain::verify_against(&events, &ends, noted),
                None => roadbook_server::audit_chain::verify(&events, &ends),
            };
            let heads = verdict
                .heads
                .iter()
                .map(|(chain, hash)| format!("  {chain}: {hash}"))
                .collect::<Vec<_>>()
                .join("\n");
            if verdict.verified() {
                Ok(format!(
                    "{}\nthe chains end at (keep these lines outside the database; `audit verify --expect FILE` later shows a trail rewritten since):\n{heads}",
                    verdict.describe()
                ))
            } else {
                let mut lines = vec![verdict.describe()];
                if verdict.problems.len() > 1 {
                    lines.extend(verdict.problems.iter().map(|p| format!("  {p}")));
                }
                Err(lines.join("\n"))
            }
        }
        Command::Usage { since } => {
            let since = since
                .unwrap_or_else(|| (chrono::Utc::now() - chrono::Duration::days(30)).date_naive())
                .format("%Y-%m-%d")
                .to_string();
            let counts = storage
                .usage_counts(Some(&since))
                .await
                .map_err(|e| e.to_string())?;
            if counts.is_empty() {
                return Ok(format!(
                    "no usage counts since {since} (apps send them only when their person shares them)"
                ));
            }
            let mut lines = vec![format!("{:<12}{:<28}{:>8}", "Day", "What", "Count")];
            for count in &counts {
                lines.push(format!(
                    "{:<12}{:<28}{:>8}",
                    count.day,
                    count.kind.label(),
                    count.count
                ));
            }
            Ok(lines.join("\n"))
        }
        Command::Audit {
            check: None,
            program,
            subject,
            kind,
            since,
            until,
            out,
        } => {
            use roadbook_server::audit::{AuditFilter, MAX_EVENTS};
            let mut filter = AuditFilter {
                program,
                subject,
                kind,
                since,
                until,
                ..AuditFilter::default()
            };
            // Page through the whole trail the filter picks.
            let mut lines = Vec::new();
            loop {
                let page = storage.audit(&filter).await.map_err(|e| e.to_string())?;
                let full = page.len() == MAX_EVENTS;
                filter.after = page.last().map_or(filter.after, |l| l.id);
                lines.extend(page);
                if !full {
                    break;
                }
            }
            match out {
                Some(out) => {
                    let bytes = roadbook_server::audit::csv(&lines)?;
                    std::fs::write(&out, bytes)
                        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                    Ok(format!(
                        "{} audit events written to {}",
                        lines.len(),
                        out.display()
                    ))
                }
                None if lines.is_empty() => Ok("no audit events match".into()),
                None => Ok(lines
                    .iter()
                    .map(|l| {
                        format!(
                            "{}  {}  {}{}{}  {}",
                            l.at,
                            l.subject,
                            l.action,
                            l.operation().map(|o| format!(" ({o})")).unwrap_or_default(),
                            if l.break_glass { " BREAK-GLASS" } else { "" },
                            l.program_name
                                .clone()
                                .or_else(|| l.program.map(|p| p.to_string()))
                                .unwrap_or_default(),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")),
            }
        }
        Command::Roster(RosterCommand::Import { file, by }) => {
            let entries = roadbook_server::admin::read_roster(&file)?;
            let count = entries.len();
            let change = directory
                .import_roster(entries, &by, &now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(roadbook_server::admin::describe(&change, count))
        }
        Command::Grant {
            program,
            email,
            role,
            by,
        } => {
            directory
                .grant(program, &email, Some(role), &by, &now)
                .await
                .map_err(missing(program))?;
            Ok(format!("{email} is {} on {program}", role.as_str()))
        }
        Command::Unbind { email, by } => {
            let was = directory
                .unbind(&email, &by, &now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(if was {
                format!(
                    "{email} is held by no subject now: the next vouched sign-in with it takes it"
                )
            } else {
                format!("{email} was held by no subject")
            })
        }
        Command::Revoke { program, email, by } => {
            directory
                .grant(program, &email, None, &by, &now)
                .await
                .map_err(missing(program))?;
            Ok(format!("{email} has no granted role on {program} now"))
        }
        Command::Scope {
            program,
            org_unit,
            everyone: _,
            by,
        } => {
            directory
                .scope(program, org_unit.as_deref(), &by, &now)
                .await
                .map_err(missing(program))?;
            Ok(match org_unit {
                Some(unit) => format!("{program} is seen by members of {unit} and admins only"),
                None => format!("{program} is seen by every role again"),
            })
        }
        Command::AccessReview { out, by, since } => {
            let since = since
                .unwrap_or_else(|| (chrono::Utc::now() - chrono::Duration::days(90)).date_naive())
                .format("%Y-%m-%d")
                .to_string();
            // `config.roles` is the roles file's mapping already when one is set (read at load).
            let lines =
                roadbook_server::admin::access_review(&storage, &directory, &config.roles, &since)
                    .await?;
            let extension = out
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            // The trail the review's break-glass lines come from is checked with it.
            let (events, ends) = storage.audit_links().await?;
            let verdict = roadbook_server::audit_chain::verify(&events, &ends);
            let bytes = match extension.as_str() {
                "csv" => roadbook_server::admin::review_csv(&lines)?,
                "pdf" => roadbook_server::admin::review_pdf(
                    &lines,
                    &since,
                    &by,
                    chrono::Utc::now(),
                    &verdict,
                )?,
                _ => {
                    return Err(format!(
                        "{} is neither .csv nor .pdf: name the file for the format you want",
                        out.display()
                    ));
                }
            };
            std::fs::write(&out, bytes)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            Ok(format!(
                "{} entitlements written to {}; {}",
                lines.len(),
                out.display(),
                verdict.describe()
            ))
        }
    }
}
