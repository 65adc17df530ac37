//! The directory in PostgreSQL: the roster, grants, org-unit scopes, bindings of people to
//! their sign-in and break-glass use, on the storage's pool.

use super::*;

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

    async fn people(&self) -> StorageResult<Vec<SignedInPerson>> {
        let rows = self
            .query(
                "SELECT subject, name, email, groups, last_seen FROM people ORDER BY subject",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let groups: Value = get(r, "groups")?;
                Ok(SignedInPerson {
                    subject: get(r, "subject")?,
                    name: get(r, "name")?,
                    email: get(r, "email")?,
                    groups: serde_json::from_value(groups).map_err(corrupt)?,
                    last_seen: get(r, "last_seen")?,
                })
            })
            .collect()
    }

    async fn seen(&self, who: SignedInPerson) -> StorageResult<()> {
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
