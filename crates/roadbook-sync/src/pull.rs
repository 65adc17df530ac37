//! Pulling what the team changed: the log after the replica's cursor (or the program afresh),
//! the open conflicts, the shared archive, and the long poll that says when to.

use super::*;

impl<T: Transport> Client<T> {
    /// The shared archive of issued documents: sends the ones issued here, then takes the
    /// team's. Documents are kept whole (with the data they showed), so any teammate can render
    /// one again and check its hash.
    pub(super) async fn exchange_documents(
        &self,
        replica: &impl Replica,
        program: Id,
        report: &mut Report,
    ) -> Result<(), SyncError> {
        for (doc, snapshot) in replica.with(|s| s.unshared_documents(program))? {
            let archived = ArchivedDocument {
                id: doc.id,
                kind: doc.kind,
                issued_at: doc.issued_at,
                as_of: doc.as_of,
                parameters: doc.parameters,
                snapshot,
                pdf_sha256: doc.pdf_sha256,
                pdf_bytes: doc.pdf_bytes,
                pages: doc.pages,
                author: doc.author,
                shared_by: None,
            };
            match self
                .retry
                .run(|| self.transport.share_document(program, &archived))
                .await
            {
                Ok(()) => {
                    replica.with(|s| s.mark_document_shared(archived.id))?;
                    report.documents_shared += 1;
                }
                // A viewer's documents stay in their own archive; the rest of the sync goes on.
                Err(err) if err.code() == Some(codes::FORBIDDEN) => break,
                Err(err) => return Err(refused(err)),
            }
        }
        loop {
            let cursor = replica.with(|s| s.documents_cursor(program))?;
            let page = self
                .retry
                .run(|| self.transport.documents(program, cursor))
                .await
                .map_err(refused)?;
            let documents: Vec<(IssuedDocument, String)> = page
                .documents
                .into_iter()
                .map(|d| {
                    (
                        IssuedDocument {
                            id: d.id,
                            program_id: program,
                            kind: d.kind,
                            issued_at: d.issued_at,
                            as_of: d.as_of,
                            parameters: d.parameters,
                            pdf_sha256: d.pdf_sha256,
                            pdf_bytes: d.pdf_bytes,
                            pages: d.pages,
                            author: d.author,
                            shared_by: d.shared_by,
                        },
                        d.snapshot,
                    )
                })
                .collect();
            report.documents_received +=
                replica.with(|s| s.receive_documents(program, &documents, page.cursor))?;
            if !page.more {
                return Ok(());
            }
        }
    }

    pub(super) async fn pull(
        &self,
        replica: &impl Replica,
        program: Id,
        report: &mut Report,
    ) -> Result<(), SyncError> {
        let mut restarts = 0;
        loop {
            let state = replica.with(|s| s.sync_state(program))?;
            let pull = match self
                .retry
                .run(|| {
                    self.transport
                        .pull(program, state.cursor, MAX_CHANGES_PER_PULL, state.history)
                })
                .await
            {
                Ok(pull) => pull,
                Err(err) if err.code() == Some(codes::HISTORY_CHANGED) && restarts < 2 => {
                    restarts += 1;
                    self.rebootstrap(replica, program, report).await?;
                    // What the server lost of this replica's goes again now.
                    self.push(replica, program, report).await?;
                    continue;
                }
                Err(err) => return Err(refused(err)),
            };
            let conflicts: Vec<StoredConflict> =
                pull.conflicts.iter().map(stored_conflict).collect();
            let server = self.transport.server().to_owned();
            replica.with(|s| {
                if let Some(role) = pull.role {
                    s.set_role(program, role.as_str())?;
                }
                if state.history.is_none()
                    && let Some(history) = pull.history
                {
                    s.set_history(program, history)?;
                }
                Ok::<_, StoreError>(())
            })?;
            match pull.snapshot {
                Some(items) => {
                    // The server's log no longer reaches back to this cursor: the whole
                    // program instead; what waits here to be pushed is kept.
                    let items: Vec<ServerItem> = items.into_iter().map(server_item).collect();
                    report.pulled += items.len();
                    replica.with(|s| {
                        s.apply_snapshot(
                            program,
                            &server,
                            &items,
                            pull.cursor,
                            &conflicts,
                            "the server",
                        )
                    })?;
                }
                None => {
                    report.pulled += pull.changes.len();
                    let changes: Vec<RemoteChange> = pull
                        .changes
                        .into_iter()
                        .map(|c| RemoteChange {
                            kind: c.kind,
                            item_id: c.item_id,
                            version: c.version,
                            author: c.author,
                            at: c.at,
                            made_at: c.made_at,
                            fields: c.fields,
                        })
                        .collect();
                    let applied = replica.with(|s| {
                        let applied = s.apply_remote(program, &changes, pull.cursor)?;
                        s.replace_conflicts(program, &conflicts)?;
                        Ok::<_, StoreError>(applied)
                    })?;
                    report.set_aside += applied.set_aside;
                }
            }
            if !pull.more {
                return Ok(());
            }
        }
    }

    /// Waits until the server has changes past this replica's cursor (a long poll; answered
    /// at once when there are, or when the server's history is not this replica's), or until
    /// the server's wait runs out. Returns the server's head.
    pub async fn wait_for_changes(
        &self,
        replica: &impl Replica,
        program: Id,
    ) -> Result<u64, SyncError> {
        let (state, documents) = replica.with(|s| {
            Ok::<_, StoreError>((s.sync_state(program)?, s.documents_cursor(program)?))
        })?;
        let events = self
            .retry
            .run(|| {
                self.transport
                    .events(program, state.cursor, documents, state.history)
            })
            .await
            .map_err(refused)?;
        Ok(events.head)
    }
}

pub(super) fn server_item(state: ItemState) -> ServerItem {
    ServerItem {
        kind: state.kind,
        id: state.id,
        fields: state.fields,
        versions: state.versions,
    }
}

/// A conflict as the store keeps it.
pub fn stored_conflict(conflict: &Conflict) -> StoredConflict {
    StoredConflict {
        id: conflict.id,
        kind: conflict.kind,
        item_id: conflict.item_id,
        field: conflict.field.clone(),
        body: serde_json::to_value(conflict).unwrap_or_default(),
    }
}
