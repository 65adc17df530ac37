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

mod memory;
mod postgres;

pub use memory::MemoryDirectory;
pub use postgres::PgDirectory;

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
pub struct SignedInPerson {
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
    async fn people(&self) -> StorageResult<Vec<SignedInPerson>>;
    /// Records that a person used the server now.
    async fn seen(&self, who: SignedInPerson) -> StorageResult<()>;
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
