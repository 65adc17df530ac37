//! Signing in and out from the window. The browser is the system's (never a webview, which
//! would let the app see the password); the tokens stay on this side: the window only learns
//! who is signed in and what they may do.

use std::sync::Arc;

use roadbook_core::AuthorSource;
use roadbook_model::{Id, UsageKind};
use roadbook_sync::account::Revocation;
use roadbook_sync::signin::{DEFAULT_TIMEOUT, open_in_browser};
use roadbook_sync::{Account, Keychain, Transport};
use serde::Serialize;
use tauri::{AppHandle, Manager};

use crate::{AppState, CommandError, CommandResult, ErrorCode};

/// Why a viewer's screens are read-only, and what to do.
pub const READ_ONLY: &str = "You can read this program but not change it: your role on it is viewer. Ask its program lead for the editor role.";

/// Who is signed in, for the window.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct SignInView {
    pub signed_in: bool,
    pub name: Option<String>,
    pub email: Option<String>,
    pub groups: Vec<String>,
    /// Whether the keychain keeps the sign-in for the next start.
    pub remembered: bool,
    /// What to tell the person (a sign-in that will not be remembered, and why; a sign-out the
    /// provider could not revoke).
    pub note: Option<String>,
    /// Roadbook was started with ROADBOOK_TOKEN: the sync sends it, whoever is signed in.
    pub by_token: bool,
}

fn view(state: &AppState, note: Option<String>) -> SignInView {
    let account = state.account();
    let identity = account.as_ref().map(|a| a.identity().clone());
    SignInView {
        signed_in: account.is_some(),
        name: identity.as_ref().map(|i| i.name.clone()),
        email: identity.as_ref().and_then(|i| i.email.clone()),
        groups: identity.map(|i| i.groups).unwrap_or_default(),
        remembered: account.as_ref().is_some_and(|a| a.remembered()),
        note,
        by_token: state.session.token().is_some(),
    }
}

fn failed(err: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::SignIn, err.to_string())
}

#[tauri::command]
pub async fn who_am_i(app: AppHandle) -> CommandResult<SignInView> {
    Ok(view(&app.state::<AppState>(), None))
}

/// Signs in through the system browser: where to sign in comes from Settings (the config
/// file's `[sign-in]`, the `ROADBOOK_OIDC_*` environment), else from `server`.
#[tauri::command]
pub async fn sign_in(app: AppHandle, server: Option<String>) -> CommandResult<SignInView> {
    let state = app.state::<AppState>();
    let server = server
        .map(|s| s.trim().trim_end_matches('/').to_owned())
        .filter(|s| !s.is_empty());
    let settings = state
        .session
        .sign_in_settings(server.as_deref())
        .await
        .map_err(failed)?;
    let (account, signed_in) = Account::sign_in(
        &state.session.config_dir,
        &settings,
        server,
        Arc::new(Keychain),
        open_in_browser,
        DEFAULT_TIMEOUT,
    )
    .await
    .map_err(failed)?;
    if let Ok(mut kept) = state.account.lock() {
        *kept = Some(Arc::new(account));
    }
    state.find_author();
    if let Ok(mut roles) = state.roles.lock() {
        roles.clear();
    }
    crate::sync::restart_all(&app);
    // Counted only when the person shares usage counts; a failure to count is not the
    // sign-in's.
    if let Err(err) = crate::commands::with_store(app.clone(), |_, store| {
        Ok(store.note_usage(UsageKind::SignIn)?)
    })
    .await
    {
        eprintln!(
            "roadbook-desktop: a sign-in was not counted: {}",
            err.message
        );
    }
    let note = signed_in.not_remembered_because.map(|why| {
        format!(
            "Signed in for this session only: {why}. Roadbook keeps a sign-in only in the keychain."
        )
    });
    Ok(view(&state, note))
}

/// Signs out: the provider revokes the sign-in where it can, the keychain forgets it, and the
/// syncs stop until the next sign-in (changes keep waiting here).
#[tauri::command]
pub async fn sign_out(app: AppHandle) -> CommandResult<SignInView> {
    let state = app.state::<AppState>();
    let account = state.account.lock().ok().and_then(|mut a| a.take());
    let note = match account {
        None => None,
        Some(account) => {
            // The syncs hold the sign-in too: they stop before it goes.
            crate::sync::stop_all(&app);
            match account.sign_out().await.map_err(failed)? {
                Revocation::Revoked => None,
                Revocation::NotOffered => Some(
                    "Your identity provider offers no revocation: the sign-in ends when it expires.".to_owned(),
                ),
                Revocation::Failed(why) => Some(format!(
                    "The identity provider could not revoke the sign-in ({why}); it ends when it expires."
                )),
            }
        }
    };
    state.find_author();
    if let Ok(mut roles) = state.roles.lock() {
        roles.clear();
    }
    crate::sync::restart_all(&app);
    Ok(view(&state, note))
}

/// What the person may do on a program.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct ProgramAccess {
    /// viewer, editor, lead or admin; none for a program only on this machine (or when the
    /// server could not be asked).
    pub role: Option<String>,
    /// The program's screens are read-only.
    pub read_only: bool,
    /// Why, in words for the person, when read-only.
    pub reason: Option<String>,
}

/// Asks the program's server what the person may do on it.
#[tauri::command]
pub async fn program_access(app: AppHandle, program: Id) -> CommandResult<ProgramAccess> {
    let state = app.state::<AppState>();
    let server = {
        let store = state.store.lock().map_err(|_| {
            CommandError::new(
                ErrorCode::Storage,
                "the database is locked: restart Roadbook",
            )
        })?;
        store.sync_state(program)?.server
    };
    let Some(server) = server else {
        return Ok(ProgramAccess {
            role: None,
            read_only: false,
            reason: None,
        });
    };
    let known = |state: &AppState| {
        state
            .roles
            .lock()
            .ok()
            .and_then(|r| r.get(&program).cloned())
    };
    let asked = match state.client(&server) {
        Ok(client) => client.transport().programs().await.ok(),
        Err(_) => None,
    };
    if let Some(programs) = asked {
        let role = programs
            .iter()
            .find(|p| p.id == program)
            .map(|p| p.role.as_str().to_owned());
        if let Ok(mut roles) = state.roles.lock() {
            match &role {
                Some(role) => roles.insert(program, role.clone()),
                None => roles.remove(&program),
            };
        }
    }
    // Offline, the last answer stands.
    let role = known(&state);
    let read_only = crate::is_viewer(role.as_deref());
    Ok(ProgramAccess {
        reason: read_only.then(|| READ_ONLY.to_owned()),
        role,
        read_only,
    })
}

/// The identity provider as the Settings screen edits it: text as typed, checked here.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Default, Serialize, serde::Deserialize)]
pub struct ProviderForm {
    pub issuer: String,
    pub client_id: String,
    pub audience: String,
    /// Separated by spaces.
    pub scopes: String,
    /// Separated by commas; 0 for any free port.
    pub redirect_ports: String,
    pub groups_claim: String,
}

/// The provider settings kept in the settings file (empty: the server says where to sign in).
#[tauri::command]
pub async fn provider_settings(app: AppHandle) -> CommandResult<ProviderForm> {
    let state = app.state::<AppState>();
    let kept = roadbook_core::FileConfig::load(&state.session.config_dir)?
        .sign_in
        .unwrap_or_default();
    Ok(ProviderForm {
        issuer: kept.issuer.unwrap_or_default(),
        client_id: kept.client_id.unwrap_or_default(),
        audience: kept.audience.unwrap_or_default(),
        scopes: kept.scopes.map(|s| s.join(" ")).unwrap_or_default(),
        redirect_ports: kept
            .redirect_ports
            .map(|p| p.iter().map(u16::to_string).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        groups_claim: kept.groups_claim.unwrap_or_default(),
    })
}

/// Checks the provider settings and keeps them in the settings file, shared with the command
/// line. Issuer and client id both empty: the settings go, and the server says where to sign
/// in. Anything wrong is said, and nothing is written.
#[tauri::command]
pub async fn save_provider_settings(app: AppHandle, form: ProviderForm) -> CommandResult<()> {
    use roadbook_sync::signin::{
        AUDIENCE_ENV, CLIENT_ID_ENV, GROUPS_CLAIM_ENV, ISSUER_ENV, REDIRECT_PORTS_ENV, SCOPES_ENV,
    };
    let state = app.state::<AppState>();
    let dir = &state.session.config_dir;
    let mut file = roadbook_core::FileConfig::load(dir)?;
    if form.issuer.trim().is_empty() && form.client_id.trim().is_empty() {
        file.sign_in = None;
    } else {
        // The same checks as the environment's settings, on what was typed.
        let typed = |key: &str| {
            let value = match key {
                ISSUER_ENV => &form.issuer,
                CLIENT_ID_ENV => &form.client_id,
                AUDIENCE_ENV => &form.audience,
                SCOPES_ENV => &form.scopes,
                REDIRECT_PORTS_ENV => &form.redirect_ports,
                GROUPS_CLAIM_ENV => &form.groups_claim,
                _ => return None,
            };
            Some(value.clone())
        };
        let settings = roadbook_sync::PartialSettings::default()
            .resolve_with(typed)
            .map_err(|e| CommandError::new(ErrorCode::Invalid, e.to_string()))?;
        file.sign_in = Some(roadbook_sync::PartialSettings {
            issuer: Some(settings.issuer),
            client_id: Some(settings.client_id),
            audience: settings.audience,
            scopes: Some(settings.scopes),
            redirect_ports: Some(settings.redirect_ports),
            groups_claim: Some(settings.groups_claim),
        });
    }
    file.save(dir)
        .map_err(|e| CommandError::new(ErrorCode::Io, e.to_string()))
}

/// "Your name" in Settings, and who changes are recorded as now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Serialize)]
pub struct YourName {
    /// As set in Settings (none: not set).
    pub name: Option<String>,
    /// Who the next change is recorded as; none when nobody is named at all.
    pub recorded_as: Option<String>,
    /// Where that name comes from ("your sign-in", "Your name in Settings"), in the one
    /// precedence the command line uses too.
    pub recorded_from: String,
    /// Whether it is a person's name, not a login: documents print it as "Prepared by", and
    /// the app asks for a name until it is.
    pub is_a_name: bool,
}

fn your_name_view(state: &AppState) -> CommandResult<YourName> {
    let file = roadbook_core::FileConfig::load(&state.session.config_dir)?;
    let author = state.author();
    Ok(YourName {
        name: file.name,
        recorded_as: Some(author.name.clone()).filter(|_| author.from != AuthorSource::Nobody),
        recorded_from: author.source().to_owned(),
        is_a_name: author.is_a_name(),
    })
}

#[tauri::command]
pub async fn your_name(app: AppHandle) -> CommandResult<YourName> {
    your_name_view(&app.state::<AppState>())
}

/// Sets "Your name" (empty: forgets it). It signs changes and documents from now on unless a
/// sign-in or ROADBOOK_AUTHOR names the person.
#[tauri::command]
pub async fn set_your_name(app: AppHandle, name: String) -> CommandResult<YourName> {
    let state = app.state::<AppState>();
    roadbook_core::FileConfig::set_name(&state.session.config_dir, Some(&name))?;
    state.find_author();
    your_name_view(&state)
}
