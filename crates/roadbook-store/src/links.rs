//! Dependencies between programs as one program shows them: judged here from both programs when
//! both are in this database, else as the server last judged them (it sees both; it tells a
//! person who cannot see the other program only where the link stands and why).

use chrono::{DateTime, NaiveDate, Utc};
use roadbook_model::{Direction, Handbook, Id, Link, LinkReason};
use rusqlite::params;

use crate::{Result, Store, StoreError};

impl Store {
    /// Every dependency between `program` and another program, judged on `today`: this
    /// program's dependencies on items elsewhere, and other programs' dependencies on its
    /// items. Both ends here: judged now; an end not here: the server's last word, or
    /// "unknown" until it has said.
    pub fn links(&self, program: Id, today: NaiveDate) -> Result<Vec<Link>> {
        self.links_of(&self.load(program)?, today)
    }

    /// [`Store::links`] of a program the caller has loaded already (the check, My items and
    /// the reminders hold it): read once, not again here.
    pub fn links_of(&self, here: &Handbook, today: NaiveDate) -> Result<Vec<Link>> {
        let program = here.program.id;
        let others = self.linked_programs(here)?;
        let others: Vec<&Handbook> = others.iter().collect();
        let mut links = roadbook_model::links(here, &others, today);
        let heard = self.server_links(program)?;
        for link in &mut links {
            if link.reason != LinkReason::NotHere {
                continue;
            }
            if let Some(said) = heard
                .iter()
                .find(|s| s.dependency == link.dependency && s.direction == link.direction)
            {
                // The server's judgement, with what this database knows of its own end.
                link.state = said.state;
                link.reason = said.reason;
                link.other_program_name = said.other_program_name.clone();
                link.other_label = said.other_label.clone();
                link.other_kind = said.other_kind;
                link.date = said.date;
            }
        }
        // Another program's dependency on this one that only the server knows of (a program
        // the person cannot see, or has not joined): shown as the server said it, on an item
        // still here.
        for said in heard {
            let known = links
                .iter()
                .any(|l| l.dependency == said.dependency && l.direction == said.direction);
            if said.direction == Direction::NeededBy && !known {
                let mut said = said;
                if let Some(needed) = here.needed(said.item) {
                    said.label = needed.label;
                    said.item_kind = needed.kind;
                }
                links.push(said);
            }
        }
        Ok(links)
    }

    /// The links of `program` as they stood at `moment`, judged from both programs as they
    /// were then: what a document as of that moment shows (and shows again, byte for byte,
    /// when it is made for the same moment later). Only links with both programs here: what the
    /// server says of the others is today's word, not the moment's, so documents leave it out.
    pub fn links_as_of(&self, program: Id, moment: DateTime<Utc>) -> Result<Vec<Link>> {
        let here = self.load_as_of(program, moment)?;
        let mut others = Vec::new();
        // The programs it named then, and those whose dependencies name it now.
        for other in self.linked_programs(&here)? {
            match self.load_as_of(other.program.id, moment) {
                Ok(h) => others.push(h),
                Err(StoreError::NotYet { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        let others: Vec<&Handbook> = others.iter().collect();
        Ok(roadbook_model::links(&here, &others, moment.date_naive())
            .into_iter()
            .filter(|l| l.reason != LinkReason::NotHere)
            .collect())
    }

    /// The other programs in this database at either end of a link with `here`: the ones its
    /// dependencies name, and the ones whose dependencies name it.
    fn linked_programs(&self, here: &Handbook) -> Result<Vec<Handbook>> {
        let mut ids: Vec<Id> = here
            .dependencies
            .iter()
            .filter_map(|d| d.other_item.map(|o| o.program_id))
            .collect();
        let mut stmt = self
            .conn
            .prepare_cached(
                // Deleted ones too: a document as of a moment before the delete shows them.
                "SELECT DISTINCT program_id FROM items WHERE kind = 'dependency'
                 AND json_extract(body, '$.other_item.program_id') = ?1",
            )
            .map_err(|e| self.sql(e))?;
        let naming: Vec<String> = stmt
            .query_map([here.program.id.to_string()], |r| r.get(0))
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.sql(e))?;
        for id in naming {
            ids.push(crate::parse_id(&id)?);
        }
        ids.sort();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids.into_iter().filter(|id| *id != here.program.id) {
            match self.load(id) {
                Ok(h) => out.push(h),
                // Not here: the server's word stands for it.
                Err(StoreError::NotFound { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(out)
    }

    /// What the server last said of `program`'s links.
    pub fn server_links(&self, program: Id) -> Result<Vec<Link>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT body FROM server_links WHERE program_id = ?1 ORDER BY direction, dependency_id",
            )
            .map_err(|e| self.sql(e))?;
        let bodies: Vec<String> = stmt
            .query_map([program.to_string()], |r| r.get(0))
            .map_err(|e| self.sql(e))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.sql(e))?;
        bodies
            .iter()
            .map(|b| {
                serde_json::from_str(b).map_err(|e| {
                    StoreError::BadStoredItem(format!("a link the server judged: {e}"))
                })
            })
            .collect()
    }

    /// Keeps what the server said of `program`'s links, in place of what it said before.
    pub fn set_server_links(&mut self, program: Id, links: &[Link]) -> Result<()> {
        let judged_at = crate::write::now();
        self.write(|tx| {
            tx.tx
                .execute(
                    "DELETE FROM server_links WHERE program_id = ?1",
                    [program.to_string()],
                )
                .map_err(|e| tx.sql(e))?;
            for link in links {
                let direction = match link.direction {
                    Direction::Needs => "needs",
                    Direction::NeededBy => "needed_by",
                };
                let body = serde_json::to_string(link).unwrap_or_default();
                tx.tx
                    .execute(
                        "INSERT OR REPLACE INTO server_links (program_id, dependency_id, direction, body, judged_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            program.to_string(),
                            link.dependency.to_string(),
                            direction,
                            body,
                            judged_at
                        ],
                    )
                    .map_err(|e| tx.sql(e))?;
            }
            Ok(())
        })
    }
}
