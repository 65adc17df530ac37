//! The directory in memory: the same rules as PostgreSQL's, for the tests that run every server
//! rule on both.

use super::*;

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
    people: BTreeMap<String, SignedInPerson>,
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

    async fn people(&self) -> StorageResult<Vec<SignedInPerson>> {
        Ok(self.state().people.values().cloned().collect())
    }

    async fn seen(&self, who: SignedInPerson) -> StorageResult<()> {
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
