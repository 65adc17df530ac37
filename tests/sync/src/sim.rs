//! The deterministic simulation's network: each client reaches the engine (over the memory
//! storage) through a transport that, as the seed decides, drops requests, loses answers,
//! delivers requests twice, delivers an old request again later, and cuts clients off. A
//! client "crashes" by having its sync stopped between two steps and its database reopened.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use roadbook_model::Id;
use roadbook_protocol::{
    ArchivedDocument, DocumentsPage, ErrorBody, Events, JoinRequest, Me, Mutation, Outcome,
    ProgramInfo, PublishRequest, PublishResponse, Pull, PushRequest, PushResponse, Snapshot,
};
use roadbook_server::engine::{Caller, Engine, EngineError};
use roadbook_server::storage::memory::MemoryStorage;
use roadbook_sync::{Transport, TransportError};

pub use roadbook_model::fixtures::Rng;

/// True with probability `percent` in 100.
pub fn chance(rng: &mut Rng, percent: u64) -> bool {
    (rng.below(100) as u64) < percent
}

/// What the network does to messages, and who is cut off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub drop_request: u64,
    pub lose_answer: u64,
    pub duplicate: u64,
    pub replay_old: u64,
    pub server_crash: u64,
}

pub struct Network {
    pub rng: Mutex<Rng>,
    pub faults: Mutex<Faults>,
    pub cut_off: Mutex<BTreeSet<usize>>,
    pub storage: Arc<MemoryStorage>,
    /// Pushes delivered so far, to deliver one again later (a reordered, delayed copy).
    old_pushes: Mutex<Vec<(Id, Caller, PushRequest)>>,
    /// Every result a client received for a change: (client id, seq, applied version).
    pub answers: Mutex<Vec<(Id, u64, Option<u64>)>>,
    /// Transport calls each client may still make before it "crashes" (none: no crash).
    pub crash_after: Mutex<Vec<Option<u32>>>,
    /// Every mutation that reached the server, by its id: who sent it and what it said.
    pub pushed: Mutex<BTreeMap<Id, (String, Mutation)>>,
    /// The next publish reaches the server, and its answer is lost.
    pub lose_next_publish: Mutex<bool>,
    /// Every conflict a push's answer carried (a restore can take them back from the server).
    pub conflicts: Mutex<Vec<roadbook_protocol::Conflict>>,
}

impl Network {
    pub fn new(seed: u64, storage: Arc<MemoryStorage>, clients: usize) -> Arc<Network> {
        Arc::new(Network {
            rng: Mutex::new(Rng::new(seed)),
            faults: Mutex::new(Faults::default()),
            cut_off: Mutex::new(BTreeSet::new()),
            storage,
            old_pushes: Mutex::new(Vec::new()),
            answers: Mutex::new(Vec::new()),
            crash_after: Mutex::new(vec![None; clients]),
            pushed: Mutex::new(BTreeMap::new()),
            lose_next_publish: Mutex::new(false),
            conflicts: Mutex::new(Vec::new()),
        })
    }

    fn roll(&self, percent: u64) -> bool {
        chance(&mut self.rng.lock().unwrap(), percent)
    }
}

fn refused(err: EngineError) -> TransportError {
    let status = err.status();
    let body = ErrorBody {
        code: err.code().to_owned(),
        message: err.to_string(),
    };
    TransportError::Refused {
        status,
        code: body.code,
        message: body.message,
    }
}

pub struct SimTransport {
    pub engine: Arc<Engine>,
    pub caller: Caller,
    pub index: usize,
    pub net: Arc<Network>,
}

impl SimTransport {
    /// Whether this call gets through at all: not cut off, not dropped, not "crashed".
    fn deliver(&self) -> Result<(), TransportError> {
        {
            let mut crash = self.net.crash_after.lock().unwrap();
            if let Some(left) = crash[self.index].as_mut() {
                if *left == 0 {
                    return Err(TransportError::Network("the client crashed".into()));
                }
                *left -= 1;
            }
        }
        if self.net.cut_off.lock().unwrap().contains(&self.index) {
            return Err(TransportError::Network("cut off".into()));
        }
        let faults = *self.net.faults.lock().unwrap();
        if self.net.roll(faults.drop_request) {
            return Err(TransportError::Network("request dropped".into()));
        }
        Ok(())
    }

    fn answer<T>(&self, result: Result<T, EngineError>) -> Result<T, TransportError> {
        let answer = result.map_err(refused)?;
        let faults = *self.net.faults.lock().unwrap();
        if self.net.roll(faults.lose_answer) {
            return Err(TransportError::Network("answer lost".into()));
        }
        Ok(answer)
    }
}

#[async_trait]
impl Transport for SimTransport {
    fn server(&self) -> &str {
        "sim://server"
    }

    async fn usage(
        &self,
        report: &roadbook_protocol::UsageReport,
    ) -> Result<roadbook_protocol::UsageAnswer, TransportError> {
        self.deliver()?;
        let result = self.engine.usage(&self.caller, report.clone()).await;
        self.answer(result)
    }

    async fn me(&self) -> Result<Me, TransportError> {
        self.deliver()?;
        Ok(self.engine.me(&self.caller))
    }

    async fn programs(&self) -> Result<Vec<ProgramInfo>, TransportError> {
        self.deliver()?;
        let result = self.engine.programs(&self.caller).await;
        self.answer(result)
    }

    async fn publish(&self, request: &PublishRequest) -> Result<PublishResponse, TransportError> {
        self.deliver()?;
        let result = self.engine.publish(&self.caller, request.clone()).await;
        if std::mem::take(&mut *self.net.lose_next_publish.lock().unwrap()) {
            return Err(TransportError::Network(
                "the publish's answer was lost".into(),
            ));
        }
        self.answer(result)
    }

    async fn join(&self, program: Id, request: &JoinRequest) -> Result<Snapshot, TransportError> {
        self.deliver()?;
        let result = self
            .engine
            .join(&self.caller, program, request.client_id, request.next_seq)
            .await;
        self.answer(result)
    }

    async fn push(
        &self,
        program: Id,
        request: &PushRequest,
    ) -> Result<PushResponse, TransportError> {
        self.deliver()?;
        let faults = *self.net.faults.lock().unwrap();
        // An old push arrives late, before this one (any client's, with its caller).
        if self.net.roll(faults.replay_old) {
            let old = {
                let pushes = self.net.old_pushes.lock().unwrap();
                let pick = self.net.rng.lock().unwrap().below(pushes.len());
                pushes.get(pick).cloned()
            };
            if let Some((program, caller, old)) = old {
                let _ = self.engine.push(&caller, program, old).await;
            }
        }
        {
            let mut pushed = self.net.pushed.lock().unwrap();
            for m in &request.mutations {
                pushed
                    .entry(m.mutation_id)
                    .or_insert_with(|| (self.caller.author.subject.clone(), m.clone()));
            }
        }
        if self.net.roll(faults.server_crash) {
            self.net.storage.fail_next_commits(1);
        }
        let result = self
            .engine
            .push(&self.caller, program, request.clone())
            .await;
        self.net.storage.fail_next_commits(0);
        if result.is_ok() {
            self.net.old_pushes.lock().unwrap().push((
                program,
                self.caller.clone(),
                request.clone(),
            ));
        }
        if self.net.roll(faults.duplicate) {
            let _ = self
                .engine
                .push(&self.caller, program, request.clone())
                .await;
        }
        if let Ok(answer) = &result {
            let mut seen = self.net.conflicts.lock().unwrap();
            for r in &answer.results {
                if let Outcome::Applied { conflicts, .. } = &r.outcome {
                    seen.extend(conflicts.iter().cloned());
                }
            }
        }
        let answer = self.answer(result)?;
        let mut answers = self.net.answers.lock().unwrap();
        for r in &answer.results {
            let version = match r.outcome {
                Outcome::Applied { version, .. } if version > 0 => Some(version),
                _ => None,
            };
            answers.push((request.client_id, r.seq, version));
        }
        Ok(answer)
    }

    async fn pull(
        &self,
        program: Id,
        after: u64,
        limit: usize,
        history: Option<Id>,
    ) -> Result<Pull, TransportError> {
        self.deliver()?;
        // Small pages, so a crash can land between two of them.
        let result = self
            .engine
            .pull(&self.caller, program, after, limit.min(7), history)
            .await;
        self.answer(result)
    }

    async fn events(
        &self,
        program: Id,
        after: u64,
        documents_after: u64,
        history: Option<Id>,
    ) -> Result<Events, TransportError> {
        self.deliver()?;
        let result = self
            .engine
            .events(&self.caller, program, after, Some(documents_after), history)
            .await;
        self.answer(result)
    }

    async fn share_document(
        &self,
        program: Id,
        document: &ArchivedDocument,
    ) -> Result<(), TransportError> {
        self.deliver()?;
        let result = self
            .engine
            .share_document(&self.caller, program, document.clone())
            .await;
        self.answer(result).map(|_| ())
    }

    async fn documents(&self, program: Id, after: u64) -> Result<DocumentsPage, TransportError> {
        self.deliver()?;
        let result = self.engine.documents(&self.caller, program, after).await;
        self.answer(result)
    }

    async fn links(&self, program: Id) -> Result<Vec<roadbook_model::Link>, TransportError> {
        self.deliver()?;
        let result = self.engine.links(&self.caller, program).await;
        self.answer(result)
    }
}
