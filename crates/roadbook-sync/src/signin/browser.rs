//! The browser's side of a sign-in: the system browser opened on the provider's page and the
//! loopback listener that takes the one answer meant for this sign-in.

use super::*;

/// The loopback listener: the first port of the list that is free.
pub(super) async fn listen(ports: &[u16]) -> Result<tokio::net::TcpListener, SignInError> {
    let mut busy = Vec::new();
    for &port in ports {
        match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            Ok(listener) => return Ok(listener),
            Err(e) => busy.push(format!("{port} ({e})")),
        }
    }
    Err(SignInError::Callback(format!(
        "no redirect port could be opened on 127.0.0.1: {}; close what uses them, or set other registered ports in {REDIRECT_PORTS_ENV}",
        busy.join(", ")
    )))
}

/// What came back to the redirect URI.
pub(super) type CallbackQuery = HashMap<String, String>;

pub(super) const PAGE_DONE: &str = "<!doctype html><meta charset=utf-8><title>Roadbook</title><p>You are signed in to Roadbook. You can close this tab.";
pub(super) const PAGE_FAILED: &str = "<!doctype html><meta charset=utf-8><title>Roadbook</title><p>Roadbook could not sign you in. Go back to Roadbook to see why.";

pub(super) const PAGE_OTHER: &str = "<!doctype html><meta charset=utf-8><title>Roadbook</title><p>This answer is not for the sign-in Roadbook is waiting for: it was ignored. Finish the sign-in in the window Roadbook opened.";

/// Serves the redirect URI until the answer to this sign-in (its `state`) comes to
/// `/callback`. An answer carrying another state (a stale tab, a forged link another program
/// on this machine sent first) is ignored and the sign-in keeps waiting, so it can neither end
/// nor spoil the person's sign-in. Other paths (a browser's favicon request) get 404.
pub(super) async fn first_answer(
    listener: tokio::net::TcpListener,
    timeout: Duration,
    state: String,
) -> Result<CallbackQuery, SignInError> {
    use axum::extract::{Query, State};
    type Waiting = (
        tokio::sync::mpsc::Sender<CallbackQuery>,
        Arc<String>,
        Arc<AtomicUsize>,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel::<CallbackQuery>(1);
    let ignored = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/callback",
            axum::routing::get(
                |State((tx, state, ignored)): State<Waiting>,
                 Query(answer): Query<CallbackQuery>| async move {
                    if answer.get("state").map(String::as_str) != Some(state.as_str()) {
                        ignored.fetch_add(1, Ordering::SeqCst);
                        return (
                            axum::http::StatusCode::BAD_REQUEST,
                            axum::response::Html(PAGE_OTHER),
                        );
                    }
                    let ok = answer.contains_key("code");
                    let _ = tx.try_send(answer);
                    (
                        axum::http::StatusCode::OK,
                        axum::response::Html(if ok { PAGE_DONE } else { PAGE_FAILED }),
                    )
                },
            ),
        )
        .with_state((tx, Arc::new(state), ignored.clone()));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let answer = tokio::time::timeout(timeout, rx.recv()).await;
    server.abort();
    match answer {
        Ok(Some(answer)) => Ok(answer),
        Ok(None) | Err(_) if ignored.load(Ordering::SeqCst) > 0 => {
            Err(SignInError::Callback(format!(
                "the browser came back with an answer to another sign-in (the state does not match; it was ignored), and with none to this one within {} s: nothing was kept; sign in again",
                timeout.as_secs()
            )))
        }
        Ok(None) | Err(_) => Err(SignInError::TimedOut(timeout.as_secs())),
    }
}

/// Opens `url` in the person's browser: `$BROWSER` when set (a list separated by colons, `%s`
/// standing for the URL, as other desktop tools read it), else the desktop's opener.
pub fn open_in_browser(url: &str) -> Result<(), SignInError> {
    let mut tried = Vec::new();
    let browsers = std::env::var("BROWSER").unwrap_or_default();
    let mut commands: Vec<Vec<String>> = browsers
        .split(':')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let mut words: Vec<String> = c.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", url);
                }
            } else {
                words.push(url.to_owned());
            }
            words
        })
        .collect();
    commands.push(vec!["xdg-open".to_owned(), url.to_owned()]);
    for command in commands {
        let Some((program, args)) = command.split_first() else {
            continue;
        };
        match std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reaped in the background: a browser may outlive the sign-in.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => tried.push(format!("{program} ({e})")),
        }
    }
    Err(SignInError::Browser(format!(
        "no browser could be opened ({}): set BROWSER, or open the address shown by hand",
        tried.join(", ")
    )))
}
