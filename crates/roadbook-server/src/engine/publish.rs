//! Publishing and joining a program, pulling its log, the shared archive and the long poll.

use super::*;

impl Engine {
    /// A lead's local program becomes the server's: checked as a whole, then written with one
    /// log entry per item.
    pub async fn publish(
        &self,
        caller: &Caller,
        request: PublishRequest,
    ) -> EngineResult<PublishResponse> {
        require(caller, Role::Lead, "publishing a program")?;
        let history = self.history().await?;
        // Sent again by the client that published it (the first answer was lost): answered as
        // that publish was, whatever this copy holds now; the changes after it are pushed.
        if let Some(row) = self.storage.program(request.program).await? {
            return match row.published {
                Some(first) if first.client == request.client_id => {
                    // Each item at the position its publish wrote it (the log keeps them
                    // unless compacted; then the publish's head, which no later change is below).
                    let written: BTreeMap<Id, u64> = self
                        .storage
                        .changes_after(
                            request.program,
                            0,
                            usize::try_from(first.head).unwrap_or(usize::MAX),
                        )
                        .await?
                        .into_iter()
                        .filter(|c| c.version <= first.head)
                        .map(|c| (c.item_id, c.version))
                        .collect();
                    Ok(PublishResponse {
                        cursor: first.head,
                        versions: request
                            .items
                            .iter()
                            .filter(|i| written.contains_key(&i.id) || row.floor > 0)
                            .map(|i| (i.id, written.get(&i.id).copied().unwrap_or(first.head)))
                            .collect(),
                        history: Some(history),
                        through_seq: Some(first.seq),
                    })
                }
                _ => Err(EngineError::Exists(
                    "the program is on this server already: join it instead".into(),
                )),
            };
        }
        for item in &request.items {
            storable(&Value::Object(item.fields.clone())).map_err(|why| {
                EngineError::Invalid(format!("{} {}: {why}", item.kind.noun(), item.id))
            })?;
        }
        let mut ids: Vec<Id> = request.items.iter().map(|i| i.id).collect();
        ids.push(request.program);
        let taken = self.storage.ids_elsewhere(request.program, &ids).await?;
        if let Some(id) = taken.first() {
            return Err(EngineError::Invalid(format!(
                "{id} is the id of an item of another program on this server ({} such ids): an item's id names one item of one program, so this program cannot be published here as it is",
                taken.len()
            )));
        }
        let mut handbook: Option<Handbook> = None;
        let mut rest = Vec::new();
        for item in &request.items {
            if item.kind == Kind::Program {
                if item.id != request.program {
                    return Err(EngineError::Invalid(format!(
                        "the program record {} is not the program {} being published",
                        item.id, request.program
                    )));
                }
                let body = body_of(&item.fields, item.id);
                let program: Program = serde_json::from_value(Value::Object(body))
                    .map_err(|e| EngineError::Invalid(format!("program: {e}")))?;
                handbook = Some(Handbook::empty(program));
            } else {
                rest.push(item);
            }
        }
        let Some(mut handbook) = handbook else {
            return Err(EngineError::Invalid(
                "the program record is missing from what was published".into(),
            ));
        };
        for item in &rest {
            if item.fields.get(DELETED).and_then(Value::as_bool) == Some(true) {
                continue;
            }
            handbook
                .push_json(
                    item.kind,
                    &Value::Object(body_of(&item.fields, item.id)).to_string(),
                )
                .map_err(|e| {
                    EngineError::Invalid(format!("{} {}: {e}", item.kind.noun(), item.id))
                })?;
            position_of(item)?;
        }
        handbook
            .validate()
            .map_err(|e| EngineError::Invalid(format!("the program was not published: {e}")))?;
        // Items of other programs its dependencies name: each one the person may see here, as
        // a push would have it.
        for d in &handbook.dependencies {
            let Some(on) = d.other_item else { continue };
            let found = self.seen_by(caller, on.item_id).await?;
            roadbook_model::check_other_item(request.program, on, found).map_err(|e| {
                EngineError::Invalid(format!(
                    "the program was not published: {e} (publish that program first, or take the item out of the dependency)"
                ))
            })?;
        }

        let at = (self.clock)();
        let mut items = Vec::new();
        let mut changes = Vec::new();
        let mut versions = BTreeMap::new();
        for (n, item) in request.items.iter().enumerate() {
            let version = n as u64 + 1;
            let mut fields = item.fields.clone();
            fields.remove("id");
            fields.entry(DELETED.to_owned()).or_insert(json!(false));
            if !fields.contains_key(POSITION) {
                fields.insert(POSITION.to_owned(), json!(OrderKey::first().as_str()));
            }
            items.push(StoredItem {
                kind: item.kind,
                id: item.id,
                versions: fields.keys().map(|f| (f.clone(), version)).collect(),
                fields: fields.clone(),
            });
            changes.push(NewChange {
                kind: item.kind,
                item_id: item.id,
                author: caller.author.clone(),
                at: at.clone(),
                made_at: None,
                fields,
                origin: None,
            });
            versions.insert(item.id, version);
        }
        let name = handbook.program.name.clone();
        let head = self
            .storage
            .create_program(
                NewProgram {
                    id: request.program,
                    name: name.clone(),
                    created_by: caller.author.clone(),
                    at: at.clone(),
                    items,
                    changes,
                    client: request.client_id,
                    last_seq: request.next_seq.saturating_sub(1),
                },
                AuditEvent {
                    at,
                    subject: caller.author.subject.clone(),
                    program: Some(request.program),
                    action: "publish".into(),
                    detail: json!({"name": name, "items": request.items.len()}),
                },
            )
            .await?;
        self.live.publish(request.program, head);
        Ok(PublishResponse {
            cursor: head,
            versions,
            history: Some(history),
            through_seq: Some(request.next_seq.saturating_sub(1)),
        })
    }

    /// A teammate's database takes the program: the whole of it, as of now.
    pub async fn join(
        &self,
        caller: &Caller,
        program: Id,
        client: Id,
        next_seq: u64,
    ) -> EngineResult<Snapshot> {
        let on_program = self
            .entitled(caller, program, Role::Viewer, "joining a program")
            .await?;
        self.spend(caller, crate::budget::Spend::Join)?;
        let history = self.history().await?;
        let row = self.known(program).await?;
        self.storage
            .register_client(program, client, next_seq.saturating_sub(1))
            .await?;
        // Joining hands over the whole program: who took a copy is in the trail.
        self.directory
            .note(
                AuditEvent {
                    at: self.now(),
                    subject: caller.author.subject.clone(),
                    program: Some(program),
                    action: "join".into(),
                    detail: json!({ "client": client }),
                },
                false,
            )
            .await?;
        let (items, cursor) = self.storage.snapshot(program).await?;
        let conflicts = self.storage.open_conflicts(program).await?;
        Ok(Snapshot {
            program,
            cursor,
            items,
            conflicts,
            history: Some(history),
            fork: Some(row.fork),
            role: on_program.role,
        })
    }

    pub(super) async fn known(&self, program: Id) -> EngineResult<crate::storage::ProgramRow> {
        self.storage.program(program).await?.ok_or_else(|| {
            EngineError::NotFound(format!("there is no program {program} on this server"))
        })
    }

    /// Changes after `after`, at most `limit`; the whole program when the log no longer reaches
    /// back that far.
    pub async fn pull(
        &self,
        caller: &Caller,
        program: Id,
        after: u64,
        limit: usize,
        history: Option<Id>,
    ) -> EngineResult<Pull> {
        let on_program = self
            .entitled(caller, program, Role::Viewer, "pulling changes")
            .await?;
        let history = Some(self.same_history(history).await?);
        let limit = limit.clamp(1, roadbook_protocol::MAX_CHANGES_PER_PULL);
        let page = self
            .storage
            .page(program, after, limit + 1)
            .await?
            .ok_or_else(|| {
                EngineError::NotFound(format!("there is no program {program} on this server"))
            })?;
        let (row, mut changes, conflicts) = (page.row, page.changes, page.conflicts);
        // Before the floor: the log no longer reaches back that far. Past the head: the
        // client has seen changes this database no longer has (it was restored from a
        // backup), and changes written from now on take those positions again; either way
        // the whole program, so no replica skips what is written next.
        if after < row.floor || after > row.head {
            let (items, cursor) = self.storage.snapshot(program).await?;
            return Ok(Pull {
                changes: Vec::new(),
                cursor,
                more: false,
                conflicts,
                snapshot: Some(items),
                history,
                role: on_program.role,
            });
        }
        let more = changes.len() > limit;
        changes.truncate(limit);
        self.metrics.pull(changes.len());
        let cursor = changes.last().map_or(after, |c| c.version);
        Ok(Pull {
            changes,
            cursor,
            more,
            conflicts,
            snapshot: None,
            history,
            role: on_program.role,
        })
    }

    /// Adds an issued document to the program's shared archive, credited to the caller. Sharing
    /// one twice keeps the first.
    pub async fn share_document(
        &self,
        caller: &Caller,
        program: Id,
        mut document: ArchivedDocument,
    ) -> EngineResult<bool> {
        let caller = &self
            .entitled(caller, program, Role::Editor, "sharing an issued document")
            .await?;
        self.spend(caller, crate::budget::Spend::Document)?;
        self.known(program).await?;
        let invalid = |what: &str| EngineError::Invalid(format!("the document's {what}"));
        if document.kind.is_empty()
            || document.kind.len() > 40
            || !document
                .kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
        {
            return Err(invalid("kind is not a kind of document"));
        }
        if let Err(why) = serde_json::to_value(&document)
            .map_err(|e| e.to_string())
            .and_then(|v| storable(&v))
        {
            return Err(EngineError::Invalid(format!("the document: {why}")));
        }
        if document.pdf_sha256.len() != 64
            || !document.pdf_sha256.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(invalid("SHA-256 is not 64 hex digits"));
        }
        if !serde_json::from_str::<Value>(&document.snapshot).is_ok_and(|v| v.is_object()) {
            return Err(invalid("snapshot is not the JSON of a program's data"));
        }
        for (what, moment) in [
            ("issue time", &document.issued_at),
            ("as-of", &document.as_of),
        ] {
            if chrono::DateTime::parse_from_rfc3339(moment).is_err() {
                return Err(invalid(&format!("{what} is not an RFC 3339 time")));
            }
        }
        document.shared_by = Some(caller.author.name.clone());
        let at = (self.clock)();
        let audit = AuditEvent {
            at,
            subject: caller.author.subject.clone(),
            program: Some(program),
            action: "document_issued".into(),
            detail: json!({
                "document": document.id,
                "kind": document.kind,
                "as_of": document.as_of,
                "pdf_sha256": document.pdf_sha256,
            }),
        };
        let position = self
            .storage
            .share_document(program, &document, audit)
            .await?;
        if let Some(position) = position {
            self.live.publish_documents(program, position);
        }
        Ok(position.is_some())
    }

    /// The shared archive after position `after`, a page at a time.
    pub async fn documents(
        &self,
        caller: &Caller,
        program: Id,
        after: u64,
    ) -> EngineResult<DocumentsPage> {
        self.entitled(caller, program, Role::Viewer, "reading the shared archive")
            .await?;
        self.known(program).await?;
        let limit = roadbook_protocol::MAX_DOCUMENTS_PER_PAGE;
        let mut page = self
            .storage
            .documents_after(program, after, limit + 1)
            .await?;
        let more = page.len() > limit;
        page.truncate(limit);
        let cursor = page.last().map_or(after, |(position, _)| *position);
        Ok(DocumentsPage {
            documents: page.into_iter().map(|(_, d)| d).collect(),
            cursor,
            more,
        })
    }

    /// Answers as soon as the program's log is past `after`, or when the wait runs out; at
    /// once when the server's history is not the one the client named.
    pub async fn events(
        &self,
        caller: &Caller,
        program: Id,
        after: u64,
        documents_after: Option<u64>,
        history: Option<Id>,
    ) -> EngineResult<Events> {
        self.entitled(caller, program, Role::Viewer, "listening for changes")
            .await?;
        let Some(_waiting) = Waiting::start(&self.waiting, &caller.author.subject) else {
            return Err(EngineError::TooMany {
                what: "open waits for changes",
                wait_seconds: 1,
            });
        };
        let current = self.history().await?;
        let answer = self
            .wait_for(
                program,
                after,
                documents_after,
                history.is_some_and(|h| h != current),
            )
            .await;
        // Nobody waits on a program that does not exist, or on one whose poll just ended.
        self.live.release(program);
        let (head, documents) = answer?;
        Ok(Events {
            head,
            documents,
            history: Some(current),
        })
    }

    async fn wait_for(
        &self,
        program: Id,
        after: u64,
        documents_after: Option<u64>,
        now: bool,
    ) -> EngineResult<(u64, u64)> {
        let row = self.known(program).await?;
        // Subscribe, then read the heads again: a change between the two is not missed.
        let mut changes = self.live.subscribe(program);
        let mut documents = self.live.subscribe_documents(program);
        let mut stopping = self.live.stopping();
        let row = self.storage.program(program).await?.unwrap_or(row);
        let moved = |head: u64, archive: u64| {
            head > after || documents_after.is_some_and(|seen| archive > seen)
        };
        // A client past the head (the database was restored) pulls at once and gets the
        // whole program; so does one from another history; a stopping process sends its
        // listeners to the others.
        if now
            || moved(row.head, row.documents)
            || after > row.head
            || *stopping.borrow_and_update()
        {
            return Ok((row.head, row.documents));
        }
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            let (head, archive) = (*changes.borrow_and_update(), *documents.borrow_and_update());
            if moved(head, archive) {
                return Ok((head.max(row.head), archive.max(row.documents)));
            }
            let woke = tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    r = changes.changed() => r.map(|()| true),
                    r = documents.changed() => r.map(|()| true),
                    r = stopping.changed() => r.map(|()| false),
                }
            })
            .await;
            match woke {
                Ok(Ok(true)) => continue,
                _ => {
                    let row = self.known(program).await?;
                    return Ok((row.head, row.documents));
                }
            }
        }
    }
}
