//! The sign-in a person keeps on this machine, shared by the command line and the app: who they
//! are (a small profile file in the config dir, nothing secret in it), the refresh token (in
//! the OS keychain, never in a file), and the access token (in this process's memory only).
//!
//! Refresh tokens rotate: each refresh spends the old one, and a provider that sees a spent
//! token used again ends the whole sign-in. So a refresh holds a lock file that every Roadbook
//! process on the machine takes, reads the newest refresh token from the keychain under it,
//! and saves the next one before letting go.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::signin::{self, Identity, Secret, Settings, SignInError, Tokens};
use crate::transport::{Credentials, Token, TransportError};

/// The profile file in the config dir: who is signed in, with which provider.
pub const PROFILE_FILE: &str = "sign-in.json";
/// The lock every process takes to refresh.
pub const LOCK_FILE: &str = "sign-in.lock";
/// The keychain service Roadbook's entries are kept under.
pub const KEYCHAIN_SERVICE: &str = "roadbook";

/// Where refresh tokens are kept: the OS keychain in Roadbook, memory in unit tests.
pub trait Vault: Send + Sync + std::fmt::Debug {
    /// Whether the vault can be used at all (checked before the browser opens).
    fn probe(&self) -> Result<(), String>;
    fn load(&self, account: &str) -> Result<Option<Secret>, String>;
    fn save(&self, account: &str, secret: &Secret) -> Result<(), String>;
    fn delete(&self, account: &str) -> Result<(), String>;
}

/// The OS keychain through `keyring` (the Secret Service on Linux).
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

fn keychain_error(err: &keyring::Error) -> String {
    match err {
        keyring::Error::NoStorageAccess(_) => {
            "the keychain is locked or refused access: unlock it (your desktop's login keyring) and try again".to_owned()
        }
        keyring::Error::NoDefaultStore => {
            "no keychain is running (no Secret Service on this desktop session)".to_owned()
        }
        other => format!("the keychain failed: {other}"),
    }
}

impl Keychain {
    fn entry(account: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|e| keychain_error(&e))
    }
}

impl Vault for Keychain {
    fn probe(&self) -> Result<(), String> {
        match Keychain::entry("probe")?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(&e)),
        }
    }

    fn load(&self, account: &str) -> Result<Option<Secret>, String> {
        match Keychain::entry(account)?.get_password() {
            Ok(secret) => Ok(Some(Secret::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(&e)),
        }
    }

    fn save(&self, account: &str, secret: &Secret) -> Result<(), String> {
        Keychain::entry(account)?
            .set_password(secret.expose())
            .map_err(|e| keychain_error(&e))
    }

    fn delete(&self, account: &str) -> Result<(), String> {
        match Keychain::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(&e)),
        }
    }
}

/// Who is signed in, as the profile file keeps it (nothing secret): the provider settings the
/// sign-in was made with (a refresh must go to the same place), the person, and the server
/// named at sign-in, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Profile {
    pub settings: Settings,
    #[serde(flatten)]
    pub identity: Identity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Seconds since 1970 when the person signed in.
    pub signed_in_at: u64,
    /// The other servers the person chose to send this sign-in to (the one named at sign-in
    /// is always one): a database file that names a server nobody chose gets no token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_servers: Vec<String>,
}

/// A server's address as trust compares it: scheme, host and port (lowercase, default ports
/// dropped) and the path without its trailing slash.
pub fn server_key(server: &str) -> String {
    let trimmed = server.trim();
    match reqwest::Url::parse(trimmed) {
        Ok(url) => format!(
            "{}{}",
            url.origin().ascii_serialization(),
            url.path().trim_end_matches('/')
        ),
        Err(_) => trimmed.trim_end_matches('/').to_lowercase(),
    }
}

impl Profile {
    /// Whether this sign-in may be sent to `server`.
    pub fn trusts(&self, server: &str) -> bool {
        let key = server_key(server);
        self.server
            .iter()
            .chain(&self.trusted_servers)
            .any(|s| server_key(s) == key)
    }

    /// The keychain account of this sign-in: one per provider and app registration, so a
    /// second provider does not read the first one's token.
    pub fn keychain_account(&self) -> String {
        keychain_account(&self.settings.issuer, &self.settings.client_id)
    }
}

fn keychain_account(issuer: &str, client_id: &str) -> String {
    format!("refresh token for {client_id} at {issuer}")
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The access token held in memory, and the refresh token when the keychain cannot keep it.
#[derive(Debug, Default)]
struct Held {
    access: Option<Tokens>,
    /// Only when the sign-in is not remembered (no keychain): it lives as long as the process.
    refresh: Option<Secret>,
}

/// A person's sign-in, usable as the sync's credentials.
#[derive(Debug)]
pub struct Account {
    dir: PathBuf,
    settings: Settings,
    profile: Profile,
    /// Whether the refresh token is in the keychain (else only in this process).
    remembered: bool,
    /// Servers trusted by this process since it opened the sign-in (with the profile's own).
    trusted: std::sync::Mutex<Vec<String>>,
    vault: Arc<dyn Vault>,
    held: tokio::sync::Mutex<Held>,
}

/// What the provider did with the sign-in at sign-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// The provider offers no revocation: the sign-in ends when its refresh token expires.
    NotOffered,
    /// Revocation failed (the reason); the sign-in ends when its refresh token expires.
    Failed(String),
}

/// What signing in did, for the message the person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub identity: Identity,
    /// False when no keychain could keep the sign-in: it lasts this session only.
    pub remembered: bool,
    /// Why it is not remembered.
    pub not_remembered_because: Option<String>,
}

impl Account {
    /// The sign-in kept in `dir`, if any.
    pub fn open(dir: &Path, vault: Arc<dyn Vault>) -> Result<Option<Account>, SignInError> {
        let Some(profile) = read_profile(dir)? else {
            return Ok(None);
        };
        Ok(Some(Account {
            dir: dir.to_owned(),
            settings: profile.settings.clone(),
            profile,
            remembered: true,
            trusted: std::sync::Mutex::new(Vec::new()),
            vault,
            held: tokio::sync::Mutex::new(Held::default()),
        }))
    }

    /// Signs in through the browser and keeps the sign-in: the refresh token in the vault and
    /// the profile in `dir`. When the vault cannot be used the sign-in works for this process
    /// only and nothing is written. On any failure nothing is kept and an earlier sign-in
    /// stays as it was.
    pub async fn sign_in(
        dir: &Path,
        settings: &Settings,
        server: Option<String>,
        vault: Arc<dyn Vault>,
        browser: impl FnOnce(&str) -> Result<(), SignInError>,
        timeout: Duration,
    ) -> Result<(Account, SignedIn), SignInError> {
        let probe = {
            let vault = vault.clone();
            blocking(move || Ok(vault.probe())).await?
        };
        let (identity, tokens) = signin::sign_in(settings, browser, timeout).await?;
        let mut profile = Profile {
            settings: settings.clone(),
            identity: identity.clone(),
            server,
            signed_in_at: now_seconds(),
            trusted_servers: Vec::new(),
        };
        // Signing in again with the same provider and person keeps the servers they chose.
        if let Ok(Some(old)) = read_profile(dir)
            && old.keychain_account() == profile.keychain_account()
            && old.identity.subject == profile.identity.subject
        {
            profile.trusted_servers = old.trusted_servers;
        }
        let mut held = Held {
            access: Some(tokens.clone()),
            refresh: None,
        };
        let remembered = match (&probe, &tokens.refresh) {
            (Ok(()), Some(refresh)) => {
                let _lock = lock(dir).await?;
                // A sign-in with another provider or app registration is replaced: its token
                // leaves the keychain rather than linger there unused.
                let replaced = read_profile(dir)
                    .ok()
                    .flatten()
                    .map(|p| p.keychain_account())
                    .filter(|old| *old != profile.keychain_account());
                let (vault, account, refresh) =
                    (vault.clone(), profile.keychain_account(), refresh.clone());
                blocking(move || {
                    vault.save(&account, &refresh)?;
                    match replaced {
                        Some(old) => vault.delete(&old),
                        None => Ok(()),
                    }
                })
                .await?;
                write_profile(dir, &profile)?;
                true
            }
            _ => {
                held.refresh = tokens.refresh.clone();
                false
            }
        };
        let not_remembered_because = match (&probe, &tokens.refresh) {
            (Err(why), _) => Some(why.clone()),
            (Ok(()), None) => Some(
                "the identity provider gave no refresh token (is offline_access among the scopes?)"
                    .to_owned(),
            ),
            _ => None,
        };
        let account = Account {
            dir: dir.to_owned(),
            settings: settings.clone(),
            profile,
            remembered,
            trusted: std::sync::Mutex::new(Vec::new()),
            vault,
            held: tokio::sync::Mutex::new(held),
        };
        Ok((
            account,
            SignedIn {
                identity,
                remembered,
                not_remembered_because,
            },
        ))
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn identity(&self) -> &Identity {
        &self.profile.identity
    }

    pub fn remembered(&self) -> bool {
        self.remembered
    }

    /// Whether this sign-in may be sent to `server`: the server named at sign-in, or one the
    /// person chose since (in this process or another one on this machine).
    pub fn trusts(&self, server: &str) -> bool {
        if self.profile.trusts(server) {
            return true;
        }
        let key = server_key(server);
        if self
            .trusted
            .lock()
            .is_ok_and(|t| t.iter().any(|s| server_key(s) == key))
        {
            return true;
        }
        self.remembered
            && read_profile(&self.dir).ok().flatten().is_some_and(|p| {
                p.keychain_account() == self.profile.keychain_account() && p.trusts(server)
            })
    }

    /// The servers this sign-in may be sent to.
    pub fn trusted_servers(&self) -> Vec<String> {
        let mut servers: Vec<String> = self.profile.server.iter().cloned().collect();
        let kept = if self.remembered {
            read_profile(&self.dir)
                .ok()
                .flatten()
                .map(|p| p.trusted_servers)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let here = self.trusted.lock().map(|t| t.clone()).unwrap_or_default();
        for server in self
            .profile
            .trusted_servers
            .iter()
            .chain(&kept)
            .chain(&here)
        {
            if !servers.iter().any(|s| server_key(s) == server_key(server)) {
                servers.push(server.clone());
            }
        }
        servers
    }

    /// Records that the person chose to send this sign-in to `server` (kept in the profile
    /// when the sign-in is remembered).
    pub async fn trust(&self, server: &str) -> Result<(), SignInError> {
        let server = server.trim().trim_end_matches('/').to_owned();
        if let Ok(mut trusted) = self.trusted.lock()
            && !trusted.iter().any(|s| server_key(s) == server_key(&server))
        {
            trusted.push(server.clone());
        }
        if !self.remembered {
            return Ok(());
        }
        let _lock = lock(&self.dir).await?;
        let Some(mut profile) = read_profile(&self.dir)? else {
            return Ok(());
        };
        if profile.keychain_account() == self.profile.keychain_account() && !profile.trusts(&server)
        {
            profile.trusted_servers.push(server);
            write_profile(&self.dir, &profile)?;
        }
        Ok(())
    }

    /// Takes `server` off the servers this sign-in may be sent to (not the one named at
    /// sign-in: signing out ends that). Whether it was on.
    pub async fn distrust(&self, server: &str) -> Result<bool, SignInError> {
        let key = server_key(server);
        let mut was = false;
        if let Ok(mut trusted) = self.trusted.lock() {
            let before = trusted.len();
            trusted.retain(|s| server_key(s) != key);
            was = trusted.len() != before;
        }
        if self.remembered {
            let _lock = lock(&self.dir).await?;
            if let Some(mut profile) = read_profile(&self.dir)? {
                let before = profile.trusted_servers.len();
                profile.trusted_servers.retain(|s| server_key(s) != key);
                if profile.trusted_servers.len() != before {
                    was = true;
                    write_profile(&self.dir, &profile)?;
                }
            }
        }
        Ok(was)
    }

    /// When the access token in hand expires (after `token` got one).
    pub async fn expires_at(&self) -> Option<SystemTime> {
        self.held
            .lock()
            .await
            .access
            .as_ref()
            .and_then(|t| t.expires_at)
    }

    /// An access token that is good for a while yet: the one in hand, or a refreshed one.
    pub async fn access_token(&self) -> Result<Token, SignInError> {
        let mut held = self.held.lock().await;
        if let Some(tokens) = &held.access
            && tokens.refresh_at.is_none_or(|at| at > SystemTime::now())
        {
            return Ok(tokens.access.clone());
        }
        self.refresh(&mut held).await
    }

    /// The refresh token as it stands now: the keychain's (another process may have rotated
    /// it), or this process's when the sign-in is not remembered. Called under the lock.
    async fn refresh_token(&self, held: &Held) -> Result<Option<Secret>, SignInError> {
        if !self.remembered {
            return Ok(held.refresh.clone());
        }
        let (vault, account) = (self.vault.clone(), self.profile.keychain_account());
        blocking(move || vault.load(&account)).await
    }

    /// Refreshes under the machine-wide lock, with the newest refresh token, and saves the next
    /// one before the lock goes.
    async fn refresh(&self, held: &mut Held) -> Result<Token, SignInError> {
        let _lock = lock(&self.dir).await?;
        let refresh = self.refresh_token(held).await?.ok_or_else(|| {
            SignInError::Expired("this machine no longer holds it (signed out elsewhere)".into())
        })?;
        let tokens = signin::refresh(&self.settings, &refresh).await?;
        if let Some(next) = &tokens.refresh
            && *next != refresh
        {
            if self.remembered {
                let (vault, account, next) = (
                    self.vault.clone(),
                    self.profile.keychain_account(),
                    next.clone(),
                );
                blocking(move || vault.save(&account, &next)).await?;
            } else {
                held.refresh = Some(next.clone());
            }
        }
        let access = tokens.access.clone();
        held.access = Some(tokens);
        Ok(access)
    }

    /// Signs out: revokes the refresh token where the provider offers it, deletes the keychain
    /// entry and the profile. Says what the provider did. The local sign-in goes even when the
    /// provider cannot be reached.
    pub async fn sign_out(&self) -> Result<Revocation, SignInError> {
        let _lock = lock(&self.dir).await?;
        let refresh = {
            let held = self.held.lock().await;
            self.refresh_token(&held).await?
        };
        let revoked = match &refresh {
            Some(refresh) => match signin::revoke(&self.settings, refresh).await {
                Ok(true) => Revocation::Revoked,
                Ok(false) => Revocation::NotOffered,
                Err(e) => Revocation::Failed(e.to_string()),
            },
            None => Revocation::Failed("this machine held no refresh token".into()),
        };
        if self.remembered {
            let (vault, account) = (self.vault.clone(), self.profile.keychain_account());
            blocking(move || vault.delete(&account)).await?;
            remove_profile(&self.dir)?;
        }
        Ok(revoked)
    }
}

#[async_trait]
impl Credentials for Account {
    async fn token(&self) -> Result<Token, TransportError> {
        self.access_token().await.map_err(signed_out)
    }

    async fn renew(&self, stale: &Token) -> Result<Option<Token>, TransportError> {
        let mut held = self.held.lock().await;
        // Another request may have refreshed already while this one waited.
        if let Some(tokens) = &held.access
            && tokens.access != *stale
        {
            return Ok(Some(tokens.access.clone()));
        }
        self.refresh(&mut held).await.map(Some).map_err(signed_out)
    }
}

fn signed_out(err: SignInError) -> TransportError {
    match err {
        SignInError::Provider { .. } => TransportError::Network(err.to_string()),
        other => TransportError::Refused {
            status: 401,
            code: roadbook_protocol::codes::UNAUTHORIZED.to_owned(),
            message: other.to_string(),
        },
    }
}

/// Runs a blocking call (keyring, a file lock) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, SignInError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SignInError::Keychain(e.to_string()))?
        .map_err(SignInError::Keychain)
}

/// Takes the machine-wide sign-in lock (waiting for another process's refresh to finish).
async fn lock(dir: &Path) -> Result<std::fs::File, SignInError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| SignInError::Keychain(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(LOCK_FILE);
    blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.lock()
            .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
        Ok(file)
    })
    .await
}

/// The profile kept in `dir`, if any.
pub fn read_profile(dir: &Path) -> Result<Option<Profile>, SignInError> {
    let path = dir.join(PROFILE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            SignInError::Keychain(format!(
                "{} cannot be read ({e}): sign out and in again",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SignInError::Keychain(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn write_profile(dir: &Path, profile: &Profile) -> Result<(), SignInError> {
    let path = dir.join(PROFILE_FILE);
    let fail =
        |e: std::io::Error| SignInError::Keychain(format!("cannot write {}: {e}", path.display()));
    let text =
        serde_json::to_vec_pretty(profile).map_err(|e| SignInError::Keychain(e.to_string()))?;
    // Written aside and renamed, so a reader never sees half a profile.
    let aside = dir.join(format!("{PROFILE_FILE}.new"));
    std::fs::write(&aside, text).map_err(fail)?;
    std::fs::rename(&aside, &path).map_err(fail)
}

fn remove_profile(dir: &Path) -> Result<(), SignInError> {
    let path = dir.join(PROFILE_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SignInError::Keychain(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
    }
}

/// A vault in memory, for tests of what is kept and when. Never used by Roadbook itself: a
/// machine with no keychain keeps no sign-in at all.
#[derive(Debug, Default)]
pub struct MemoryVault {
    pub entries: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
    /// When set, the vault says it is unavailable (no keychain on this desktop).
    pub unavailable: bool,
}

impl Vault for MemoryVault {
    fn probe(&self) -> Result<(), String> {
        if self.unavailable {
            Err("no keychain is running".into())
        } else {
            Ok(())
        }
    }

    fn load(&self, account: &str) -> Result<Option<Secret>, String> {
        self.probe()?;
        let entries = self.entries.lock().map_err(|e| e.to_string())?;
        Ok(entries.get(account).cloned().map(Secret::new))
    }

    fn save(&self, account: &str, secret: &Secret) -> Result<(), String> {
        self.probe()?;
        let mut entries = self.entries.lock().map_err(|e| e.to_string())?;
        entries.insert(account.to_owned(), secret.expose().to_owned());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), String> {
        self.probe()?;
        let mut entries = self.entries.lock().map_err(|e| e.to_string())?;
        entries.remove(account);
        Ok(())
    }
}
