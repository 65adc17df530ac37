//! The outbox: local changes the server has not acknowledged yet, one typed operation each.
//!
//! Every local write adds its entry in the same transaction as the item and its history, so a
//! change is either in all three or in none. The sync pushes entries in order and drops one only
//! after the server has committed it and said so ([`Store::acknowledge`]).

use std::collections::BTreeMap;

use roadbook_model::{Id, Kind};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Result, Store, StoreError, parse_id, parse_kind};

/// One field of an update: the new value and the server version the person last pulled for it
/// (the base the server compares with; 0 for a program never synced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub value: Value,
    pub base_version: u64,
    /// For a set-valued field, what the person added and removed: the server applies that to
    /// whatever it holds, so the person's removal stays a removal however stale the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<roadbook_model::SetDelta>,
    /// Left as the person saw it, sent beside a changed field it belongs with (a decision's
    /// status, outcome, rationale, decided by and on): never written, only compared, so the
    /// server can hold the group whole when a teammate changed any of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
}

/// What a local change did to one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// A new item with every field, its position (order key) included.
    Create { fields: Map<String, Value> },
    /// Fields a person changed, each with its base version. Fields not named are untouched.
    Update {
        fields: BTreeMap<String, FieldChange>,
    },
    /// A delete (a tombstone), with the server version of each field the person last pulled,
    /// so the server can tell a delete of an item edited meanwhile.
    Delete {
        base_versions: BTreeMap<String, u64>,
    },
    /// A person's answer to a conflict the server holds on this item; `choice` is the answer as
    /// the sync protocol spells it (keep theirs, keep mine, or a merged value).
    Resolve { conflict: Id, choice: Value },
}

impl Operation {
    /// The fields this operation writes ("deleted" for a delete).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Operation::Create { fields } => fields.keys().map(String::as_str).collect(),
            Operation::Update { fields } => fields
                .iter()
                .filter(|(_, c)| !c.kept)
                .map(|(f, _)| f.as_str())
                .collect(),
            Operation::Delete { .. } => vec![crate::DELETED],
            // The server answers with what the person chose; nothing changes here before.
            Operation::Resolve { .. } => Vec::new(),
        }
    }
}

/// A local change waiting for the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    /// This client's sequence number in the program's sync: consecutive, never reused.
    pub seq: u64,
    /// The change's own identity, kept when the database is copied (so a copy pushing the same
    /// entry is recognised) while the copy's client id and sequence numbers are fresh.
    pub mutation_id: Id,
    pub program_id: Id,
    pub item_kind: Kind,
    pub item_id: Id,
    pub operation: Operation,
    pub author: String,
    pub created_at: String,
}

impl Store {
    /// Changes not yet acknowledged by the server, in the order they were made.
    pub fn outbox(&self, program: Option<Id>) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT client_seq, mutation_id, program_id, item_kind, item_id, operation, author, created_at
                 FROM outbox WHERE ?1 IS NULL OR program_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([program.map(|p| p.to_string())], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, mutation, program, kind, item, operation, author, at) =
                row.map_err(|e| self.sql(e))?;
            out.push(OutboxEntry {
                seq: u64::try_from(seq).map_err(|_| {
                    StoreError::BadStoredItem(format!("outbox sequence number {seq}"))
                })?,
                mutation_id: parse_id(&mutation)?,
                program_id: parse_id(&program)?,
                item_kind: parse_kind(&kind)?,
                item_id: parse_id(&item)?,
                operation: crate::parse_body(&operation)?,
                author,
                created_at: at,
            });
        }
        Ok(out)
    }

    /// Drops the entries the server has committed and acknowledged. Only then: an entry still
    /// here after a crash is pushed again, and the server answers a replay with its first
    /// result instead of applying it twice.
    pub fn acknowledge(&mut self, program: Id, seqs: &[u64]) -> Result<usize> {
        self.write(|tx| {
            let mut stmt = tx
                .tx
                .prepare_cached("DELETE FROM outbox WHERE program_id = ?1 AND client_seq = ?2")
                .map_err(|e| tx.sql(e))?;
            let mut dropped = 0;
            for seq in seqs {
                let seq = i64::try_from(*seq).unwrap_or(i64::MAX);
                dropped += stmt
                    .execute(params![program.to_string(), seq])
                    .map_err(|e| tx.sql(e))?;
            }
            Ok(dropped)
        })
    }
}
