//! Who may see and change which program beyond the groups in a token: the org roster imported
//! from the authoritative org source, programs scoped to an org unit, roles granted on one
//! program, when each person last used the server, and the audit events of all of it.
//!
//! PostgreSQL keeps it on a deployed server; memory in the simulation, which starts with no
//! roster, no grants and no scoped programs (access from groups alone).

use std::collections::BTreeMap;

use async_trait::async_trait;
use roadbook_model::Id;
use roadbook_protocol::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::storage::postgres::{PgStorage, corrupt, get, id, unavailable, uuid};
use crate::storage::{AuditEvent, StorageError, StorageResult};

/// One person in the org roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub person: String,
    /// Lower-case: tokens are matched to the roster by email.
    pub email: String,
    pub team: String,
    pub org_unit: String,
    pub manager: String,
}

/// A role granted on one program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub program: Id,
    pub email: String,
    pub role: Role,
    pub granted_by: String,
    pub granted_at: String,
}

/// A person as their last token named them, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub last_seen: String,
}

/// What a roster import changed, by email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Their team, org unit, manager or name changed.
    pub changed: Vec<String>,
}

/// What decides one caller's access to one program beyond their groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessFacts {
    /// The org unit the program is scoped to (none: any role may see it).
    pub org_unit: Option<String>,
    /// The caller's org unit in the roster (none: not in the roster).
    pub member_of: Option<String>,
    /// A role granted to the caller on this program.
    pub grant: Option<Role>,
}

impl AccessFacts {
    /// The caller's role on the program, or none when they may not see it at all: an admin
    /// sees everything; a program scoped to an org unit is seen by that unit's members only,
    /// whatever their groups; otherwise the higher of the groups' role and a grant.
    pub fn role(&self, from_groups: Option<Role>) -> Option<Role> {
        if from_groups == Some(Role::Admin) {
            return Some(Role::Admin);
        }
        if let Some(unit) = &self.org_unit
            && self.member_of.as_deref() != Some(unit.as_str())
        {
            return None;
        }
        from_groups.max(self.grant)
    }
}

#[async_trait]
pub trait Directory: Send + Sync + std::fmt::Debug + 'static {
    /// The facts for `email` (none: the token named no email) on `program`.
    async fn facts(&self, program: Id, email: Option<&str>) -> StorageResult<AccessFacts>;
    /// The org unit of every scoped program.
    async fn scoped(&self) -> StorageResult<BTreeMap<Id, String>>;
    /// `email`'s org unit in the roster.
    async fn member_of(&self, email: &str) -> StorageResult<Option<String>>;
    /// The grants to `email` (lower case), or every grant.
    async fn grants(&self, email: Option<&str>) -> StorageResult<Vec<Grant>>;
    async fn roster(&self) -> StorageResult<Vec<RosterEntry>>;
    async fn people(&self) -> StorageResult<Vec<Seen>>;
    /// Records that a person used the server now.
    async fn seen(&self, who: Seen) -> StorageResult<()>;
    /// Replaces the roster with `entries` (checked already) in one transaction, with its audit
    /// event; says what changed.
    async fn import_roster(
        &self,
        entries: Vec<RosterEntry>,
        by: &str,
        at: &str,
    ) -> StorageResult<RosterChange>;
    /// Grants `role` on `program` to `email`, or takes the grant away (`None`), audited.
    async fn grant(
        &self,
        program: Id,
        email: &str,
        role: Option<Role>,
        by: &str,
        at: &str,
    ) -> StorageResult<()>;
    /// Scopes `program` to an org unit, or opens it to every role again (`None`), audited.
    async fn scope(
        &self,
        program: Id,
        org_unit: Option<&str>,
        by: &str,
        at: &str,
    ) -> StorageResult<()>;
    /// An audit event of its own (break-glass use).
    async fn note(&self, event: AuditEvent, break_glass: bool) -> StorageResult<()>;
    /// Break-glass events at or after `since` (RFC 3339).
    async fn break_glass_since(&self, since: &str) -> StorageResult<Vec<AuditEvent>>;
    /// Binds `email` to `subject` unless another subject holds it; whether `subject` holds it
    /// now.
    async fn bind(&self, email: &str, subject: &str, at: &str) -> StorageResult<bool>;
    /// Lets an email be bound afresh (its person's account was made again), audited.
    async fn unbind(&self, email: &str, by: &str, at: &str) -> StorageResult<bool>;
    /// A break-glass use of `subject` on `program` for `reason`: taken while its time runs,
    /// opened when new (if the person has opened fewer than `per_day` in the last day), refused
    /// otherwise. A reason opens one program: another program is another use.
    async fn break_glass_use(
        &self,
        subject: &str,
        program: Id,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
        ttl: std::time::Duration,
        per_day: u32,
    ) -> StorageResult<GlassUse>;
}

/// What a break-glass request may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlassUse {
    /// Opened now, until this moment.
    Opened(String),
    /// Open already, until this moment.
    Open(String),
    /// Its time ran out at this moment: a new use needs a new reason.
    Expired(String),
    /// The person opened as many as a day allows.
    TooMany(u32),
}

fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The rule, over what the store knows: the use of this reason (when it opened and until when)
/// and how many the person opened since a day ago.
fn glass_rule(
    found: Option<(String, String)>,
    opened_today: u32,
    now: chrono::DateTime<chrono::Utc>,
    ttl: std::time::Duration,
    per_day: u32,
) -> (GlassUse, Option<(String, String)>) {
    match found {
        Some((_, until)) if until > stamp(now) => (GlassUse::Open(until), None),
        Some((_, until)) => (GlassUse::Expired(until), None),
        None if opened_today >= per_day => (GlassUse::TooMany(per_day), None),
        None => {
            let until = stamp(now + chrono::Duration::from_std(ttl).unwrap_or_default());
            (GlassUse::Opened(until.clone()), Some((stamp(now), until)))
        }
    }
}

fn roster_change(old: &BTreeMap<String, RosterEntry>, new: &[RosterEntry]) -> RosterChange {
    let mut change = RosterChange::default();
    for entry in new {
        match old.get(&entry.email) {
            None => change.added.push(entry.email.clone()),
            Some(before) if before != entry => change.changed.push(entry.email.clone()),
            Some(_) => {}
        }
    }
    for email in old.keys() {
        if !new.iter().any(|e| &e.email == email) {
            change.removed.push(email.clone());
        }
    }
    change.added.sort();
    change.changed.sort();
    change
}

fn roster_audit(change: &RosterChange, count: usize, by: &str, at: &str) -> AuditEvent {
    AuditEvent {
        at: at.to_owned(),
        subject: by.to_owned(),
        program: None,
        action: "roster_import".into(),
        detail: json!({
            "people": count,
            "added": change.added,
            "removed": change.removed,
            "changed": change.changed,
        }),
    }
}

/// The directory in memory.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    state: std::sync::Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    roster: BTreeMap<String, RosterEntry>,
    grants: BTreeMap<(Id, String), Grant>,
    scoped: BTreeMap<Id, String>,
    people: BTreeMap<String, Seen>,
    audit: Vec<(AuditEvent, bool)>,
    bound: BTreeMap<String, String>,
    /// (subject, reason) to (opened, until).
    glass: BTreeMap<(String, Id, String), (String, String)>,
}

impl MemoryDirectory {
    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Directory for MemoryDirectory {
    async fn facts(&self, program: Id, email: Option<&str>) -> StorageResult<AccessFacts> {
        let state = self.state();
        let email = email.map(str::to_lowercase);
        Ok(AccessFacts {
            org_unit: state.scoped.get(&program).cloned(),
            member_of: email
                .as_ref()
                .and_then(|e| state.roster.get(e))
                .map(|r| r.org_unit.clone()),
            grant: email
                .and_then(|e| state.grants.get(&(program, e)))
                .map(|g| g.role),
        })
    }

    async fn scoped(&self) -> StorageResult<BTreeMap<Id, String>> {
        Ok(self.state().scoped.clone())
    }

    async fn member_of(&self, email: &str) -> StorageResult<Option<String>> {
        Ok(self
            .state()
            .roster
            .get(&email.to_lowercase())
            .map(|r| r.org_unit.clone()))
    }

    async fn grants(&self, email: Option<&str>) -> StorageResult<Vec<Grant>> {
        Ok(self
            .state()
            .grants
            .values()
            .filter(|g| email.is_none_or(|e| g.email == e))
            .cloned()
            .collect())
    }

    async fn roster(&self) -> StorageResult<Vec<RosterEntry>> {
        Ok(self.state().roster.values().cloned().collect())
    }

    async fn people(&self) -> StorageResult<Vec<Seen>> {
        Ok(self.state().people.values().cloned().collect())
    }

    async fn seen(&self, who: Seen) -> StorageResult<()> {
        self.state().people.insert(who.subject.clone(), who);
        Ok(())
    }

    async fn import_roster(
        &self,
        entries: Vec<RosterEntry>,
        by: &str,
        at: &str,
    ) -> StorageResult<RosterChange> {
        let mut state = self.state();
        let change = roster_change(&state.roster, &entries);
        let audit = roster_audit(&change, entries.len(), by, at);
        state.roster = entries.into_iter().map(|e| (e.email.clone(), e)).collect();
        state.audit.push((audit, false));
        Ok(change)
    }

    async fn grant(
        &self,
        program: Id,
        email: &str,
        role: Option<Role>,
        by: &str,
        at: &str,
    ) -> StorageResult<()> {
        let mut state = self.state();
        let email = email.to_lowercase();
        match role {
            Some(role) => {
                state.grants.insert(
                    (program, email.clone()),
                    Grant {
                        program,
                        email: email.clone(),
                        role,
                        granted_by: by.to_owned(),
                        granted_at: at.to_owned(),
                    },
                );
            }
            None => {
                state.grants.remove(&(program, email.clone()));
            }
        }
        state
            .audit
            .push((grant_audit(program, &email, role, by, at), false));
        Ok(())
    }

    async fn scope(
        &self,
        program: Id,
        org_unit: Option<&str>,
        by: &str,
        at: &str,
    ) -> StorageResult<()> {
        let mut state = self.state();
        match org_unit {
            Some(unit) => state.scoped.insert(program, unit.to_owned()),
            None => state.scoped.remove(&program),
        };
        state
            .audit
            .push((scope_audit(program, org_unit, by, at), false));
        Ok(())
    }

    async fn note(&self, event: AuditEvent, break_glass: bool) -> StorageResult<()> {
        self.state().audit.push((event, break_glass));
        Ok(())
    }

    async fn break_glass_since(&self, since: &str) -> StorageResult<Vec<AuditEvent>> {
        Ok(self
            .state()
            .audit
            .iter()
            .filter(|(e, glass)| *glass && e.at.as_str() >= since)
            .map(|(e, _)| e.clone())
            .collect())
    }

    async fn bind(&self, email: &str, subject: &str, _at: &str) -> StorageResult<bool> {
        let mut state = self.state();
        let holder = state
            .bound
            .entry(email.to_lowercase())
            .or_insert_with(|| subject.to_owned());
        Ok(holder == subject)
    }

    async fn unbind(&self, email: &str, by: &str, at: &str) -> StorageResult<bool> {
        let mut state = self.state();
        let was = state.bound.remove(&email.to_lowercase()).is_some();
        state.audit.push((unbind_audit(email, by, at), false));
        Ok(was)
    }

    async fn break_glass_use(
        &self,
        subject: &str,
        program: Id,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
        ttl: std::time::Duration,
        per_day: u32,
    ) -> StorageResult<GlassUse> {
        let mut state = self.state();
        let day_ago = stamp(now - chrono::Duration::days(1));
        let found = state
            .glass
            .get(&(subject.to_owned(), program, reason.to_owned()))
            .cloned();
        let today = state
            .glass
            .iter()
            .filter(|((s, _, _), (opened, _))| s == subject && *opened >= day_ago)
            .count();
        let (answer, open) = glass_rule(
            found,
            u32::try_from(today).unwrap_or(u32::MAX),
            now,
            ttl,
            per_day,
        );
        if let Some(open) = open {
            state
                .glass
                .insert((subject.to_owned(), program, reason.to_owned()), open);
        }
        Ok(answer)
    }
}

fn unbind_audit(email: &str, by: &str, at: &str) -> AuditEvent {
    AuditEvent {
        at: at.to_owned(),
        subject: by.to_owned(),
        program: None,
        action: "unbind".into(),
        detail: json!({ "email": email.to_lowercase() }),
    }
}

fn grant_audit(program: Id, email: &str, role: Option<Role>, by: &str, at: &str) -> AuditEvent {
    AuditEvent {
        at: at.to_owned(),
        subject: by.to_owned(),
        program: Some(program),
        action: if role.is_some() { "grant" } else { "revoke" }.into(),
        detail: json!({ "email": email, "role": role.map(|r| r.as_str()) }),
    }
}

fn scope_audit(program: Id, org_unit: Option<&str>, by: &str, at: &str) -> AuditEvent {
    AuditEvent {
        at: at.to_owned(),
        subject: by.to_owned(),
        program: Some(program),
        action: "scope".into(),
        detail: json!({ "org_unit": org_unit }),
    }
}

/// The directory in PostgreSQL, on the storage's pool.
#[derive(Debug, Clone)]
pub struct PgDirectory {
    storage: PgStorage,
}

impl PgDirectory {
    pub fn new(storage: PgStorage) -> PgDirectory {
        PgDirectory { storage }
    }

    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StorageResult<Vec<tokio_postgres::Row>> {
        self.storage
            .client()
            .await?
            .query(sql, params)
            .await
            .map_err(unavailable)
    }
}

const ROSTER: &str = "SELECT person, email, team, org_unit, manager FROM roster ORDER BY email";

fn roster_entry(r: &tokio_postgres::Row) -> StorageResult<RosterEntry> {
    Ok(RosterEntry {
        person: get(r, "person")?,
        email: get(r, "email")?,
        team: get(r, "team")?,
        org_unit: get(r, "org_unit")?,
        manager: get(r, "manager")?,
    })
}

fn role_of(text: &str) -> StorageResult<Role> {
    text.parse::<Role>().map_err(corrupt)
}

async fn insert_audit(
    tx: &tokio_postgres::Transaction<'_>,
    event: &AuditEvent,
    break_glass: bool,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO audit (at, subject, program_id, action, detail, break_glass) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &event.at,
            &event.subject,
            &event.program.map(uuid),
            &event.action,
            &event.detail,
            &break_glass,
        ],
    )
    .await
    .map_err(unavailable)?;
    Ok(())
}

#[async_trait]
impl Directory for PgDirectory {
    async fn facts(&self, program: Id, email: Option<&str>) -> StorageResult<AccessFacts> {
        let email = email.map(str::to_lowercase);
        let row = self
            .storage
            .client()
            .await?
            .query_opt(
                "SELECT p.org_unit,
                        (SELECT r.org_unit FROM roster r WHERE r.email = $2) AS member_of,
                        (SELECT g.role FROM grants g WHERE g.program_id = p.id AND g.email = $2) AS grant
                 FROM programs p WHERE p.id = $1",
                &[&uuid(program), &email],
            )
            .await
            .map_err(unavailable)?;
        let Some(row) = row else {
            return Ok(AccessFacts::default());
        };
        let grant: Option<String> = get(&row, "grant")?;
        Ok(AccessFacts {
            org_unit: get(&row, "org_unit")?,
            member_of: get(&row, "member_of")?,
            grant: grant.as_deref().map(role_of).transpose()?,
        })
    }

    async fn scoped(&self) -> StorageResult<BTreeMap<Id, String>> {
        let rows = self
            .query(
                "SELECT id, org_unit FROM programs WHERE org_unit IS NOT NULL",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((id(get(r, "id")?), get(r, "org_unit")?)))
            .collect()
    }

    async fn member_of(&self, email: &str) -> StorageResult<Option<String>> {
        let row = self
            .storage
            .client()
            .await?
            .query_opt(
                "SELECT org_unit FROM roster WHERE email = $1",
                &[&email.to_lowercase()],
            )
            .await
            .map_err(unavailable)?;
        row.as_ref().map(|r| get(r, "org_unit")).transpose()
    }

    async fn grants(&self, email: Option<&str>) -> StorageResult<Vec<Grant>> {
        let rows = self.query("SELECT program_id, email, role, granted_by, granted_at FROM grants WHERE $1::text IS NULL OR email = $1 ORDER BY program_id, email", &[&email]).await?;
        rows.iter()
            .map(|r| {
                let role: String = get(r, "role")?;
                Ok(Grant {
                    program: id(get(r, "program_id")?),
                    email: get(r, "email")?,
                    role: role_of(&role)?,
                    granted_by: get(r, "granted_by")?,
                    granted_at: get(r, "granted_at")?,
                })
            })
            .collect()
    }

    async fn roster(&self) -> StorageResult<Vec<RosterEntry>> {
        self.query(ROSTER, &[])
            .await?
            .iter()
            .map(roster_entry)
            .collect()
    }

    async fn people(&self) -> StorageResult<Vec<Seen>> {
        let rows = self
            .query(
                "SELECT subject, name, email, groups, last_seen FROM people ORDER BY subject",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let groups: Value = get(r, "groups")?;
                Ok(Seen {
                    subject: get(r, "subject")?,
                    name: get(r, "name")?,
                    email: get(r, "email")?,
                    groups: serde_json::from_value(groups).map_err(corrupt)?,
                    last_seen: get(r, "last_seen")?,
                })
            })
            .collect()
    }

    async fn seen(&self, who: Seen) -> StorageResult<()> {
        self.storage
            .client()
            .await?
            .execute(
                "INSERT INTO people (subject, name, email, groups, last_seen) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (subject) DO UPDATE SET name = $2, email = $3, groups = $4, last_seen = $5",
                &[
                    &who.subject,
                    &who.name,
                    &who.email.map(|e| e.to_lowercase()),
                    &json!(who.groups),
                    &who.last_seen,
                ],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn import_roster(
        &self,
        entries: Vec<RosterEntry>,
        by: &str,
        at: &str,
    ) -> StorageResult<RosterChange> {
        let mut client = self.storage.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // One import at a time: two at once would each compute their change against the same
        // old roster.
        tx.execute("LOCK TABLE roster IN EXCLUSIVE MODE", &[])
            .await
            .map_err(unavailable)?;
        let old: BTreeMap<String, RosterEntry> = tx
            .query(ROSTER, &[])
            .await
            .map_err(unavailable)?
            .iter()
            .map(roster_entry)
            .collect::<StorageResult<Vec<_>>>()?
            .into_iter()
            .map(|e| (e.email.clone(), e))
            .collect();
        let change = roster_change(&old, &entries);
        tx.execute("DELETE FROM roster", &[])
            .await
            .map_err(unavailable)?;
        for e in &entries {
            tx.execute(
                "INSERT INTO roster (email, person, team, org_unit, manager, imported_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&e.email, &e.person, &e.team, &e.org_unit, &e.manager, &at],
            )
            .await
            .map_err(unavailable)?;
        }
        insert_audit(&tx, &roster_audit(&change, entries.len(), by, at), false).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(change)
    }

    async fn grant(
        &self,
        program: Id,
        email: &str,
        role: Option<Role>,
        by: &str,
        at: &str,
    ) -> StorageResult<()> {
        let mut client = self.storage.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let exists = tx
            .query_opt("SELECT 1 FROM programs WHERE id = $1", &[&uuid(program)])
            .await
            .map_err(unavailable)?;
        if exists.is_none() {
            return Err(StorageError::NotFound);
        }
        let email = email.to_lowercase();
        match role {
            Some(role) => tx
                .execute(
                    "INSERT INTO grants (program_id, email, role, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (program_id, email) DO UPDATE SET role = $3, granted_by = $4, granted_at = $5",
                    &[&uuid(program), &email, &role.as_str(), &by, &at],
                )
                .await
                .map_err(unavailable)?,
            None => tx
                .execute(
                    "DELETE FROM grants WHERE program_id = $1 AND email = $2",
                    &[&uuid(program), &email],
                )
                .await
                .map_err(unavailable)?,
        };
        insert_audit(&tx, &grant_audit(program, &email, role, by, at), false).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn scope(
        &self,
        program: Id,
        org_unit: Option<&str>,
        by: &str,
        at: &str,
    ) -> StorageResult<()> {
        let mut client = self.storage.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let updated = tx
            .execute(
                "UPDATE programs SET org_unit = $2 WHERE id = $1",
                &[&uuid(program), &org_unit],
            )
            .await
            .map_err(unavailable)?;
        if updated == 0 {
            return Err(StorageError::NotFound);
        }
        insert_audit(&tx, &scope_audit(program, org_unit, by, at), false).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn note(&self, event: AuditEvent, break_glass: bool) -> StorageResult<()> {
        let mut client = self.storage.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        insert_audit(&tx, &event, break_glass).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn bind(&self, email: &str, subject: &str, at: &str) -> StorageResult<bool> {
        let rows = self
            .query(
                "WITH bound AS (
                     INSERT INTO email_subjects (email, subject, bound_at) VALUES ($1, $2, $3)
                     ON CONFLICT (email) DO NOTHING RETURNING subject)
                 SELECT subject FROM bound UNION ALL SELECT subject FROM email_subjects WHERE email = $1",
                &[&email.to_lowercase(), &subject, &at],
            )
            .await?;
        let holder: Option<String> = rows.first().map(|r| get(r, "subject")).transpose()?;
        Ok(holder.as_deref() == Some(subject))
    }

    async fn unbind(&self, email: &str, by: &str, at: &str) -> StorageResult<bool> {
        let mut client = self.storage.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let removed = tx
            .execute(
                "DELETE FROM email_subjects WHERE email = $1",
                &[&email.to_lowercase()],
            )
            .await
            .map_err(unavailable)?;
        insert_audit(&tx, &unbind_audit(email, by, at), false).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn break_glass_use(
        &self,
        subject: &str,
        program: Id,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
        ttl: std::time::Duration,
        per_day: u32,
    ) -> StorageResult<GlassUse> {
        let mut client = self.storage.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        // One person's uses are decided one at a time, across processes.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('break-glass:' || $1))",
            &[&subject],
        )
        .await
        .map_err(unavailable)?;
        let found = tx
            .query_opt(
                "SELECT opened_at, expires_at FROM break_glass_uses WHERE subject = $1 AND program_id = $2 AND reason = $3",
                &[&subject, &program.as_uuid(), &reason],
            )
            .await
            .map_err(unavailable)?
            .map(|r| Ok::<_, StorageError>((get(&r, "opened_at")?, get(&r, "expires_at")?)))
            .transpose()?;
        let today: i64 = tx
            .query_one(
                "SELECT count(*) AS n FROM break_glass_uses WHERE subject = $1 AND opened_at >= $2",
                &[&subject, &stamp(now - chrono::Duration::days(1))],
            )
            .await
            .map_err(unavailable)
            .and_then(|r| get(&r, "n"))?;
        let (answer, open) = glass_rule(
            found,
            u32::try_from(today).unwrap_or(u32::MAX),
            now,
            ttl,
            per_day,
        );
        if let Some((opened, until)) = open {
            tx.execute(
                "INSERT INTO break_glass_uses (subject, program_id, reason, opened_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[&subject, &program.as_uuid(), &reason, &opened, &until],
            )
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(answer)
    }

    async fn break_glass_since(&self, since: &str) -> StorageResult<Vec<AuditEvent>> {
        let rows = self.query("SELECT at, subject, program_id, action, detail FROM audit WHERE break_glass AND at >= $1 ORDER BY id", &[&since]).await?;
        rows.iter()
            .map(|r| {
                let program: Option<uuid::Uuid> = get(r, "program_id")?;
                Ok(AuditEvent {
                    at: get(r, "at")?,
                    subject: get(r, "subject")?,
                    program: program.map(id),
                    action: get(r, "action")?,
                    detail: get(r, "detail")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_unit_outranks_groups_and_grants_but_not_admins() {
        let open = AccessFacts::default();
        assert_eq!(open.role(Some(Role::Editor)), Some(Role::Editor));
        assert_eq!(open.role(None), None);
        let granted = AccessFacts {
            grant: Some(Role::Lead),
            ..AccessFacts::default()
        };
        assert_eq!(granted.role(Some(Role::Viewer)), Some(Role::Lead));
        assert_eq!(granted.role(None), Some(Role::Lead));
        let scoped = AccessFacts {
            org_unit: Some("Platform".into()),
            member_of: Some("Sales".into()),
            grant: Some(Role::Editor),
        };
        assert_eq!(scoped.role(Some(Role::Editor)), None);
        assert_eq!(scoped.role(Some(Role::Admin)), Some(Role::Admin));
        let member = AccessFacts {
            member_of: Some("Platform".into()),
            ..scoped
        };
        assert_eq!(member.role(Some(Role::Viewer)), Some(Role::Editor));
    }
}
