//! The sync protocol between Roadbook and `roadbook-server`: the wire types both ends use, and
//! nothing else (no IO, no HTTP client, no database).
//!
//! The server keeps one change log per program; every change it applies gets the next position
//! in that log, and that position is the version of every field it writes. A client pushes its
//! local changes ([`Mutation`]s, each with the server version of each field it last pulled),
//! pulls the log after its cursor ([`Pull`]), and learns of new changes through a long poll
//! ([`Events`]). Every request names the protocol version it speaks in the
//! [`PROTOCOL_HEADER`] header; a server that does not speak it answers `upgrade_required`.

use std::collections::BTreeMap;

use roadbook_model::{Id, Kind, SetDelta, UsageKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The protocol this build speaks. Bumped when a change would be misread by the other end.
///
/// 2 adds what a person did to a set (`FieldChange::set`), the server's history id on every
/// program answer and in every push, pull and long poll (a restored server is a new history),
/// the caller's role with a pull or a join, and what an answered publish held
/// (`PublishResponse::through_seq`).
///
/// 3 adds when a change was made (the edit's own time, `Mutation::made_at`, beside when the
/// server applied it: `Change::made_at`, `Side::made_at`) and the fields a person left as they
/// were beside one they changed in a guarded group (`FieldChange::kept`), so a decision's status,
/// outcome, rationale, decided by and on are held in one conflict and settled whole.
///
/// A server answers clients of every version from
/// [`OLDEST_PROTOCOL_VERSION`] on, leaving out what they would not read; a client that meets an
/// older server speaks the older protocol to it ([`Versioned::for_protocol`]).
pub const PROTOCOL_VERSION: u32 = 3;
/// The oldest protocol this build still speaks, as a server and as a client.
pub const OLDEST_PROTOCOL_VERSION: u32 = 1;
/// The request header that carries [`PROTOCOL_VERSION`].
pub const PROTOCOL_HEADER: &str = "roadbook-protocol";
/// Break-glass: an admin path for subjects the server lists, with the reason on every request.
pub const BREAK_GLASS_HEADER: &str = "roadbook-break-glass";
/// Most mutations one push may carry; a client sends more in several pushes.
pub const MAX_MUTATIONS_PER_PUSH: usize = 500;
/// Most changes one pull answers with; `more` says when there are others.
pub const MAX_CHANGES_PER_PULL: usize = 5000;
/// How long the server holds a long poll open before answering that nothing changed.
pub const EVENTS_WAIT_SECONDS: u64 = 25;
/// Most archived documents one page of the shared archive answers with.
pub const MAX_DOCUMENTS_PER_PAGE: usize = 20;
/// The most usage counts one request carries.
pub const MAX_USAGE_EVENTS: usize = 1000;

/// What a person may do on a program: the model's word, spoken on the wire as it is.
pub use roadbook_model::Role;

/// Every error answer: a code to match on and a message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// The error codes a client acts on.
pub mod codes {
    /// The request is not what the protocol says (malformed JSON, wrong types, unknown fields).
    pub const BAD_REQUEST: &str = "bad_request";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    /// A program with this id is on the server already.
    pub const EXISTS: &str = "exists";
    /// A push skipped a sequence number: an earlier change is missing.
    pub const SEQUENCE_GAP: &str = "sequence_gap";
    /// A sequence number the server has seen with another change: the database was copied or
    /// restored; the client takes a fresh client id and pushes again.
    pub const CLIENT_RESET: &str = "client_reset";
    pub const TOO_LARGE: &str = "too_large";
    pub const UPGRADE_REQUIRED: &str = "upgrade_required";
    pub const UNAVAILABLE: &str = "unavailable";
    /// The server's history is not the one the client's positions and versions belong to
    /// (its database was restored from a backup, or made anew): the client takes the program
    /// afresh, keeps what waits to be pushed, and sends again what the server lost.
    pub const HISTORY_CHANGED: &str = "history_changed";
    /// Too many of one kind of request from one person for now; the message says how long to
    /// wait.
    pub const TOO_MANY: &str = "too_many";
}

/// What a message carries that an older protocol does not read: cleared before it goes to (or
/// comes from) a peer that speaks only the older protocol. Every field cleared is one the older
/// protocol never sees, so an older peer reads the message as it always did.
pub trait Versioned {
    fn for_protocol(self, version: u32) -> Self;
}

/// A program the caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramInfo {
    pub id: Id,
    pub name: String,
    /// What the caller may do on it.
    pub role: Role,
    /// The position of the last change in its log.
    pub head: u64,
}

/// An item as a whole: its kind, id and every field, with `position` (its order key) and
/// `deleted` (a tombstone) among them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub kind: Kind,
    pub id: Id,
    pub fields: Map<String, Value>,
}

/// An item as the server holds it: every field and the version it was last written at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemState {
    pub kind: Kind,
    pub id: Id,
    pub fields: Map<String, Value>,
    pub versions: BTreeMap<String, u64>,
}

/// `POST /v1/programs`: a lead publishes a local program; the server copy becomes the program's
/// authority. The client's later changes continue at `next_seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    pub program: Id,
    pub client_id: Id,
    /// The sequence number of the first change the client will push after this snapshot.
    pub next_seq: u64,
    pub items: Vec<Item>,
}

/// The answer to a publish: the log's head and the version each item was written at. A publish
/// sent again by the client that published (its first answer was lost) is answered alike, as of
/// that first publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishResponse {
    pub cursor: u64,
    pub versions: BTreeMap<Id, u64>,
    /// The server's history (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Id>,
    /// The last of the client's sequence numbers the server's copy holds: the changes after it
    /// are still to be pushed (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through_seq: Option<u64>,
}

impl Versioned for PublishResponse {
    fn for_protocol(self, version: u32) -> Self {
        if version >= 2 {
            return self;
        }
        PublishResponse {
            history: None,
            through_seq: None,
            ..self
        }
    }
}

/// `POST /v1/programs/{id}/join`: a teammate's database takes the program. The client's
/// changes to it start at `next_seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub client_id: Id,
    pub next_seq: u64,
}

/// The program as it is now: every item (tombstones included) with its field versions, the
/// log position it is as of, and the open conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub program: Id,
    pub cursor: u64,
    pub items: Vec<ItemState>,
    pub conflicts: Vec<Conflict>,
    /// The server's history (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Id>,
    /// The program's log position where this history began: positions up to it are the same in
    /// the history before (protocol 2). 0 for a program published in this history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fork: Option<u64>,
    /// What the caller may do on the program (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

impl Versioned for Snapshot {
    fn for_protocol(self, version: u32) -> Self {
        let snapshot = Snapshot {
            conflicts: self.conflicts.for_protocol(version),
            ..self
        };
        if version >= 2 {
            return snapshot;
        }
        Snapshot {
            history: None,
            fork: None,
            role: None,
            ..snapshot
        }
    }
}

/// One field of an update: its new value and the server version the person last pulled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    pub value: Value,
    pub base_version: u64,
    /// For a set-valued field, what the person added and removed (protocol 2): the server
    /// applies it to whatever it holds, so no base is needed. `value` is what the set became
    /// here, for a server of protocol 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<SetDelta>,
    /// Left as the person saw it, sent beside a changed field of the same guarded group
    /// (protocol 3): never written, only compared, so a teammate's change to any field of the
    /// group holds the whole group in one conflict with the person's full version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
}

/// What a mutation does to its item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    /// A new item with every field, its position included.
    Create { fields: Map<String, Value> },
    /// The fields a person changed; fields not named are untouched.
    Update {
        fields: BTreeMap<String, FieldChange>,
    },
    /// A tombstone, with the versions of the item the person last pulled.
    Delete {
        base_versions: BTreeMap<String, u64>,
    },
    /// A person's answer to a conflict on this item.
    Resolve { conflict: Id, choice: Choice },
}

/// How a conflict is settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "keep", rename_all = "snake_case", deny_unknown_fields)]
pub enum Choice {
    /// The value the server kept when the conflict opened.
    Theirs,
    /// The value the conflicting change wanted.
    Mine,
    /// A value the person wrote, merging both.
    Merged { value: Value },
}

/// One local change, as the client's outbox holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    /// The client's sequence number in this program: 1, 2, 3, ... with no gaps.
    pub seq: u64,
    /// The change's own id, kept across a copy of the client's database.
    pub mutation_id: Id,
    pub kind: Kind,
    pub item_id: Id,
    pub operation: Operation,
    /// When the person made the change, by their computer's clock (RFC 3339, protocol 3): a
    /// change made offline on Monday and pushed on Friday was made on Monday. The server keeps
    /// its own time of applying it beside, and never takes a time later than that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
}

/// `POST /v1/programs/{id}/push`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub client_id: Id,
    pub mutations: Vec<Mutation>,
    /// The server history the mutations' base versions belong to (protocol 2): a server in
    /// another history refuses the push with `history_changed` instead of reading them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Id>,
}

impl Versioned for PushRequest {
    fn for_protocol(self, version: u32) -> Self {
        if version >= 3 {
            return self;
        }
        let version_2 = PushRequest {
            mutations: self
                .mutations
                .into_iter()
                .map(|mut m| {
                    m.made_at = None;
                    if let Operation::Update { fields } = &mut m.operation {
                        // A protocol-2 server would write a field left as it was.
                        fields.retain(|_, change| !change.kept);
                    }
                    m
                })
                .collect(),
            ..self
        };
        if version >= 2 {
            return version_2;
        }
        PushRequest {
            history: None,
            mutations: version_2
                .mutations
                .into_iter()
                .map(|mut m| {
                    if let Operation::Update { fields } = &mut m.operation {
                        for change in fields.values_mut() {
                            change.set = None;
                        }
                    }
                    m
                })
                .collect(),
            ..version_2
        }
    }
}

/// The answer to a push: one result per mutation, in order, each committed on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
    /// The server's history (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Id>,
}

impl Versioned for PushResponse {
    fn for_protocol(self, version: u32) -> Self {
        let results = self
            .results
            .into_iter()
            .map(|mut r| {
                if let Outcome::Applied { conflicts, .. } = &mut r.outcome {
                    *conflicts = std::mem::take(conflicts).for_protocol(version);
                }
                r
            })
            .collect();
        if version >= 2 {
            return PushResponse { results, ..self };
        }
        PushResponse {
            history: None,
            results,
        }
    }
}

/// What the server did with one mutation. A replay of a mutation it already applied is answered
/// with the first result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutationResult {
    pub seq: u64,
    pub mutation_id: Id,
    pub outcome: Outcome,
    /// The item as the server has it after this mutation (none: the server has no such item),
    /// so a client whose change was refused or held in a conflict shows the server's values.
    pub item: Option<ItemState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Written at log position `version` (0: it changed nothing). Fields that clashed with a
    /// change the client had not seen are held in `conflicts`, the server's value standing.
    Applied {
        version: u64,
        conflicts: Vec<Conflict>,
    },
    /// Refused and not written; the client sets it aside for the person with the reason.
    Rejected { code: String, reason: String },
}

/// Who wrote a value, and when (RFC 3339, UTC): when the server applied it, and when the person
/// made it (protocol 3; none for a change from an older client). Who changed it first is read
/// from `made_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    pub value: Value,
    pub author: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
}

impl Side {
    /// When the change was made: the person's own time where it is known, else the server's.
    pub fn made(&self) -> &str {
        self.made_at.as_deref().unwrap_or(&self.at)
    }
}

impl Versioned for Vec<Conflict> {
    fn for_protocol(self, version: u32) -> Self {
        if version >= 3 {
            return self;
        }
        self.into_iter()
            .map(|mut c| {
                c.theirs.made_at = None;
                c.mine.made_at = None;
                c
            })
            .collect()
    }
}

/// Two changes to a field that a person must settle: the value the server kept and the value
/// the later change wanted. Until someone resolves it, the server's value stands and every
/// replica shows the conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub id: Id,
    pub kind: Kind,
    pub item_id: Id,
    /// The field, or `deleted` for a delete that met an edit (or an edit that met a delete).
    pub field: String,
    pub theirs: Side,
    pub mine: Side,
    /// The client whose change met the server's value.
    pub client_id: Id,
}

/// One entry of a program's change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub version: u64,
    pub kind: Kind,
    pub item_id: Id,
    /// Who made it (the server takes it from the caller's sign-in) and when the server applied
    /// it.
    pub author: String,
    pub at: String,
    /// When the person made it, by their clock (protocol 3; none when not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
    /// The fields it wrote, `position` and `deleted` among them when they changed; every field
    /// for a new item.
    pub fields: Map<String, Value>,
    /// The client and sequence number of the mutation it applied, when it came from a push.
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub client_id: Id,
    pub seq: u64,
}

/// `GET /v1/programs/{id}/changes?after=CURSOR&limit=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pull {
    /// Changes after the cursor asked for, in log order.
    pub changes: Vec<Change>,
    /// Where the next pull starts: the last change's version, or the cursor asked for.
    pub cursor: u64,
    /// More changes wait after `cursor`.
    pub more: bool,
    /// The open conflicts of the program (all of them, every time: a resolved one is gone).
    pub conflicts: Vec<Conflict>,
    /// Set when the cursor asked for is older than the log the server still holds: the whole
    /// program instead of the changes, as of `cursor`.
    pub snapshot: Option<Vec<ItemState>>,
    /// The server's history (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Id>,
    /// What the caller may do on the program (protocol 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

impl Versioned for Pull {
    fn for_protocol(self, version: u32) -> Self {
        let mut pull = Pull {
            conflicts: self.conflicts.for_protocol(version),
            ..self
        };
        if version < 3 {
            for change in &mut pull.changes {
                change.made_at = None;
            }
        }
        if version >= 2 {
            return pull;
        }
        Pull {
            history: None,
            role: None,
            ..pull
        }
    }
}

/// `GET /v1/programs/{id}/events?after=CURSOR`: answered as soon as the log goes past the
/// cursor, or after [`EVENTS_WAIT_SECONDS`] with the head unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    pub head: u64,
    /// The position of the last document in the program's shared archive.
    #[serde(default)]
    pub documents: u64,
    /// The server's history (protocol 2): a long poll answers at once when it is not the one
    /// the client named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Id>,
}

impl Versioned for Events {
    fn for_protocol(self, version: u32) -> Self {
        if version >= 2 {
            return self;
        }
        Events {
            history: None,
            ..self
        }
    }
}

/// `GET /v1/me`: who the server takes the caller to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Me {
    pub subject: String,
    pub name: String,
    pub groups: Vec<String>,
    /// The role the groups give on every program (a program may grant more).
    pub role: Option<Role>,
}

/// `GET /v1/sign-in`: where this server's people sign in, so `roadbook login --server URL`
/// needs nothing else. Public: it names no person and no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInSettings {
    pub issuer: String,
    pub client_id: String,
    /// The API's audience, sent as the `resource` indicator (none for providers that fix it).
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    /// The loopback ports registered for the desktop app (0: any).
    pub redirect_ports: Vec<u16>,
    pub groups_claim: String,
}

/// The routes, so both ends spell them once.
/// A document a person issued, in the program's shared archive: what it was, when and by whom,
/// and the exact data it showed, from which any teammate renders the same bytes again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedDocument {
    pub id: Id,
    /// readout, memo, packet, dashboard, register (a newer Roadbook may add kinds).
    pub kind: String,
    pub issued_at: String,
    pub as_of: String,
    pub parameters: Value,
    /// The data the document showed, as the issuing Roadbook wrote it (JSON text, kept byte
    /// for byte).
    pub snapshot: String,
    pub pdf_sha256: String,
    pub pdf_bytes: u64,
    pub pages: u32,
    /// The "Prepared by" of the document.
    pub author: String,
    /// Who shared it, as the server's sign-in names them; set by the server.
    #[serde(default)]
    pub shared_by: Option<String>,
}

/// One usage count from a person who shares them: its id (a resend is stored once), its kind
/// and its day. Nothing else can be said: the kinds are a closed list and unknown fields are
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageEvent {
    pub id: Id,
    pub kind: UsageKind,
    /// `YYYY-MM-DD`.
    pub day: String,
}

/// `POST /v1/usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReport {
    pub events: Vec<UsageEvent>,
}

/// The answer: how many of the events were new to the server (the rest it had).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageAnswer {
    pub stored: usize,
}

/// How many of one kind on one day, for admins (`GET /v1/usage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageCount {
    pub day: String,
    pub kind: UsageKind,
    pub count: u64,
}

/// One page of a program's shared archive, in the order the server received the documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsPage {
    pub documents: Vec<ArchivedDocument>,
    /// Ask for the documents after this position next.
    pub cursor: u64,
    pub more: bool,
}

/// Whether a URL's host (as `Url::host_str` gives it, IPv6 in brackets) is this machine: the
/// one place plain http may carry a token, for the client's server and the server's issuer
/// alike. Read from the parsed host, never the text's start: "127.0.0.1.example.com" is not.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The groups a token's groups claim names: a list of names, or one name alone (some providers
/// send a single group as a string); anything else names none. The server maps them to roles,
/// the app shows them after sign-in: both read the claim so.
pub fn groups_in(claim: Option<&serde_json::Value>) -> Vec<String> {
    match claim {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

pub mod routes {
    pub const HEALTH: &str = "/healthz";
    pub const READY: &str = "/readyz";
    pub const ME: &str = "/v1/me";
    pub const PROGRAMS: &str = "/v1/programs";
    pub const SIGN_IN: &str = "/v1/sign-in";
    /// Usage counts: sent by apps that share them, read as counts by admins.
    pub const USAGE: &str = "/v1/usage";
    /// The audit trail, for admins (outside /v1: not part of the sync protocol).
    pub const AUDIT: &str = "/audit";
    /// Prometheus metrics, for the cluster's scraper (outside /v1, no token: see operations.md).
    pub const METRICS: &str = "/metrics";

    /// The routes of one program, as templates (`{program}` stands for its id): the server
    /// routes by these, and a client fills them in with the functions below, so the two never
    /// spell a path differently.
    pub const JOIN: &str = "/v1/programs/{program}/join";
    pub const PUSH: &str = "/v1/programs/{program}/push";
    pub const CHANGES: &str = "/v1/programs/{program}/changes";
    pub const EVENTS: &str = "/v1/programs/{program}/events";
    pub const DOCUMENTS: &str = "/v1/programs/{program}/documents";
    /// Dependencies between this program and others, as the server judges them
    /// (`Vec<roadbook_model::Link>`; what the caller may not see of the other program left out).
    pub const LINKS: &str = "/v1/programs/{program}/links";

    fn of(template: &str, program: impl std::fmt::Display) -> String {
        template.replace("{program}", &program.to_string())
    }
    pub fn join(program: impl std::fmt::Display) -> String {
        of(JOIN, program)
    }
    pub fn push(program: impl std::fmt::Display) -> String {
        of(PUSH, program)
    }
    pub fn changes(program: impl std::fmt::Display) -> String {
        of(CHANGES, program)
    }
    pub fn events(program: impl std::fmt::Display) -> String {
        of(EVENTS, program)
    }
    pub fn documents(program: impl std::fmt::Display) -> String {
        of(DOCUMENTS, program)
    }
    pub fn links(program: impl std::fmt::Display) -> String {
        of(LINKS, program)
    }
}

#[cfg(test)]
mod tests {

    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_groups_claim_is_a_list_or_one_name() {
        use serde_json::json;
        let list = json!(["rb-leads", 7, "rb-editors"]);
        assert_eq!(groups_in(Some(&list)), vec!["rb-leads", "rb-editors"]);
        assert_eq!(groups_in(Some(&json!("rb-leads"))), vec!["rb-leads"]);
        assert!(groups_in(Some(&json!({"rb-leads": true}))).is_empty());
        assert!(groups_in(None).is_empty());
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.1",
            "[::1]",
            "::1",
        ] {
            assert!(super::is_loopback_host(host), "{host}");
        }
        for host in [
            "127.0.0.1.example.com",
            "example.com",
            "10.0.0.1",
            "[::2]",
            "",
        ] {
            assert!(!super::is_loopback_host(host), "{host}");
        }
    }
    use serde_json::json;

    #[test]
    fn a_mutation_reads_as_the_wire_spells_it_and_refuses_unknown_fields() {
        let id = Id::new();
        let wire = json!({
            "seq": 3, "mutation_id": id, "kind": "decision", "item_id": id,
            "operation": {"op": "update", "fields": {"title": {"value": "Okta", "base_version": 7}}}
        });
        let mutation: Mutation = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(mutation.seq, 3);
        assert!(
            matches!(mutation.operation, Operation::Update { ref fields } if fields["title"].base_version == 7)
        );
        assert_eq!(serde_json::to_value(&mutation).unwrap(), wire);
        let mut extra = wire;
        extra["colour"] = json!("red");
        assert!(serde_json::from_value::<Mutation>(extra).is_err());
    }

    #[test]
    fn a_program_s_paths_are_its_route_templates_filled_in() {
        let id = "01a2b3c4-0000-7000-8000-000000000001";
        for (path, template) in [
            (routes::join(id), routes::JOIN),
            (routes::push(id), routes::PUSH),
            (routes::changes(id), routes::CHANGES),
            (routes::events(id), routes::EVENTS),
            (routes::documents(id), routes::DOCUMENTS),
        ] {
            assert_eq!(path, template.replace("{program}", id));
            assert!(path.starts_with("/v1/programs/01a2b3c4-") && !path.contains('{'));
        }
    }

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(
            Role::Viewer < Role::Editor && Role::Editor < Role::Lead && Role::Lead < Role::Admin
        );
        assert_eq!("lead".parse::<Role>().unwrap(), Role::Lead);
        assert!("owner".parse::<Role>().is_err());
    }
}
