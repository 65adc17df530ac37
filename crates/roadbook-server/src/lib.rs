//! `roadbook-server`: the central store that a team's Roadbooks sync with.
//!
//! [`engine`] holds the sync's rules over a [`storage::Storage`] (PostgreSQL when deployed,
//! memory in the simulation); [`http`] puts them behind HTTP with token checks ([`auth`]);
//! [`live`] wakes long polls when any server process commits a change.

pub mod admin;
pub mod audit;
pub mod audit_chain;
pub mod auth;
pub mod budget;
pub mod config;
pub mod directory;
pub mod engine;
pub mod http;
pub mod live;
pub mod metrics;
pub mod storage;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::auth::Verifier;
use crate::config::{Config, redact_url};
use crate::directory::PgDirectory;
use crate::engine::{Engine, system_clock};
use crate::http::AppState;
use crate::live::Live;
use crate::storage::postgres::PgStorage;

/// A server that is listening.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops taking requests, lets those in flight finish, and waits until it has.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops by itself (a signal).
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(err) => Err(std::io::Error::other(err)),
        }
    }
}

/// Connects to the database (running the migrations), loads the issuer's keys, and starts
/// listening. Each failure says which setting to look at.
pub async fn start(config: &Config) -> Result<Running, String> {
    let storage = PgStorage::open(
        &config.database_url,
        config.db_connections,
        config.migrations,
    )
    .await
        .map_err(|e| {
            format!(
                "cannot use the database at {} ({e}): check ROADBOOK_DATABASE_URL and that PostgreSQL runs",
                redact_url(&config.database_url)
            )
        })?;
    let verifier = Verifier::discover(config)
        .await
        .map_err(|e| format!("cannot load the token issuer's keys ({e}): check ROADBOOK_ISSUER"))?;
    let live = Arc::new(Live::new());
    tokio::spawn(storage.clone().listen(live.clone()));
    let directory = Arc::new(PgDirectory::new(storage.clone()));
    let engine = Engine::new(Arc::new(storage), live, system_clock()).with_directory(directory);
    if let Some(path) = &config.roles_file {
        tokio::spawn(config::watch_roles(
            path.clone(),
            verifier.roles(),
            engine.metrics().clone(),
        ));
    }
    // Before serving: a database restored or recovered begins its history now, before any
    // client is answered from it.
    let history = engine
        .history()
        .await
        .map_err(|e| format!("cannot read the server's history from the database ({e})"))?;
    tracing::info!(history = %history, "serving");
    serve(config, engine, Arc::new(verifier)).await
}

/// Serves `engine` on the configured address until [`Running::stop`] or SIGTERM/Ctrl+C.
pub async fn serve(
    config: &Config,
    engine: Engine,
    verifier: Arc<Verifier>,
) -> Result<Running, String> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {} ({e}): check ROADBOOK_LISTEN",
                config.listen
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let live = engine.live().clone();
    let app = http::router(
        Arc::new(AppState {
            engine,
            verifier,
            sign_in: config.sign_in.clone(),
            break_glass: config.break_glass.clone(),
            limits: config.limits.clone(),
            draining: draining.clone(),
        }),
        config.body_limit,
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let drain = config.drain;
    let stop = async move {
        tokio::select! {
            _ = rx => live.stop(),
            _ = terminated() => {
                // Say "not ready" and keep answering while the load balancer takes this
                // process out of rotation; then stop taking connections and let those in
                // flight finish.
                draining.store(true, std::sync::atomic::Ordering::SeqCst);
                tracing::info!(drain_seconds = drain.as_secs(), "stopping: draining");
                tokio::time::sleep(drain).await;
                live.stop();
                tracing::info!("stopping: finishing the requests in flight");
            }
        }
    };
    let task = tokio::spawn(accept(listener, app, config.limits.clone(), stop));
    Ok(Running {
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// Takes connections until `stop`, then lets those open finish. At most
/// `limits.most_connections` are open at once (more wait in the kernel's backlog), and a
/// connection that sends no whole request head within the idle timeout, new or between
/// requests, is closed: connections that send nothing (or a byte at a time) hold a place for a
/// bounded time and never exhaust the process's descriptors.
async fn accept(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: config::Limits,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.most_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit,
            () = &mut stop => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors, or a connection reset before it was taken: wait a
                    // moment, the next one may do.
                    tracing::warn!(error = %err, "a connection could not be accepted");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "a connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// SIGTERM (Kubernetes stopping a pod) or Ctrl+C.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
