//! The one layer the command line and the desktop app both call: which database to open, who
//! the person is (the author in the history), the settings file, the sign-in, and opening the
//! store. Each front end stays a thin parser over it, so the sync client and the sign-in are
//! wired once, here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use roadbook_model::Id;
use roadbook_store::{Store, StoreError};
use roadbook_sync::{
    Account, Client, Credentials, HttpTransport, Keychain, PartialSettings, Settings, Token,
};
use serde::{Deserialize, Serialize};

/// The database file, when the person names none: `ROADBOOK_DB`, else the platform data dir.
pub const DB_ENV: &str = "ROADBOOK_DB";
/// The author recorded in history, when the person names none; else the OS user.
pub const AUTHOR_ENV: &str = "ROADBOOK_AUTHOR";
/// A bearer token for the server, for automation: when set it is used instead of the sign-in.
pub const TOKEN_ENV: &str = "ROADBOOK_TOKEN";
/// The settings file in the config dir (`~/.config/roadbook` on Linux).
pub const CONFIG_FILE: &str = "config.toml";

/// What a front end was told on its command line; anything not given comes from the
/// environment and the platform.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--db PATH`
    pub db: Option<PathBuf>,
    /// `--author NAME`
    pub author: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("no home directory to keep the database in: give one with --db PATH or ROADBOOK_DB")]
    NoHome,
    #[error("cannot create {path}: {source}; give another place with --db PATH")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("you are not signed in: run roadbook login (or set ROADBOOK_TOKEN for automation)")]
    NoToken,
    #[error("{0}")]
    Server(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    SignIn(#[from] roadbook_sync::SignInError),
    /// The database names a server the person never chose to send their sign-in to (a copied
    /// or planted database file): nothing was sent.
    #[error(
        "this database syncs with {0}, a server your sign-in has not been sent to: nothing was sent. If it is your team's server, run roadbook servers trust {0}; if you do not know it, leave it"
    )]
    ServerNotTrusted(String),
    /// The server takes sign-ins from another provider or for another API than the person's.
    #[error(
        "{server} takes sign-ins {what}: your sign-in was not sent there; sign in for it with roadbook login --server {server}"
    )]
    ServerOfAnotherSignIn { server: String, what: String },
}

/// What the settings file holds. Every key is optional; the environment overrides the sign-in
/// keys (`ROADBOOK_OIDC_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileConfig {
    /// "Your name": the author of this person's changes and the "Prepared by" of their
    /// documents until a sign-in names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The identity provider (the `[sign-in]` table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<PartialSettings>,
    /// `reminders = false`: no desktop notification when something of the person's falls due.
    /// Unset is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<bool>,
    /// Who the person is in each program (program → their owner label), where their name does
    /// not say it: My items and the reminders follow it (the `[you-are]` table).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub you_are: BTreeMap<Id, Id>,
}

impl FileConfig {
    /// The settings file in `dir`; none there is an empty one.
    pub fn load(dir: &Path) -> Result<FileConfig, CoreError> {
        let path = dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
            Err(e) => {
                return Err(CoreError::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        toml::from_str(&text).map_err(|e| {
            CoreError::Config(format!(
                "{} is not valid: {}; fix or remove it",
                path.display(),
                e.message()
            ))
        })
    }

    /// Sets "Your name" in the settings file in `dir` (none, or only spaces: forgets it), after
    /// checking it; what is kept.
    pub fn set_name(dir: &Path, name: Option<&str>) -> Result<Option<String>, CoreError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if let Some(name) = name {
            if name.chars().count() > 100 {
                return Err(CoreError::Config(
                    "a name of more than 100 characters: give a shorter one".into(),
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(CoreError::Config(
                    "a name on one line, without tabs or control characters".into(),
                ));
            }
        }
        Ok(FileConfig::update(dir, |file| file.name = name.map(str::to_owned))?.name)
    }

    /// Whether the desktop reminds the person of what of theirs falls due.
    pub fn reminders_on(&self) -> bool {
        self.reminders != Some(false)
    }

    /// Changes the settings file in `dir` with `change` (read, changed, written aside and
    /// renamed over it); what it now holds.
    pub fn update(
        dir: &Path,
        change: impl FnOnce(&mut FileConfig),
    ) -> Result<FileConfig, CoreError> {
        let mut file = FileConfig::load(dir)?;
        change(&mut file);
        file.save(dir)?;
        Ok(file)
    }

    /// Writes the settings file (aside, then renamed over the old one).
    pub fn save(&self, dir: &Path) -> Result<(), CoreError> {
        let path = dir.join(CONFIG_FILE);
        let fail =
            |e: std::io::Error| CoreError::Config(format!("cannot write {}: {e}", path.display()));
        std::fs::create_dir_all(dir).map_err(fail)?;
        let text = toml::to_string_pretty(self).map_err(|e| CoreError::Config(e.to_string()))?;
        let aside = dir.join(format!("{CONFIG_FILE}.new"));
        std::fs::write(&aside, text).map_err(fail)?;
        std::fs::rename(&aside, &path).map_err(fail)
    }
}

/// Who works on which database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub db: PathBuf,
    /// The name history records for this person's changes.
    pub author: String,
    /// Where the settings file and the sign-in's profile are kept.
    pub config_dir: PathBuf,
}

impl Session {
    /// Works out the database and the author: the command line first, then the environment,
    /// then the person signed in, then "Your name" in the settings file, then the platform
    /// (data dir, OS user).
    pub fn resolve(options: Options) -> Result<Session, CoreError> {
        let env = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
        let db = match options.db.or_else(|| env(DB_ENV).map(PathBuf::from)) {
            Some(path) => path,
            None => default_database()?,
        };
        let config_dir = config_dir()?;
        let signed_in = roadbook_sync::account::read_profile(&config_dir)
            .ok()
            .flatten()
            .map(|p| p.identity.name);
        let author = options
            .author
            .filter(|a| !a.trim().is_empty())
            .or_else(|| env(AUTHOR_ENV).and_then(|v| v.into_string().ok()))
            .filter(|a| !a.trim().is_empty())
            .or(signed_in)
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| unsigned_author(&config_dir));
        Ok(Session {
            db,
            author,
            config_dir,
        })
    }

    /// Opens (or creates) the database, bringing its schema up to date.
    pub fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.db)
    }

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// `ROADBOOK_TOKEN` when set (automation).
    pub fn token(&self) -> Option<Token> {
        std::env::var(TOKEN_ENV)
            .ok()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(Token::new)
    }

    /// The sign-in kept on this machine, if any.
    pub fn account(&self) -> Result<Option<Account>, CoreError> {
        Ok(Account::open(&self.config_dir, Arc::new(Keychain))?)
    }

    /// Whether the sync has something to send: `ROADBOOK_TOKEN`, or a kept sign-in.
    pub fn can_sync(&self) -> bool {
        self.token().is_some()
            || roadbook_sync::account::read_profile(&self.config_dir)
                .ok()
                .flatten()
                .is_some()
    }

    /// What the sync sends: `ROADBOOK_TOKEN` when set, else the kept sign-in.
    pub fn credentials(&self) -> Result<Arc<dyn Credentials>, CoreError> {
        self.credentials_with(self.account()?.map(Arc::new))
    }

    /// What the sync sends: `ROADBOOK_TOKEN` when set, else `account` (a front end that keeps
    /// its sign-in open, as the app does for all its syncs).
    pub fn credentials_with(
        &self,
        account: Option<Arc<Account>>,
    ) -> Result<Arc<dyn Credentials>, CoreError> {
        if let Some(token) = self.token() {
            return Ok(Arc::new(token));
        }
        match account {
            Some(account) => Ok(account),
            None => Err(CoreError::NoToken),
        }
    }

    /// The sync client for `server` as a database names it: `ROADBOOK_TOKEN` goes anywhere
    /// it is pointed (automation sets both), a sign-in only to a server the person chose.
    pub fn client(&self, server: &str) -> Result<Client<HttpTransport>, CoreError> {
        self.client_with(server, self.account()?.map(Arc::new))
    }

    /// As [`Session::client`], with `account` as the sign-in.
    pub fn client_with(
        &self,
        server: &str,
        account: Option<Arc<Account>>,
    ) -> Result<Client<HttpTransport>, CoreError> {
        if let Some(token) = self.token() {
            return client(server, Arc::new(token));
        }
        let account = account.ok_or(CoreError::NoToken)?;
        if !account.trusts(server) {
            return Err(CoreError::ServerNotTrusted(
                server.trim().trim_end_matches('/').to_owned(),
            ));
        }
        client(server, account)
    }

    /// The sync client for a server the person names now (publish, join, the join list):
    /// naming it is choosing it, once the server is seen to take this sign-in.
    pub async fn chosen_client(
        &self,
        server: &str,
        account: Option<Arc<Account>>,
    ) -> Result<Client<HttpTransport>, CoreError> {
        if self.token().is_none()
            && let Some(account) = &account
        {
            trust_server(account, server).await?;
        }
        self.client_with(server, account)
    }

    /// The identity provider's settings: the settings file's `[sign-in]`, the environment over
    /// it, and for what both leave out, `server`'s (its `/v1/sign-in`).
    pub async fn sign_in_settings(&self, server: Option<&str>) -> Result<Settings, CoreError> {
        let file = FileConfig::load(&self.config_dir)?
            .sign_in
            .unwrap_or_default();
        match (file.resolve(), server) {
            (Ok(settings), _) => Ok(settings),
            (Err(err), None) => Err(err.into()),
            (Err(_), Some(server)) => {
                let published = roadbook_sync::signin::settings_from_server(server).await?;
                // The file and the environment still win where they say something.
                let merged = PartialSettings {
                    issuer: file.issuer.or(published.issuer),
                    client_id: file.client_id.or(published.client_id),
                    audience: file.audience.or(published.audience),
                    scopes: file.scopes.or(published.scopes),
                    redirect_ports: file.redirect_ports.or(published.redirect_ports),
                    groups_claim: file.groups_claim.or(published.groups_claim),
                };
                Ok(merged.resolve()?)
            }
        }
    }
}

/// The sync client for `server` with `credentials`.
pub fn client(
    server: &str,
    credentials: Arc<dyn Credentials>,
) -> Result<Client<HttpTransport>, CoreError> {
    let transport =
        HttpTransport::with_credentials(server, credentials).map_err(CoreError::Server)?;
    Ok(Client::new(transport))
}

/// Records that the person chose to send their sign-in to `server`. A server that says where
/// to sign in (its `/v1/sign-in`) and names another provider or API than the sign-in's is
/// refused: the token would not count there, and it would have gone to a stranger. One that
/// says nothing is the person's word.
pub async fn trust_server(account: &Account, server: &str) -> Result<(), CoreError> {
    if account.trusts(server) {
        return Ok(());
    }
    let base = server.trim().trim_end_matches('/').to_owned();
    // A transport that would refuse the address (plain http to another machine) refuses it
    // here too, before anything is recorded.
    HttpTransport::new(&base, roadbook_sync::Token::new("")).map_err(CoreError::Server)?;
    let ours = &account.profile().settings;
    if let Ok(published) = roadbook_sync::signin::settings_from_server(&base).await {
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        if let Some(issuer) = published.issuer.as_deref()
            && !same(issuer, &ours.issuer)
        {
            return Err(CoreError::ServerOfAnotherSignIn {
                server: base,
                what: format!("from {issuer}, and you signed in with {}", ours.issuer),
            });
        }
        if let (Some(theirs), Some(mine)) =
            (published.audience.as_deref(), ours.audience.as_deref())
            && theirs != mine
        {
            return Err(CoreError::ServerOfAnotherSignIn {
                server: base,
                what: format!("for the API {theirs}, and yours is for {mine}"),
            });
        }
    }
    account.trust(&base).await?;
    Ok(())
}

/// `~/.config/roadbook` on Linux (the platform's config dir elsewhere).
pub fn config_dir() -> Result<PathBuf, CoreError> {
    let dirs = directories::ProjectDirs::from("", "", "roadbook").ok_or(CoreError::NoHome)?;
    Ok(dirs.config_dir().to_owned())
}

/// `~/.local/share/roadbook/roadbook.db` on Linux (the platform's data dir elsewhere), made if
/// missing.
pub fn default_database() -> Result<PathBuf, CoreError> {
    let dirs = directories::ProjectDirs::from("", "", "roadbook").ok_or(CoreError::NoHome)?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).map_err(|source| CoreError::DataDir {
        path: dir.to_owned(),
        source,
    })?;
    Ok(dir.join("roadbook.db"))
}

/// Who changes are recorded as when no sign-in names the person: `ROADBOOK_AUTHOR`, else "Your
/// name" in the settings file in `config_dir`, else the OS user.
pub fn unsigned_author(config_dir: &Path) -> String {
    std::env::var(AUTHOR_ENV)
        .ok()
        .filter(|a| !a.trim().is_empty())
        // A settings file that does not read names nobody; the commands that use the file say
        // what is wrong with it.
        .or_else(|| FileConfig::load(config_dir).ok().and_then(|c| c.name))
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(os_user)
}

/// The OS user's name, or [`roadbook_store::NO_AUTHOR`] where the environment gives none.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| roadbook_store::NO_AUTHOR.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_command_line_wins_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let given = dir.path().join("given.db");
        let session = Session::resolve(Options {
            db: Some(given.clone()),
            author: Some("Priya".into()),
        })
        .unwrap();
        assert_eq!(session.db, given);
        assert_eq!(session.author, "Priya");
        // A blank author is no author: the next source is used, never an empty name.
        let blank = Session::resolve(Options {
            db: Some(given),
            author: Some("  ".into()),
        })
        .unwrap();
        assert!(!blank.author.trim().is_empty());
        let store = session.open().unwrap();
        assert_eq!(store.path(), session.db());
    }

    #[test]
    fn the_settings_file_keeps_the_provider_and_a_bad_file_says_where() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(FileConfig::load(dir.path()).unwrap(), FileConfig::default());
        let config = FileConfig {
            name: Some("Priya Raman".into()),
            sign_in: Some(PartialSettings {
                issuer: Some("https://example.okta.com/oauth2/default".into()),
                client_id: Some("0oa1".into()),
                redirect_ports: Some(vec![8400, 8401]),
                ..PartialSettings::default()
            }),
            reminders: Some(false),
            you_are: BTreeMap::from([(Id::new(), Id::new())]),
        };
        config.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        assert!(
            text.contains("[sign-in]") && text.contains("redirect-ports"),
            "{text}"
        );
        assert_eq!(FileConfig::load(dir.path()).unwrap(), config);
        assert!(!config.reminders_on() && FileConfig::default().reminders_on());
        let program = Id::new();
        let person = Id::new();
        let updated = FileConfig::update(dir.path(), |f| {
            f.you_are.insert(program, person);
        })
        .unwrap();
        assert_eq!(updated.you_are.get(&program), Some(&person));
        assert_eq!(updated.name, config.name, "the rest of the file stays");
        assert_eq!(FileConfig::load(dir.path()).unwrap(), updated);
        std::fs::write(dir.path().join(CONFIG_FILE), "[you-are]\nx = \"y\"\n").unwrap();
        let err = FileConfig::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("fix or remove it"), "{err}");
        std::fs::write(dir.path().join(CONFIG_FILE), "[sign-in]\nissuer = 3\n").unwrap();
        let err = FileConfig::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(CONFIG_FILE) && err.contains("fix or remove it"),
            "{err}"
        );
    }
}
