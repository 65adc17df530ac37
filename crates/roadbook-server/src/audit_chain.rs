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
    /// Every broken link found, in that order (the first is `broken`).
    pub problems: Vec<String>,
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
            Some(why) if self.problems.len() > 1 => format!(
                "the audit trail does NOT verify: {why} (and {} more broken links)",
                self.problems.len() - 1
            ),
            Some(why) => format!("the audit trail does NOT verify: {why}"),
        }
    }
}

/// The chains' ends as `audit verify` printed them (`  CHAIN: HASH` lines; other lines are
/// ignored), to check a later trail against.
pub fn read_noted(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut noted = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if let Some((chain, hash)) = line.split_once(": ")
            && hash.len() == 64
            && hash.chars().all(|c| c.is_ascii_hexdigit())
            && !chain.contains(' ')
        {
            noted.insert(chain.to_owned(), hash.to_owned());
        }
    }
    if noted.is_empty() {
        return Err(
            "it holds no chain ends: give the lines `audit verify` printed (CHAIN: HASH)".into(),
        );
    }
    Ok(noted)
}

/// Checks `events` (every event of the trail) against each chain's recorded end, and against
/// the ends noted at an earlier check (`noted`): a noted end must still be an event of its
/// chain, unchanged. That is what shows a trail the database's owner rewrote whole (its
/// events and the recorded ends made again to agree), which no check inside the database can.
pub fn verify_against(
    events: &[Linked],
    ends: &BTreeMap<String, (u64, String)>,
    noted: &BTreeMap<String, String>,
) -> Verdict {
    let mut verdict = verify(events, ends);
    // The noted ends still held by an event of their chain whose hash is its own.
    let held: BTreeSet<(String, &str)> = events
        .iter()
        .filter_map(|e| Some((e, e.hash.as_deref()?)))
        .filter(|(e, hash)| e.expected_hash() == *hash)
        .map(|(e, hash)| (e.chain(), hash))
        .collect();
    for (chain, hash) in noted {
        if !held.contains(&(chain.clone(), hash.as_str())) {
            verdict.problems.push(format!(
                "the chain of {chain} no longer holds the event it ended at when noted ({}…): the trail was rewritten or emptied since",
                hash.get(..12).unwrap_or(hash)
            ));
        }
    }
    verdict.broken = verdict.problems.first().cloned();
    verdict
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
    let problems: Vec<String> = problems.into_iter().map(|(_, why)| why).collect();
    Verdict {
        events: events.len(),
        chains: chains.len(),
        broken: problems.first().cloned(),
        problems,
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

        // Several problems are all listed, the first named in the sentence.
        let mut twice = events.clone();
        twice[1].detail = "{}".into();
        twice[3].subject = "someone".into();
        let v = verify(&twice, &ends);
        assert_eq!(v.problems.len(), 2, "{:?}", v.problems);
        assert!(v.describe().contains("(and 1 more broken links)"));
    }

    #[test]
    fn a_trail_made_again_whole_agrees_with_itself_but_not_with_the_ends_noted_before() {
        let (events, ends) = chain(5);
        let v = verify(&events, &ends);
        let printed = format!(
            "the chains end at:\n{}",
            v.heads
                .iter()
                .map(|(c, h)| format!("  {c}: {h}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let noted = read_noted(&printed).unwrap();
        assert!(verify_against(&events, &ends, &noted).verified());
        // The owner deletes event 2 and computes every later link and the end again.
        let (mut rewritten, _) = chain(5);
        rewritten.remove(1);
        let mut prev = String::new();
        for e in &mut rewritten {
            e.prev_hash = Some(prev.clone());
            let hash = e.expected_hash();
            e.hash = Some(hash.clone());
            prev = hash;
        }
        let new_ends = BTreeMap::from([("server".to_owned(), (5, prev))]);
        assert!(
            verify(&rewritten, &new_ends).verified(),
            "it agrees with itself"
        );
        let v = verify_against(&rewritten, &new_ends, &noted);
        assert!(
            v.broken
                .unwrap()
                .contains("no longer holds the event it ended at"),
            "but not with what was noted"
        );
        // Emptied: the same.
        assert!(!verify_against(&[], &BTreeMap::new(), &noted).verified());
        assert!(read_noted("nothing here").is_err());
    }
}
