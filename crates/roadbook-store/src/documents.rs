//! The archive of issued documents.

use roadbook_model::Id;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Result, Store, StoreError, parse_id};

/// One issued document, as `roadbook documents` lists it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedDocument {
    pub id: Id,
    pub program_id: Id,
    /// readout, memo, packet, dashboard, register.
    pub kind: String,
    pub issued_at: String,
    pub as_of: String,
    pub parameters: serde_json::Value,
    pub pdf_sha256: String,
    pub pdf_bytes: u64,
    pub pages: u32,
    pub author: String,
    /// Who shared it with the team, when it came from a teammate's Roadbook (their sign-in
    /// name); none for a document issued here.
    pub shared_by: Option<String>,
}

const COLUMNS: &str = "id, program_id, kind, issued_at, as_of, parameters, pdf_sha256, pdf_bytes, pages, author, shared_by";

/// A documents row as SQLite gives it, before its ids and JSON are checked.
struct Raw {
    id: String,
    program_id: String,
    kind: String,
    issued_at: String,
    as_of: String,
    parameters: String,
    pdf_sha256: String,
    pdf_bytes: i64,
    pages: i64,
    author: String,
    shared_by: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok(Raw {
        id: r.get(0)?,
        program_id: r.get(1)?,
        kind: r.get(2)?,
        issued_at: r.get(3)?,
        as_of: r.get(4)?,
        parameters: r.get(5)?,
        pdf_sha256: r.get(6)?,
        pdf_bytes: r.get(7)?,
        pages: r.get(8)?,
        author: r.get(9)?,
        shared_by: r.get(10)?,
    })
}

/// A documents row selected as `{COLUMNS}, snapshot`.
fn row_with_snapshot(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Raw, String)> {
    Ok((row(r)?, r.get(11)?))
}

/// Where an archive row comes from: issued here (not shared yet), or from the team's archive
/// (shared already, and kept once: a second copy changes nothing).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Here,
    Team,
}

/// Writes one archive row; the number of rows written.
fn insert(
    conn: &rusqlite::Connection,
    program: Id,
    doc: &IssuedDocument,
    snapshot: &str,
    origin: Origin,
) -> rusqlite::Result<usize> {
    let once = match origin {
        Origin::Here => "",
        Origin::Team => " ON CONFLICT (id) DO NOTHING",
    };
    conn.execute(
        &format!(
            "INSERT INTO documents (id, program_id, kind, issued_at, as_of, parameters, snapshot, pdf_sha256, pdf_bytes, pages, author, shared, shared_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13){once}"
        ),
        params![
            doc.id.to_string(),
            program.to_string(),
            doc.kind,
            doc.issued_at,
            doc.as_of,
            doc.parameters.to_string(),
            snapshot,
            doc.pdf_sha256,
            doc.pdf_bytes as i64,
            i64::from(doc.pages),
            doc.author,
            i64::from(origin == Origin::Team),
            doc.shared_by,
        ],
    )
}

fn record(raw: Raw) -> Result<IssuedDocument> {
    Ok(IssuedDocument {
        id: parse_id(&raw.id)?,
        program_id: parse_id(&raw.program_id)?,
        kind: raw.kind,
        issued_at: raw.issued_at,
        as_of: raw.as_of,
        parameters: crate::parse_body(&raw.parameters)?,
        pdf_sha256: raw.pdf_sha256,
        pdf_bytes: raw.pdf_bytes.max(0) as u64,
        pages: raw.pages.clamp(0, i64::from(u32::MAX)) as u32,
        author: raw.author,
        shared_by: raw.shared_by,
    })
}

impl Store {
    /// Records an issued document with the exact data it showed.
    pub fn archive_document(&mut self, doc: &IssuedDocument, snapshot: &str) -> Result<()> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        insert(&self.conn, doc.program_id, doc, snapshot, Origin::Here).map_err(|e| self.sql(e))?;
        self.note_usage(roadbook_model::UsageKind::DocumentGenerated)
    }

    /// Documents issued here that the team's server has not received yet, with their snapshots.
    pub fn unshared_documents(&self, program: Id) -> Result<Vec<(IssuedDocument, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS}, snapshot FROM documents WHERE program_id = ?1 AND shared = 0 ORDER BY issued_at, id"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![program.to_string()], row_with_snapshot)
            .map_err(|e| self.sql(e))?;
        rows.map(|r| {
            let (raw, snapshot) = r.map_err(|e| self.sql(e))?;
            Ok((record(raw)?, snapshot))
        })
        .collect()
    }

    /// The server has the document.
    pub fn mark_document_shared(&mut self, id: Id) -> Result<()> {
        self.conn
            .execute(
                "UPDATE documents SET shared = 1 WHERE id = ?1",
                params![id.to_string()],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// How far this replica has read the server's shared archive.
    pub fn documents_cursor(&self, program: Id) -> Result<u64> {
        let cursor: Option<i64> = self
            .conn
            .query_row(
                "SELECT documents_cursor FROM sync_state WHERE program_id = ?1",
                params![program.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(cursor.unwrap_or(0).max(0) as u64)
    }

    /// Adds teammates' documents from the shared archive (one already here is left as it is)
    /// and moves the archive cursor, in one transaction.
    pub fn receive_documents(
        &mut self,
        program: Id,
        documents: &[(IssuedDocument, String)],
        cursor: u64,
    ) -> Result<usize> {
        self.write(|tx| {
            let mut added = 0;
            for (doc, snapshot) in documents {
                added += insert(&tx.tx, program, doc, snapshot, Origin::Team)
                    .map_err(|e| tx.sql(e))?;
            }
            tx.tx
                .execute(
                    "UPDATE sync_state SET documents_cursor = max(documents_cursor, ?2) WHERE program_id = ?1",
                    params![program.to_string(), i64::try_from(cursor).unwrap_or(i64::MAX)],
                )
                .map_err(|e| tx.sql(e))?;
            Ok(added)
        })
    }

    /// One archived document with the data it showed, to render it again.
    pub fn document_with_snapshot(&self, id: Id) -> Result<(IssuedDocument, String)> {
        let found = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS}, snapshot FROM documents WHERE id = ?1"),
                params![id.to_string()],
                row_with_snapshot,
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let (raw, snapshot) = found.ok_or(StoreError::NotFound { kind: None, id })?;
        Ok((record(raw)?, snapshot))
    }

    /// Issued documents of a program, oldest first.
    pub fn documents(&self, program: Id) -> Result<Vec<IssuedDocument>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM documents WHERE program_id = ?1 ORDER BY issued_at, id"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![program.to_string()], row)
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(record(r.map_err(|e| self.sql(e))?)?);
        }
        Ok(out)
    }

    /// The latest document of `kind` that speaks for a moment strictly before `before`
    /// (RFC 3339, UTC): the "last readout" a new readout compares against.
    pub fn last_document(
        &self,
        program: Id,
        kind: &str,
        before: &str,
    ) -> Result<Option<IssuedDocument>> {
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM documents WHERE program_id = ?1 AND kind = ?2 AND as_of < ?3 ORDER BY as_of DESC, issued_at DESC LIMIT 1"
                ),
                params![program.to_string(), kind, before],
                row,
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        found.map(record).transpose()
    }
}
