//! Pushing what waits: in order, in batches, each answer settled into the replica (applied,
//! held in a conflict, or refused and kept for the person), with what to do when the server
//! lost or never knew this replica's numbers.

use super::*;

impl<T: Transport> Client<T> {
    pub(super) async fn push(
        &self,
        replica: &impl Replica,
        program: Id,
        report: &mut Report,
    ) -> Result<(), SyncError> {
        let mut resets = 0;
        let mut restarts = 0;
        loop {
            let (entries, client, history) = replica.with(|s| {
                Ok::<_, StoreError>((
                    s.outbox(Some(program))?,
                    s.client_id(),
                    s.sync_state(program)?.history,
                ))
            })?;
            if entries.is_empty() {
                return Ok(());
            }
            // An answer to a conflict over a decision's group waits for a server that settles
            // it whole (protocol 3): an older one, still serving during a rolling update, would
            // close it without writing either side. What comes after it waits too (changes go
            // in order); all of it goes once the server is upgraded.
            // The conflicts are read only when an answer to one waits: not on every push.
            let answering = entries
                .iter()
                .any(|e| matches!(e.operation, roadbook_store::Operation::Resolve { .. }));
            let grouped: Vec<Id> = if answering {
                replica
                    .with(|s| s.conflicts(program))?
                    .into_iter()
                    .filter(|c| !c.field.is_empty() && c.field == c.kind.guarded_group())
                    .map(|c| c.id)
                    .collect()
            } else {
                Vec::new()
            };
            let answer_at = entries.iter().position(|e| {
                matches!(&e.operation, roadbook_store::Operation::Resolve { conflict, .. } if grouped.contains(conflict))
            });
            if answer_at.is_some() && self.transport.protocol() >= 3 {
                // Learn which protocol the server speaks before such an answer goes (a push
                // may be the first request, and one an older server refuses is sent again in
                // its protocol without a word).
                self.retry
                    .run(|| self.transport.me())
                    .await
                    .map_err(refused)?;
            }
            let waits = answer_at.filter(|_| self.transport.protocol() < 3);
            if let Some(at) = waits {
                report.waiting_for_upgrade = entries.len() - at;
            }
            if waits == Some(0) {
                tracing::info!(
                    "an answer to a decision's conflict waits for the server's upgrade (it speaks protocol {})",
                    self.transport.protocol()
                );
                return Ok(());
            }
            let batch: Vec<&OutboxEntry> = entries
                .iter()
                .take(waits.unwrap_or(usize::MAX).min(MAX_MUTATIONS_PER_PUSH))
                .collect();
            let request = PushRequest {
                client_id: client,
                mutations: batch
                    .iter()
                    .map(|e| mutation(e))
                    .collect::<Result<_, _>>()?,
                history,
            };
            let answer = match self
                .retry
                .run(|| self.transport.push(program, &request))
                .await
            {
                Ok(answer) => answer,
                Err(err) if err.code() == Some(codes::HISTORY_CHANGED) && restarts < 2 => {
                    restarts += 1;
                    self.rebootstrap(replica, program, report).await?;
                    continue;
                }
                Err(err)
                    if matches!(err.code(), Some(codes::CLIENT_RESET | codes::SEQUENCE_GAP))
                        && resets < 2 =>
                {
                    // Reset: the server saw these numbers with other changes (this database is
                    // a copy or a restored backup). Gap: the server lacks numbers it once
                    // acknowledged (the server's database was restored from a backup). Either
                    // way a fresh identity, and the same changes again: the server knows each
                    // change by its id too, so none applies twice.
                    resets += 1;
                    let id = replica.with(|s| s.reset_client())?;
                    tracing::warn!(client = %id, code = err.code().unwrap_or_default(), "the server does not know this client's numbers: took a fresh client id");
                    continue;
                }
                Err(err) if err.code() == Some(codes::SEQUENCE_GAP) => {
                    return Err(SyncError::Protocol(err.to_string()));
                }
                Err(err) if err.code() == Some(codes::FORBIDDEN) => {
                    // The person may not change the program (any more): what waited would
                    // wait for good. It goes to the refused changes with the server's reason,
                    // its values kept here, to send again or discard.
                    let moved = replica.with(|s| s.refuse_waiting(program, &err.to_string()))?;
                    report.rejected += moved;
                    return Ok(());
                }
                Err(err) if err.code() == Some(codes::BAD_REQUEST) => {
                    // The server refused the push as not what it can take: a change in it is
                    // bad (a value it cannot store, written by an older Roadbook most likely).
                    // One at a time, so that one alone goes to the refused changes with the
                    // server's reason and the rest go on.
                    self.push_one_by_one(replica, program, &request, &batch, report)
                        .await?;
                    continue;
                }
                Err(err) => return Err(refused(err)),
            };
            if let Some(history) = answer.history {
                replica.with(|s| s.set_history(program, history))?;
            }
            self.settle_answer(replica, program, &batch, answer.results, report)?;
        }
    }

    /// Each mutation of `request` in a push of its own, settled as it is answered; one the
    /// server refuses as bad goes to the refused changes with the reason.
    async fn push_one_by_one(
        &self,
        replica: &impl Replica,
        program: Id,
        request: &PushRequest,
        batch: &[&OutboxEntry],
        report: &mut Report,
    ) -> Result<(), SyncError> {
        for (mutation, entry) in request.mutations.iter().zip(batch) {
            let one = PushRequest {
                mutations: vec![mutation.clone()],
                ..request.clone()
            };
            match self.retry.run(|| self.transport.push(program, &one)).await {
                Ok(answer) => {
                    self.settle_answer(replica, program, &[*entry], answer.results, report)?
                }
                Err(err) if err.code() == Some(codes::BAD_REQUEST) => {
                    let settlement = Settlement {
                        seq: mutation.seq,
                        server: None,
                        rejected: Some((codes::BAD_REQUEST.to_owned(), err.to_string())),
                        conflicts: Vec::new(),
                        author: "roadbook-server (refused)".to_owned(),
                        version: 0,
                    };
                    report.rejected += 1;
                    replica.with(|s| s.settle(program, &[settlement]))?;
                }
                // Anything else: stop here; the next push starts from what is left.
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    fn settle_answer(
        &self,
        replica: &impl Replica,
        program: Id,
        batch: &[&OutboxEntry],
        results: Vec<MutationResult>,
        report: &mut Report,
    ) -> Result<(), SyncError> {
        let authors: BTreeMap<u64, String> =
            batch.iter().map(|e| (e.seq, e.author.clone())).collect();
        let mut settlements = Vec::with_capacity(results.len());
        for result in results {
            match &result.outcome {
                Outcome::Applied { conflicts, .. } => {
                    report.pushed += 1;
                    report.conflicts_opened += conflicts.len();
                }
                Outcome::Rejected { .. } => report.rejected += 1,
            }
            let author = authors.get(&result.seq).cloned().unwrap_or_default();
            settlements.push(settlement(result, &author));
        }
        if settlements.is_empty() {
            return Err(SyncError::Protocol(
                "a push was answered with no results".into(),
            ));
        }
        replica.with(|s| s.settle(program, &settlements))?;
        Ok(())
    }
}

/// An outbox entry as the protocol sends it.
pub fn mutation(entry: &OutboxEntry) -> Result<Mutation, SyncError> {
    use roadbook_store::Operation as Local;
    let operation = match &entry.operation {
        Local::Create { fields } => Operation::Create {
            fields: fields.clone(),
        },
        Local::Update { fields } => Operation::Update {
            fields: fields
                .iter()
                .map(|(f, c)| {
                    (
                        f.clone(),
                        FieldChange {
                            value: c.value.clone(),
                            base_version: c.base_version,
                            set: c.set.clone(),
                            kept: c.kept,
                        },
                    )
                })
                .collect(),
        },
        Local::Delete { base_versions } => Operation::Delete {
            base_versions: base_versions.clone(),
        },
        Local::Resolve { conflict, choice } => Operation::Resolve {
            conflict: *conflict,
            choice: serde_json::from_value::<Choice>(choice.clone()).map_err(|e| {
                SyncError::Protocol(format!("a conflict answer could not be read ({e})"))
            })?,
        },
    };
    Ok(Mutation {
        seq: entry.seq,
        mutation_id: entry.mutation_id,
        kind: entry.item_kind,
        item_id: entry.item_id,
        operation,
        // The edit's own time: when the person made it, however long it waited to be sent.
        made_at: Some(entry.created_at.clone()),
    })
}

fn settlement(result: MutationResult, author: &str) -> Settlement {
    let version = match &result.outcome {
        Outcome::Applied { version, .. } => *version,
        Outcome::Rejected { .. } => 0,
    };
    let (rejected, conflicts, author) = match &result.outcome {
        Outcome::Applied { conflicts, .. } if conflicts.is_empty() => {
            (None, Vec::new(), author.to_owned())
        }
        Outcome::Applied { conflicts, .. } => (
            None,
            conflicts.iter().map(stored_conflict).collect(),
            conflicts
                .first()
                .map(|c| c.theirs.author.clone())
                .unwrap_or_else(|| author.to_owned()),
        ),
        Outcome::Rejected { code, reason } => (
            Some((code.clone(), reason.clone())),
            Vec::new(),
            "roadbook-server (refused)".to_owned(),
        ),
    };
    Settlement {
        seq: result.seq,
        server: result.item.map(server_item),
        rejected,
        conflicts,
        author,
        version,
    }
}
