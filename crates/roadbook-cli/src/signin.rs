//! `login`, `whoami` and `logout`: the sign-in this machine keeps, shared with the app.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow};
use roadbook_sync::account::Revocation;
use roadbook_sync::signin::{DEFAULT_TIMEOUT, open_in_browser};
use roadbook_sync::{Account, Keychain, Transport};
use serde_json::json;

use crate::commands::Ctx;
use crate::sync::runtime;

fn when(at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    let left = at.signed_duration_since(chrono::Utc::now());
    let left = if left.num_seconds() <= 0 {
        "expired".to_owned()
    } else if left.num_minutes() < 2 {
        format!("in {} seconds", left.num_seconds())
    } else {
        format!("in {} minutes", left.num_minutes())
    };
    format!("{} ({left})", at.format("%Y-%m-%d %H:%M:%S UTC"))
}

impl<W: Write> Ctx<W> {
    pub fn login(&mut self, server: Option<String>, timeout: u64) -> Result<()> {
        let runtime = runtime()?;
        let server = server.map(|s| s.trim().trim_end_matches('/').to_owned());
        let settings = runtime.block_on(self.session.sign_in_settings(server.as_deref()))?;
        let timeout = if timeout == 0 {
            DEFAULT_TIMEOUT
        } else {
            Duration::from_secs(timeout)
        };
        // The address goes to stderr too: on a machine where no browser opens, the person
        // copies it by hand.
        let browser = |url: &str| {
            eprintln!("Signing in at {} in your browser.", settings.issuer);
            let opened = open_in_browser(url);
            if opened.is_err() {
                eprintln!("Open this address in a browser to sign in:\n{url}");
            }
            Ok(())
        };
        let (_account, signed_in) = runtime.block_on(Account::sign_in(
            &self.session.config_dir,
            &settings,
            server.clone(),
            Arc::new(Keychain),
            browser,
            timeout,
        ))?;
        // Counted only when this database shares usage counts; never the sign-in's failure.
        if let Ok(mut store) = self.open() {
            let _ = store.note_usage(roadbook_model::UsageKind::SignIn);
        }
        let who = &signed_in.identity;
        let email = who
            .email
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        writeln!(self.out, "Signed in as {}{email}.", who.name)?;
        match signed_in.not_remembered_because {
            None => writeln!(
                self.out,
                "Remembered in the keychain: the app and the command line on this machine use this sign-in until you run roadbook logout."
            )?,
            Some(why) => writeln!(
                self.out,
                "Not remembered: {why}. This sign-in ends with this command; Roadbook never keeps a sign-in outside the keychain.\nTo sync from the command line: start a keychain (on Linux, gnome-keyring-daemon under your desktop session, or `dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock; roadbook login'`) and sign in again, or set ROADBOOK_TOKEN to an access token for automation."
            )?,
        }
        Ok(())
    }

    pub fn whoami(&mut self, json: bool) -> Result<()> {
        let runtime = runtime()?;
        if self.session.token().is_some() {
            writeln!(
                self.out,
                "ROADBOOK_TOKEN is set: the sync sends that token, not a sign-in."
            )?;
        }
        let account = self
            .session
            .account()?
            .ok_or_else(|| anyhow!("you are not signed in: run roadbook login"))?;
        let account = Arc::new(account);
        runtime
            .block_on(account.access_token())
            .context("your sign-in could not be renewed")?;
        let expires = runtime.block_on(account.expires_at());
        // The servers the sign-in may go to; a server only a database names is not asked.
        let mut servers = account.trusted_servers();
        let mut not_trusted = Vec::new();
        if let Ok(store) = self.session.open() {
            for program in store.programs()? {
                if let Some(server) = store.sync_state(program.id)?.server
                    && !servers.contains(&server)
                    && !not_trusted.contains(&server)
                {
                    if account.trusts(&server) {
                        servers.push(server);
                    } else {
                        not_trusted.push(server);
                    }
                }
            }
        }
        let mut programs = Vec::new();
        let mut unreachable = Vec::new();
        for server in &servers {
            let client = roadbook_core::client(server, account.clone())?;
            match runtime.block_on(client.transport().programs()) {
                Ok(list) => programs.extend(list.into_iter().map(|p| (server.clone(), p))),
                Err(e) => unreachable.push(format!("{server}: {e}")),
            }
        }
        let who = account.identity();
        if json {
            let value = json!({
                "subject": who.subject,
                "name": who.name,
                "email": who.email,
                "groups": who.groups,
                "issuer": account.profile().settings.issuer,
                "access_token_expires": expires.map(|e| chrono::DateTime::<chrono::Utc>::from(e).to_rfc3339()),
                "programs": programs.iter().map(|(server, p)| json!({
                    "server": server, "id": p.id, "name": p.name, "role": p.role.as_str(),
                })).collect::<Vec<_>>(),
                "unreachable": unreachable,
                "not_trusted": not_trusted,
            });
            writeln!(self.out, "{}", serde_json::to_string_pretty(&value)?)?;
            return Ok(());
        }
        writeln!(self.out, "Signed in as {}", who.name)?;
        if let Some(email) = &who.email {
            writeln!(self.out, "Email: {email}")?;
        }
        writeln!(self.out, "Subject: {}", who.subject)?;
        writeln!(
            self.out,
            "Groups: {}",
            if who.groups.is_empty() {
                "(none)".to_owned()
            } else {
                who.groups.join(", ")
            }
        )?;
        writeln!(
            self.out,
            "Identity provider: {}",
            account.profile().settings.issuer
        )?;
        if let Some(expires) = expires {
            writeln!(self.out, "Access token expires: {}", when(expires))?;
        }
        if servers.is_empty() {
            writeln!(
                self.out,
                "Programs: none connected (roadbook login --server URL names a server)"
            )?;
        }
        for server in &servers {
            writeln!(self.out, "Programs on {server}:")?;
            let mine: Vec<_> = programs.iter().filter(|(s, _)| s == server).collect();
            if mine.is_empty() && !unreachable.iter().any(|u| u.starts_with(server.as_str())) {
                writeln!(self.out, "  none you may see")?;
            }
            for (_, p) in mine {
                writeln!(self.out, "  {}: {}", p.name, p.role.as_str())?;
            }
        }
        for problem in unreachable {
            writeln!(self.out, "Could not ask {problem}")?;
        }
        for server in not_trusted {
            writeln!(
                self.out,
                "Not asked: {server} (this database names it, and your sign-in has not been sent there; roadbook servers trust {server} if it is your team's)"
            )?;
        }
        Ok(())
    }

    /// `roadbook servers [trust URL | forget URL]`.
    pub fn servers(&mut self, what: Option<crate::cli::ServersCommand>) -> Result<()> {
        use crate::cli::ServersCommand;
        let account = self
            .session
            .account()?
            .ok_or_else(|| anyhow!("you are not signed in: run roadbook login --server URL"))?;
        match what {
            Some(ServersCommand::Trust { server }) => {
                runtime()?.block_on(roadbook_core::trust_server(&account, &server))?;
                writeln!(
                    self.out,
                    "Your sign-in may be sent to {} from now on.",
                    server.trim().trim_end_matches('/')
                )?;
            }
            Some(ServersCommand::Forget { server }) => {
                let server = server.trim().trim_end_matches('/').to_owned();
                if account.profile().server.as_deref().is_some_and(|s| {
                    roadbook_sync::account::server_key(s)
                        == roadbook_sync::account::server_key(&server)
                }) {
                    anyhow::bail!(
                        "{server} is the server you signed in for: roadbook logout ends sending your sign-in there"
                    );
                }
                if runtime()?.block_on(account.distrust(&server))? {
                    writeln!(self.out, "Your sign-in is no longer sent to {server}.")?;
                } else {
                    writeln!(
                        self.out,
                        "{server} was not among your servers: nothing changed."
                    )?;
                }
            }
            None => {
                for server in account.trusted_servers() {
                    writeln!(self.out, "{server}")?;
                }
            }
        }
        Ok(())
    }

    pub fn logout(&mut self) -> Result<()> {
        let Some(account) = self.session.account()? else {
            writeln!(self.out, "You are not signed in on this machine.")?;
            return Ok(());
        };
        let name = account.identity().name.clone();
        let revoked = runtime()?.block_on(account.sign_out())?;
        let provider = match revoked {
            Revocation::Revoked => "the identity provider revoked the sign-in".to_owned(),
            Revocation::NotOffered => {
                "the identity provider offers no revocation, so the sign-in ends when it expires"
                    .to_owned()
            }
            Revocation::Failed(why) => format!(
                "the identity provider could not revoke the sign-in ({why}), so it ends when it expires"
            ),
        };
        writeln!(
            self.out,
            "Signed out {name}: {provider}; this machine's keychain no longer holds it."
        )?;
        Ok(())
    }

    /// `--server`, else the server named at sign-in.
    pub fn server_or_signed_in(&self, server: Option<String>) -> Result<String> {
        if let Some(server) = server {
            return Ok(server);
        }
        self.session
            .account()?
            .and_then(|a| a.profile().server.clone())
            .ok_or_else(|| {
                anyhow!("name the server with --server URL (or sign in with roadbook login --server URL)")
            })
    }
}

impl<W: Write> Ctx<W> {
    /// `roadbook usage [on|off]`.
    pub fn usage(&mut self, share: Option<&str>) -> Result<()> {
        let mut store = self.open()?;
        if let Some(share) = share {
            store.set_share_usage(share == "on")?;
        }
        let waiting = store.queued_usage(10_000)?.len();
        if store.share_usage()? {
            writeln!(
                self.out,
                "sharing usage counts with the team's server: {waiting} waiting for the next sync (roadbook usage off stops it)"
            )?;
        } else {
            writeln!(
                self.out,
                "not sharing usage counts (roadbook usage on shares the kind and day of documents generated, syncs, reviews recorded and sign-ins; nothing about the program)"
            )?;
        }
        Ok(())
    }
}

impl<W: Write> Ctx<W> {
    /// `roadbook config set|unset|show`.
    pub fn config(&mut self, command: crate::cli::ConfigCommand) -> Result<()> {
        use crate::cli::ConfigCommand;
        let dir = self.session.config_dir.clone();
        match command {
            ConfigCommand::Set { value, .. } => {
                match roadbook_core::FileConfig::set_name(&dir, Some(&value))? {
                    Some(name) => writeln!(
                        self.out,
                        "Your name is {name}: your changes and documents say so until a sign-in names you."
                    )?,
                    None => writeln!(self.out, "Your name is not set.")?,
                }
            }
            ConfigCommand::Unset { .. } => {
                roadbook_core::FileConfig::set_name(&dir, None)?;
                writeln!(self.out, "Your name is not set.")?;
            }
            ConfigCommand::Show => {
                let file = roadbook_core::FileConfig::load(&dir)?;
                writeln!(
                    self.out,
                    "name: {}",
                    file.name.as_deref().unwrap_or("(not set)")
                )?;
                writeln!(
                    self.out,
                    "your changes are recorded as: {} (from {})",
                    self.session.author.name,
                    self.session.author.source()
                )?;
                writeln!(
                    self.out,
                    "settings file: {}",
                    dir.join(roadbook_core::CONFIG_FILE).display()
                )?;
            }
        }
        Ok(())
    }
}
