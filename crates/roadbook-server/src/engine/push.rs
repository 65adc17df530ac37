//! The push queue: pushes to one program applied together in one transaction (a group commit),
//! a push the database refuses tried change by change, and each result recorded before it is
//! answered.

use super::*;

impl Engine {
    /// Applies a client's mutations in order, each idempotently, and answers with a result for
    /// each. Pushes to one program that arrive while another is being applied are applied
    /// together in one transaction (a group commit: one durable commit for all of them, each
    /// with its own results). The transaction commits before any answer leaves, so a result a
    /// client sees is durable; a crash before the commit keeps none of it.
    pub async fn push(
        &self,
        caller: &Caller,
        program: Id,
        request: PushRequest,
    ) -> EngineResult<PushResponse> {
        let on_program = self
            .entitled(caller, program, Role::Editor, "changing a program")
            .await?;
        // Items of other programs the push names, looked up with what the person may see
        // everywhere (their groups, not their role on this program).
        let seen = self.other_items_seen(caller, &request).await?;
        let caller = &on_program;
        if request.mutations.len() > roadbook_protocol::MAX_MUTATIONS_PER_PUSH {
            return Err(EngineError::TooLarge(format!(
                "{} changes in one push; send at most {} at a time",
                request.mutations.len(),
                roadbook_protocol::MAX_MUTATIONS_PER_PUSH
            )));
        }
        // What the database cannot store is refused here, before the push joins anyone
        // else's transaction.
        for mutation in &request.mutations {
            storable_operation(&mutation.operation).map_err(|why| {
                EngineError::Invalid(format!(
                    "change {} ({} {}): {why}",
                    mutation.seq,
                    mutation.kind.noun(),
                    mutation.item_id
                ))
            })?;
        }
        let history = self.same_history(request.history).await?;
        let writer = {
            let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
            writers.entry(program).or_default().clone()
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        writer
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Job {
                caller: caller.clone(),
                request,
                seen,
                answer,
            });
        // Wait for the answer or for the turn, whichever comes first. Whoever gets the turn
        // applies everything queued by then; a pusher whose push an earlier turn took gets its
        // answer and leaves the line (were it to wait for the turn anyway, each turn would
        // find one push in the queue and the batching would be lost to a convoy).
        let mut answered = answered;
        let answer = loop {
            tokio::select! {
                biased;
                answer = &mut answered => {
                    break answer.unwrap_or_else(|_| {
                        Err(EngineError::Unavailable("the push was not answered".into()))
                    });
                }
                _turn = writer.turn.lock() => {
                    let jobs = std::mem::take(&mut *writer.queue.lock().unwrap_or_else(|e| e.into_inner()));
                    if !jobs.is_empty() {
                        self.apply_batch(program, jobs).await;
                    }
                }
            }
        };
        // The line for this program goes once nobody else stands in it, so what the process
        // keeps follows the programs in use, never the pushes made (to programs that exist or
        // not).
        {
            let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
            if Arc::strong_count(&writer) == 2
                && writer
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_empty()
            {
                writers.remove(&program);
            }
        }
        answer.map(|response| PushResponse {
            history: Some(history),
            ..response
        })
    }

    /// One transaction for the queued pushes of a program (see [`Engine::commit_pushes`]),
    /// and each push's answer sent.
    async fn apply_batch(&self, program: Id, jobs: Vec<Job>) {
        let pushes: Vec<Push<'_>> = jobs
            .iter()
            .map(|j| (&j.caller, &j.request, &j.seen))
            .collect();
        let answers = self.commit_pushes(program, &pushes).await;
        drop(pushes);
        for (job, answer) in jobs.into_iter().zip(answers) {
            let _ = job.answer.send(answer);
        }
    }

    /// Applies pushes in one transaction and answers each. A push refused as a whole (a
    /// sequence gap, a reused number) is checked before anything of it is written. When the
    /// database refuses the batch (a value it cannot store that got past the checks), the
    /// pushes are tried one by one, and a push it refuses alone a mutation at a time, so the
    /// one mutation it cannot store is answered rejected and nothing else is held up. Any other
    /// database failure answers every push with it, and nothing of the batch is kept.
    fn commit_pushes<'a>(
        &'a self,
        program: Id,
        pushes: &'a [Push<'a>],
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Vec<EngineResult<PushResponse>>> + Send + 'a>,
    > {
        Box::pin(async move {
            let err = match self.try_commit(program, pushes).await {
                Ok(answers) => return answers,
                Err(err) => err,
            };
            let EngineError::StoreRefused(detail) = &err else {
                return pushes.iter().map(|_| Err(err.clone())).collect();
            };
            match pushes {
                [(caller, request, _)] if request.mutations.len() == 1 => {
                    vec![self.reject_refused(program, caller, request, detail).await]
                }
                [(caller, request, seen)] => {
                    let mut results = Vec::with_capacity(request.mutations.len());
                    for mutation in &request.mutations {
                        let one = PushRequest {
                            client_id: request.client_id,
                            mutations: vec![mutation.clone()],
                            history: request.history,
                        };
                        match self
                            .commit_pushes(program, &[(*caller, &one, *seen)])
                            .await
                            .pop()
                        {
                            Some(Ok(answer)) => results.extend(answer.results),
                            Some(Err(err)) => return vec![Err(err)],
                            None => {
                                return vec![Err(EngineError::Unavailable(
                                    "a change was not answered".into(),
                                ))];
                            }
                        }
                    }
                    vec![Ok(PushResponse {
                        results,
                        history: None,
                    })]
                }
                _ => {
                    let mut answers = Vec::with_capacity(pushes.len());
                    for push in pushes {
                        answers.extend(
                            self.commit_pushes(program, std::slice::from_ref(push))
                                .await,
                        );
                    }
                    answers
                }
            }
        })
    }

    /// Records the one mutation of `request` as rejected: the database would not store it.
    /// A replay gets the same answer, and the client sets it aside with the reason.
    async fn reject_refused(
        &self,
        program: Id,
        caller: &Caller,
        request: &PushRequest,
        detail: &str,
    ) -> EngineResult<PushResponse> {
        tracing::warn!(detail = %detail, "the database refused a change: answered as rejected");
        let mut tx = self.storage.begin(program).await?;
        let client = request.client_id;
        let mut results = Vec::new();
        for mutation in &request.mutations {
            if let Some(recorded) = tx.recorded(client, mutation.seq).await? {
                results.push(recorded.result);
                continue;
            }
            let expected = tx.last_seq(client).await? + 1;
            if mutation.seq != expected {
                return Err(EngineError::SequenceGap {
                    expected,
                    got: mutation.seq,
                });
            }
            let reason = "the server's database cannot store this change (a value it does not hold): change it and send it again";
            let result = MutationResult {
                seq: mutation.seq,
                mutation_id: mutation.mutation_id,
                outcome: rejected("invalid", reason),
                item: tx.item(mutation.item_id).await?.map(|i| i.state()),
            };
            tx.audit(AuditEvent {
                at: self.now(),
                subject: caller.author.subject.clone(),
                program: Some(program),
                action: "rejected".into(),
                detail: json!({
                    "mutation": mutation.mutation_id,
                    "client": client,
                    "seq": mutation.seq,
                    "kind": mutation.kind,
                    "item": mutation.item_id,
                    "op": op_name(&mutation.operation),
                    "result": {"code": "invalid", "reason": reason},
                }),
            })
            .await?;
            tx.record(client, &result).await?;
            results.push(result);
        }
        tx.commit().await?;
        self.metrics.mutation("rejected");
        Ok(PushResponse {
            results,
            history: None,
        })
    }

    /// The pushes in one transaction: each answered, or the transaction's failure.
    async fn try_commit(
        &self,
        program: Id,
        pushes: &[Push<'_>],
    ) -> EngineResult<Vec<EngineResult<PushResponse>>> {
        let mut tx = self.storage.begin(program).await?;
        let reads: Vec<Prefetch> = pushes
            .iter()
            .map(|(_, r, _)| Prefetch {
                client: r.client_id,
                seqs: r.mutations.iter().map(|m| m.seq).collect(),
                mutations: r.mutations.iter().map(|m| m.mutation_id).collect(),
            })
            .collect();
        let items: Vec<Id> = pushes
            .iter()
            .flat_map(|(_, r, _)| r.mutations.iter().map(|m| m.item_id))
            .collect();
        tx.prefetch(&reads, &items).await?;
        let mut answers = Vec::with_capacity(pushes.len());
        let mut wrote = false;
        // The outcome of each mutation decided now (not replays), counted once committed.
        let mut outcomes = Vec::new();
        for (caller, request, seen) in pushes {
            self.metrics.push(request.mutations.len());
            match self
                .apply_push(&mut *tx, (caller, request, seen), program, &mut outcomes)
                .await
            {
                Ok((response, changed)) => {
                    wrote |= changed;
                    answers.push(Ok(response));
                }
                // Refused as a whole, and checked before anything of it was written.
                Err(
                    refused @ (EngineError::SequenceGap { .. } | EngineError::ClientReset { .. }),
                ) => answers.push(Err(refused)),
                Err(failed) => return Err(failed),
            }
        }
        if wrote {
            let head = tx.commit().await?;
            self.live.publish(program, head);
        }
        for outcome in outcomes {
            self.metrics.mutation(outcome);
        }
        Ok(answers)
    }

    /// One push inside the batch's transaction: its numbers checked first, then each mutation
    /// applied (or answered from its first result). Returns whether it wrote anything.
    async fn apply_push(
        &self,
        tx: &mut dyn ProgramTx,
        (caller, request, seen): Push<'_>,
        program: Id,
        outcomes: &mut Vec<&'static str>,
    ) -> EngineResult<(PushResponse, bool)> {
        let client = request.client_id;
        // The whole push's numbers first: a push refused as a whole writes nothing.
        let mut expected = tx.last_seq(client).await?;
        for mutation in &request.mutations {
            match tx.recorded(client, mutation.seq).await? {
                Some(recorded) if recorded.mutation_id != mutation.mutation_id => {
                    return Err(EngineError::ClientReset { seq: mutation.seq });
                }
                Some(_) => continue,
                None if mutation.seq <= expected => {
                    return Err(EngineError::ClientReset { seq: mutation.seq });
                }
                None if mutation.seq != expected + 1 => {
                    return Err(EngineError::SequenceGap {
                        expected: expected + 1,
                        got: mutation.seq,
                    });
                }
                None => expected = mutation.seq,
            }
        }
        let mut results = Vec::with_capacity(request.mutations.len());
        let mut wrote = false;
        for mutation in &request.mutations {
            if let Some(recorded) = tx.recorded(client, mutation.seq).await? {
                // The first outcome, with the item as it is now: the one recorded then may
                // have been changed since, and a client must not show an older value.
                let item = tx.item(mutation.item_id).await?.map(|i| i.state());
                results.push(MutationResult {
                    item,
                    ..recorded.result
                });
                continue;
            }
            let result = match tx.recorded_by_id(mutation.mutation_id).await? {
                // The same change under another client id (a copied database pushing what
                // the original pushed): applied once, answered alike.
                Some(recorded) => MutationResult {
                    seq: mutation.seq,
                    item: tx.item(mutation.item_id).await?.map(|i| i.state()),
                    ..recorded.result
                },
                None => {
                    let at = (self.clock)();
                    let applied = self
                        .apply(tx, caller, (program, seen), client, mutation, &at)
                        .await?;
                    let (action, detail) = match &applied.outcome {
                        Outcome::Applied { version, conflicts } if conflicts.is_empty() => {
                            ("applied", json!({"version": version}))
                        }
                        Outcome::Applied { version, conflicts } => (
                            "conflict",
                            json!({"version": version, "conflicts": conflicts.iter().map(|c| c.id).collect::<Vec<_>>()}),
                        ),
                        Outcome::Rejected { code, reason } => {
                            ("rejected", json!({"code": code, "reason": reason}))
                        }
                    };
                    outcomes.push(action);
                    tx.audit(AuditEvent {
                        at,
                        subject: caller.author.subject.clone(),
                        program: Some(program),
                        action: action.into(),
                        detail: json!({
                            "mutation": mutation.mutation_id,
                            "client": client,
                            "seq": mutation.seq,
                            "kind": mutation.kind,
                            "item": mutation.item_id,
                            "op": op_name(&mutation.operation),
                            "result": detail,
                        }),
                    })
                    .await?;
                    MutationResult {
                        seq: mutation.seq,
                        mutation_id: mutation.mutation_id,
                        outcome: applied.outcome,
                        item: applied.item.map(|i| i.state()),
                    }
                }
            };
            tx.record(client, &result).await?;
            wrote = true;
            results.push(result);
        }
        Ok((
            PushResponse {
                results,
                history: None,
            },
            wrote,
        ))
    }
}
