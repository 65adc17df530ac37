//! Checking the audit trail's hash chains (migration 0006): every event links to the one before
//! it in its chain (its program's, or the server's for events of no program) by that event's
//! hash, and carries a hash of its own over the link and its content. The check is made here,
//! in Rust, from the stored fields, so a database whose chaining function was replaced cannot
//! vouch for itself.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// One stored event, as the check reads it (`detail` as PostgreSQL writes jsonb as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub id: u64,
    pub at: String,
    pub subject: String,
    pub program: Option<String>,
    pub action: String,
    pub detail: String,
    pub break_glass: bool,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl Linked {
    fn chain(&self) -> String {
        self.program.clone().unwrap_or_else(|| "server".to_owned())
    }

    /// The hash the event must carry: as `roadbook_audit_hash` in migration 0006 makes it.
    pub fn expected_hash(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.prev_hash.as_deref().unwrap_or_default(),
            self.id,
            self.at,
            self.subject,
            self.program.as_deref().unwrap_or_default(),
            self.action,
            self.detail,
            self.break_glass
        );
        let digest = Sha256::digest(text.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub events: usize,
    pub chains: usize,
    /// The first broken link, in the order the events were written (none: it verified).
    pub broken: Option<String>,
    /// Each chain's last hash, to note elsewhere: a later check that finds another one for an
    /// event it already had shows the tail was rewritten.
    pub heads: BTreeMap<String, String>,
}

impl Verdict {
    pub fn verified(&self) -> bool {
        self.broken.is_none()
    }

    /// One sentence for the operator and the access review.
    pub fn describe(&self) -> String {
        match &self.broken {
            None => format!(
                "the audit trail verifies: {} events in {} hash chains, every link intact",
                self.events, self.chains
            ),
            Some(why) => format!("the audit trail does NOT verify: {why}"),
        }
    }
}

/// Checks `events` (every event of the trail) against each chain's recorded end.
pub fn verify(events: &[Linked], ends: &BTreeMap<String, (u64, String)>) -> Verdict {
    let mut problems: Vec<(u64, String)> = Vec::new();
    let mut chains: BTreeMap<String, Vec<&Linked>> = BTreeMap::new();
    for event in events {
        chains.entry(event.chain()).or_default().push(event);
    }
    let mut heads = BTreeMap::new();
    for (chain, events) in &chains {
        let hashed: Vec<&&Linked> = events.iter().filter(|e| e.hash.is_some()).collect();
        let Some(first) = hashed.iter().map(|e| e.id).min() else {
            continue;
        };
        // Written after the chain began, with no hash: the chaining was turned off for it.
        for event in events.iter().filter(|e| e.hash.is_none() && e.id > first) {
            problems.push((
                event.id,
                format!(
                    "event {} ({}, {}) carries no hash: it was written with the chain turned off",
                    event.id, event.action, event.at
                ),
            ));
        }
        let mut by_hash: BTreeMap<&str, &Linked> = BTreeMap::new();
        let mut next: BTreeMap<&str, Vec<&Linked>> = BTreeMap::new();
        for event in &hashed {
            let hash = event.hash.as_deref().unwrap_or_default();
            if event.expected_hash() != hash {
                problems.push((
                    event.id,
                    format!(
                        "event {} ({}, {}) was changed after it was written",
                        event.id, event.action, event.at
                    ),
                ));
            }
            by_hash.insert(hash, event);
            next.entry(event.prev_hash.as_deref().unwrap_or_default())
                .or_default()
                .push(event);
        }
        for event in &hashed {
            let prev = event.prev_hash.as_deref().unwrap_or_default();
            if !prev.is_empty() && !by_hash.contains_key(prev) {
                problems.push((
                    event.id,
                    format!(
                        "the event before event {} ({}, {}) in the chain of {} is missing: it was deleted",
                        event.id, event.action, event.at, chain
                    ),
                ));
            }
        }
        for (prev, after) in &next {
            if after.len() > 1 {
                let ids: BTreeSet<u64> = after.iter().map(|e| e.id).collect();
                let last = ids.iter().next_back().copied().unwrap_or_default();
                problems.push((
                    last,
                    format!(
                        "events {} follow the same event in the chain of {chain}: one of them was inserted later{}",
                        ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" and "),
                        if prev.is_empty() { " at its start" } else { "" }
                    ),
                ));
            }
        }
        // The chain's end as recorded when the last event was written.
        let tail = hashed
            .iter()
            .find(|e| !next.contains_key(e.hash.as_deref().unwrap_or_default()));
        match (ends.get(chain), tail) {
            (Some((id, hash)), Some(tail)) if tail.hash.as_deref() != Some(hash.as_str()) => {
                problems.push((
                    *id,
                    format!(
                        "the chain of {chain} ended at event {id} when it was last written, and now ends at event {}: events were removed from its end",
                        tail.id
                    ),
                ));
            }
            (None, _) => problems.push((
                first,
                format!("the chain of {chain} has no recorded end: its record was removed"),
            )),
            _ => {}
        }
        if let Some(tail) = tail {
            heads.insert(chain.clone(), tail.hash.clone().unwrap_or_default());
        }
    }
    problems.sort();
    Verdict {
        events: events.len(),
        chains: chains.len(),
        broken: problems.into_iter().next().map(|(_, why)| why),
        heads,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn chain(n: u64) -> (Vec<Linked>, BTreeMap<String, (u64, String)>) {
        let mut events = Vec::new();
        let mut prev = String::new();
        for id in 1..=n {
            let mut e = Linked {
                id,
                at: format!("2026-12-07T00:00:0{id}.000Z"),
                subject: "ops".into(),
                program: None,
                action: "break_glass".into(),
                detail: format!("{{\"reason\": \"{id}\"}}"),
                break_glass: true,
                prev_hash: Some(prev.clone()),
                hash: None,
            };
            let hash = e.expected_hash();
            e.hash = Some(hash.clone());
            prev = hash;
            events.push(e);
        }
        let ends = BTreeMap::from([("server".to_owned(), (n, prev))]);
        (events, ends)
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_tampering_is_named() {
        let (events, ends) = chain(5);
        assert!(verify(&events, &ends).verified());

        let mut changed = events.clone();
        changed[2].detail = "{\"reason\": \"rewritten\"}".into();
        let v = verify(&changed, &ends);
        assert!(
            v.broken.unwrap().contains("event 3 (break_glass"),
            "changed"
        );

        let mut deleted = events.clone();
        deleted.remove(1);
        assert!(
            verify(&deleted, &ends)
                .broken
                .unwrap()
                .contains("before event 3")
        );

        let mut tail = events.clone();
        tail.pop();
        assert!(
            verify(&tail, &ends)
                .broken
                .unwrap()
                .contains("removed from its end")
        );

        let mut unhashed = events.clone();
        unhashed.push(Linked {
            id: 6,
            hash: None,
            prev_hash: None,
            ..events[0].clone()
        });
        assert!(
            verify(&unhashed, &ends)
                .broken
                .unwrap()
                .contains("carries no hash")
        );
    }
}
