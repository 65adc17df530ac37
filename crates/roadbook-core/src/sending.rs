//! Before a document goes to leadership: the check both front ends show (what the team's copy
//! does not agree on yet, first, then the program's own findings), and issuing a document,
//! which with a conflict open takes the person's say-so and records it in the archive entry;
//! and an archived document made again from what it showed, checked to be the one issued.

use std::collections::HashMap;
use std::path::Path;

use roadbook_model::{CheckRule, Date, Finding, Handbook, Id, Kind};
use roadbook_report::{ReportError, Request};
use roadbook_store::{IssuedDocument, Store, StoreError};

/// The archive entry's parameter that lists the conflicts open when a document was issued.
pub const OPEN_CONFLICTS_PARAMETER: &str = "issued_with_open_conflicts";

/// The check before sending the program `h` (as loaded from `store`) on the day `today`: open
/// conflicts, changes the server refused and changes not yet pushed, then
/// [`roadbook_model::check`]'s findings.
pub fn check(store: &Store, h: &Handbook, today: Date) -> Result<Vec<Finding>, StoreError> {
    let program = h.program.id;
    let conflicts = store.conflicts(program)?;
    let rejected = store.rejected(program)?;
    let mut out = Vec::new();
    if !conflicts.is_empty() || !rejected.is_empty() {
        let labels = h.labels();
        for c in conflicts {
            out.push(Finding {
                rule: CheckRule::OpenConflict,
                kind: c.kind,
                id: c.item_id,
                label: label(&labels, c.item_id).to_owned(),
                message: format!(
                    "A conflict on {} is open: a document would show one side of it. Settle it in Team sync (roadbook conflicts, then roadbook resolve).",
                    roadbook_model::field_label(c.kind, &c.field)
                ),
            });
        }
        for r in rejected {
            out.push(Finding {
                rule: CheckRule::ChangeRefused,
                kind: r.item_kind,
                id: r.item_id,
                label: label(&labels, r.item_id).to_owned(),
                message: format!(
                    "The team's server refused your change ({}): its copy does not have it. See Team sync (roadbook rejected).",
                    r.reason.trim_end_matches('.')
                ),
            });
        }
    }
    if store.sync_state(program)?.server.is_some() {
        let waiting = store.outbox(Some(program))?.len();
        if waiting > 0 {
            out.push(Finding {
                rule: CheckRule::NotPushed,
                kind: Kind::Program,
                id: program,
                label: h.program.name.clone(),
                message: format!(
                    "{waiting} {} made here {} not on the team's server yet: sync (roadbook sync) so the team works from what you send.",
                    if waiting == 1 { "change" } else { "changes" },
                    if waiting == 1 { "is" } else { "are" },
                ),
            });
        }
    }
    // Dependencies between programs that broke, on either side.
    out.extend(roadbook_model::link_findings(
        &store.links_of(h, today.naive())?,
    ));
    out.extend(roadbook_model::check(h, today));
    Ok(out)
}

/// What a person calls an item: its label, or "a deleted item" when it is gone.
fn label(labels: &HashMap<Id, String>, id: Id) -> &str {
    labels.get(&id).map_or("a deleted item", String::as_str)
}

/// Why a document was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Conflicts are open and the person has not said to issue anyway.
    #[error(
        "{} open on this program ({}): a document would show one side of each. Settle them first (roadbook conflicts, roadbook resolve), or issue anyway with --with-open-conflicts, which the archive entry records",
        if .0.len() == 1 { "a conflict is".to_owned() } else { format!("{} conflicts are", .0.len()) },
        .0.join("; ")
    )]
    OpenConflicts(Vec<String>),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The conflicts open on `program`, each as "decision ‘Okta SSO path’: Status".
pub fn open_conflicts(store: &Store, program: Id) -> Result<Vec<String>, StoreError> {
    let conflicts = store.conflicts(program)?;
    if conflicts.is_empty() {
        return Ok(Vec::new());
    }
    let labels = store.load(program)?.labels();
    Ok(conflicts
        .iter()
        .map(|c| {
            format!(
                "{} ‘{}’: {}",
                c.kind.noun(),
                label(&labels, c.item_id),
                roadbook_model::field_label(c.kind, &c.field)
            )
        })
        .collect())
}

/// The conflicts a document for `program` would be issued over: refused while any is open,
/// unless the person said to issue anyway (`with_open_conflicts`); then what the archive entry
/// records ([`note_conflicts`]).
pub fn conflicts_to_issue_over(
    store: &Store,
    program: Id,
    with_open_conflicts: bool,
) -> Result<Vec<String>, IssueError> {
    let open = open_conflicts(store, program)?;
    if !open.is_empty() && !with_open_conflicts {
        return Err(IssueError::OpenConflicts(open));
    }
    Ok(open)
}

/// Issues a document (renders it, writes the PDF to `path` atomically, then archives it),
/// signed `byline`. The file comes first: an archive entry for a document that was never saved
/// would be a lie. With a conflict open it is refused unless `with_open_conflicts`; then the
/// archive entry lists the conflicts it was issued with.
pub fn issue(
    store: &mut Store,
    request: &Request,
    byline: &str,
    path: &Path,
    with_open_conflicts: bool,
) -> Result<IssuedDocument, IssueError> {
    let open = conflicts_to_issue_over(store, request.program, with_open_conflicts)?;
    let mut issued = roadbook_report::prepare(store, request, byline)?;
    note_conflicts(&mut issued.record, open);
    roadbook_store::write_atomically(path, &issued.pdf).map_err(ReportError::Write)?;
    store.archive_document(&issued.record, &issued.snapshot)?;
    Ok(issued.record)
}

/// Records in an archive entry the conflicts open when it was issued (none: nothing).
pub fn note_conflicts(record: &mut IssuedDocument, open: Vec<String>) {
    if open.is_empty() {
        return;
    }
    if let serde_json::Value::Object(parameters) = &mut record.parameters {
        parameters.insert(OPEN_CONFLICTS_PARAMETER.into(), open.into());
    }
}

/// Why an archived document could not be given again as it was issued.
#[derive(Debug, thiserror::Error)]
pub enum RegenerateError {
    /// Made again here, the PDF is not the one issued: this build draws it differently.
    #[error(
        "made again here, this document is not the one issued (its fingerprint differs: {here}… here, {issued}… issued). Its data is intact; this Roadbook draws it differently: update Roadbook on both machines"
    )]
    Mismatch { here: String, issued: String },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An archived document (this person's or a teammate's, through the sync) made again from the
/// data it showed, and checked to be the document that was issued: the same SHA-256. Nothing
/// new is archived: it is the same document.
pub fn regenerate_verified(
    store: &Store,
    id: Id,
) -> Result<(IssuedDocument, Vec<u8>), RegenerateError> {
    let (record, snapshot) = store.document_with_snapshot(id)?;
    let pdf = roadbook_report::regenerate(&record, &snapshot)?;
    let here = roadbook_report::sha256_hex(&pdf);
    if here != record.pdf_sha256 {
        let short = |sha: &str| sha.get(..12).unwrap_or(sha).to_owned();
        return Err(RegenerateError::Mismatch {
            here: short(&here),
            issued: short(&record.pdf_sha256),
        });
    }
    Ok((record, pdf))
}
