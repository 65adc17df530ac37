//! The one layer the command line and the desktop app both call: which database to open, who
//! the person is (the author in the history), the settings file, the sign-in, and opening the
//! store. Each front end stays a thin parser over it, so the sync client and the sign-in are
//! wired once, here.

pub mod sending;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use roadbook_model::Id;
use roadbook_store::{Store, StoreError};
use roadbook_sync::{
    Account, Client, Credentials, HttpTransport, Identity, Keychain, PartialSettings, Settings,
    Token,
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
    /// Who history records for this person's changes, and where the name came from.
    pub author: Author,
    /// Where the settings file and the sign-in's profile are kept.
    pub config_dir: PathBuf,
}

/// Where the name recorded for a person's changes came from, in the order the sources are
/// tried: a name a person gave or their identity provider holds comes before a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthorSource {
    /// `--author NAME`
    CommandLine,
    /// `ROADBOOK_AUTHOR`
    Environment,
    /// The name the identity provider holds for the person signed in.
    SignIn,
    /// "Your name" in Settings (`roadbook config set name`).
    YourName,
    /// The full name of the computer account.
    ComputerAccount,
    /// The login the identity provider gives when it holds no name (a username or an email).
    SignInLogin,
    /// The computer login.
    Login,
    /// Nothing names the person.
    Nobody,
}

/// The name history records for a person's changes, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub from: AuthorSource,
}

impl Author {
    /// The "Prepared by" of the person's documents: their name, never a login (a document
    /// leadership reads names a person, or nobody).
    pub fn byline(&self) -> &str {
        if self.is_a_name() { &self.name } else { "" }
    }

    /// Whether the name is a person's name rather than a login: when it is not, the app asks
    /// for one.
    pub fn is_a_name(&self) -> bool {
        !matches!(
            self.from,
            AuthorSource::SignInLogin | AuthorSource::Login | AuthorSource::Nobody
        )
    }

    /// Where the name came from, as Settings and `roadbook whoami` say it.
    pub fn source(&self) -> &'static str {
        match self.from {
            AuthorSource::CommandLine => "--author on the command line",
            AuthorSource::Environment => "ROADBOOK_AUTHOR",
            AuthorSource::SignIn => "your sign-in",
            AuthorSource::YourName => "Your name in Settings",
            AuthorSource::ComputerAccount => "your computer account's full name",
            AuthorSource::SignInLogin => "your sign-in's login (it holds no name)",
            AuthorSource::Login => "your computer login",
            AuthorSource::Nobody => "nothing: set Your name",
        }
    }
}

/// Who a person's changes are recorded as, by one precedence for the command line and the app:
/// `--author` (`command_line`), `ROADBOOK_AUTHOR`, the name the sign-in holds, "Your name" in
/// the settings file in `config_dir`, the computer account's full name; only then a login (the
/// sign-in's, then the computer's), which a document never prints.
pub fn who(command_line: Option<&str>, config_dir: &Path, signed_in: Option<&Identity>) -> Author {
    let name = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let env = |key: &str| std::env::var(key).ok().and_then(|v| name(&v));
    let account_login = || whoami::username().ok().and_then(|u| name(&u));
    let login = || {
        env("USER")
            .or_else(|| env("LOGNAME"))
            .or_else(|| env("USERNAME"))
            .or_else(account_login)
    };
    // An account whose full name is its login (root's is "root") gives no name.
    let account = || {
        let full = whoami::realname().ok().and_then(|n| name(&n))?;
        let logins = [account_login(), login()];
        (!logins.iter().any(|l| l.as_ref() == Some(&full))).then_some(full)
    };
    let sign_in = |login_only: bool| {
        signed_in
            .filter(|i| i.name_is_login == login_only)
            .and_then(|i| name(&i.name))
    };
    // Tried in order, each only when those before it name nobody: the settings file and the
    // account database are read only when it comes to them.
    let sources: [(AuthorSource, &dyn Fn() -> Option<String>); 7] = [
        (AuthorSource::CommandLine, &|| command_line.and_then(name)),
        (AuthorSource::Environment, &|| env(AUTHOR_ENV)),
        (AuthorSource::SignIn, &|| sign_in(false)),
        // A settings file that does not read names nobody; the commands that use the file say
        // what is wrong with it.
        (AuthorSource::YourName, &|| {
            FileConfig::load(config_dir)
                .ok()
                .and_then(|c| c.name)
                .and_then(|n| name(&n))
        }),
        (AuthorSource::ComputerAccount, &account),
        (AuthorSource::SignInLogin, &|| sign_in(true)),
        (AuthorSource::Login, &login),
    ];
    sources
        .into_iter()
        .find_map(|(from, source)| source().map(|name| Author { name, from }))
        .unwrap_or_else(|| Author {
            name: roadbook_store::NO_AUTHOR.to_owned(),
            from: AuthorSource::Nobody,
        })
}

impl Session {
    /// Works out the database and the author: the command line first, then the environment,
    /// then the platform (data dir); the author by [`who`], with the sign-in this machine keeps.
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
            .map(|p| p.identity);
        let author = who(options.author.as_deref(), &config_dir, signed_in.as_ref());
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
        assert_eq!(session.author.name, "Priya");
        assert_eq!(session.author.from, AuthorSource::CommandLine);
        // A blank author is no author: the next source is used, never an empty name.
        let blank = Session::resolve(Options {
            db: Some(given),
            author: Some("  ".into()),
        })
        .unwrap();
        assert!(!blank.author.name.trim().is_empty());
        let store = session.open().unwrap();
        assert_eq!(store.path(), session.db());
    }

    /// The one precedence: the sign-in's name, then Your name, then the computer account; a
    /// login (the sign-in's when it holds no name) signs changes but is never a byline.
    #[test]
    fn a_name_comes_before_a_login_and_a_login_is_never_a_byline() {
        if std::env::var_os(AUTHOR_ENV).is_some_and(|v| !v.is_empty()) {
            panic!("unset {AUTHOR_ENV} to run this test: it names the person before all else");
        }
        let identity = |name: &str, name_is_login: bool| Identity {
            subject: "00u1".into(),
            name: name.into(),
            name_is_login,
            email: None,
            groups: Vec::new(),
        };
        let empty = tempfile::tempdir().unwrap();
        let named = tempfile::tempdir().unwrap();
        FileConfig::set_name(named.path(), Some("Priya Raman")).unwrap();

        let signed_in = who(None, named.path(), Some(&identity("Dana Ortiz", false)));
        assert_eq!(
            (signed_in.name.as_str(), signed_in.from),
            ("Dana Ortiz", AuthorSource::SignIn)
        );
        assert_eq!(signed_in.byline(), "Dana Ortiz");
        // The command line wins over all.
        let given = who(
            Some(" Sam "),
            named.path(),
            Some(&identity("Dana Ortiz", false)),
        );
        assert_eq!(
            (given.name.as_str(), given.from),
            ("Sam", AuthorSource::CommandLine)
        );

        // The provider holds only a login: Your name comes first.
        let login = identity("dortiz@example.test", true);
        let yours = who(None, named.path(), Some(&login));
        assert_eq!(
            (yours.name.as_str(), yours.from),
            ("Priya Raman", AuthorSource::YourName)
        );
        assert_eq!(yours.byline(), "Priya Raman");

        // Nothing names the person but logins: changes are signed, documents name nobody.
        let bare = who(None, empty.path(), Some(&login));
        match bare.from {
            AuthorSource::ComputerAccount => assert_eq!(bare.byline(), bare.name),
            AuthorSource::SignInLogin => {
                assert_eq!(bare.name, "dortiz@example.test");
                assert_eq!(bare.byline(), "");
                assert!(!bare.is_a_name());
            }
            other => panic!("{other:?}"),
        }
        let nobody = who(None, empty.path(), None);
        assert_ne!(nobody.name, roadbook_store::NO_AUTHOR, "a login at least");
        if nobody.from == AuthorSource::Login {
            assert_eq!(nobody.byline(), "");
        }
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
