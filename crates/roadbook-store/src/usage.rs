//! The queue of usage counts (see [`roadbook_model::UsageKind`]): written only when the person
//! shares usage counts, sent with the next sync, dropped once the server has them.

use roadbook_model::{Id, UsageKind};
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store};

/// One queued count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedUsage {
    pub id: Id,
    pub kind: UsageKind,
    /// `YYYY-MM-DD`, UTC: the day is all that leaves the machine about when.
    pub day: String,
}

/// The `meta` key that holds the choice ("on"; absent: off).
const SHARE_KEY: &str = "share_usage";

impl Store {
    /// Whether the person shares usage counts from this database (off unless turned on).
    pub fn share_usage(&self) -> Result<bool> {
        let value: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [SHARE_KEY], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(value.as_deref() == Some("on"))
    }

    /// Turns sharing on or off; off also drops what waits to be sent.
    pub fn set_share_usage(&mut self, on: bool) -> Result<()> {
        self.write(|tx| {
            if on {
                tx.tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, 'on') ON CONFLICT (key) DO UPDATE SET value = 'on'",
                    [SHARE_KEY],
                )
            } else {
                tx.tx
                    .execute("DELETE FROM meta WHERE key = ?1", [SHARE_KEY])
                    .and_then(|_| tx.tx.execute("DELETE FROM usage_queue", []))
            }
            .map_err(|e| tx.sql(e))?;
            Ok(())
        })
    }

    /// Counts one `kind` when the person shares usage counts; nothing otherwise.
    pub fn note_usage(&mut self, kind: UsageKind) -> Result<()> {
        if self.read_only || !self.share_usage()? {
            return Ok(());
        }
        self.queue_usage(kind)
    }

    /// Queues one count of `kind` today.
    fn queue_usage(&mut self, kind: UsageKind) -> Result<()> {
        self.write(|tx| {
            let day = tx.now.get(..10).unwrap_or_default().to_owned();
            tx.tx
                .execute(
                    "INSERT INTO usage_queue (id, kind, day) VALUES (?1, ?2, ?3)",
                    params![Id::new().to_string(), kind.as_str(), day],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(())
        })
    }

    /// How many counts wait to be sent.
    pub fn usage_waiting(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM usage_queue", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or_default())
            .map_err(|e| self.sql(e))
    }

    /// What waits to be sent, oldest first (at most `limit`).
    pub fn queued_usage(&self, limit: usize) -> Result<Vec<QueuedUsage>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, kind, day FROM usage_queue ORDER BY id LIMIT ?1")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.sql(e))?;
        // A row this build cannot read (a kind from a newer Roadbook) stays for that build.
        Ok(rows
            .into_iter()
            .filter_map(|(id, kind, day)| {
                Some(QueuedUsage {
                    id: id.parse().ok()?,
                    kind: UsageKind::parse(&kind)?,
                    day,
                })
            })
            .collect())
    }

    /// Drops counts the server has.
    pub fn forget_usage(&mut self, ids: &[Id]) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx
                .tx
                .prepare_cached("DELETE FROM usage_queue WHERE id = ?1")
                .map_err(|e| tx.sql(e))?;
            for id in ids {
                stmt.execute(params![id.to_string()])
                    .map_err(|e| tx.sql(e))?;
            }
            Ok(())
        })
    }
}
