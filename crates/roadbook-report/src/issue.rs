//! Issuing a document from the store, and rendering an archived one again from its snapshot.

use chrono::{DateTime, SecondsFormat, Utc};
use roadbook_model::{Handbook, Id, Review};
use roadbook_store::{HistoryQuery, IssuedDocument, Store, StoreError};

use crate::changes::Change;
use crate::documents::{self, Changes, Context};
use crate::pdf::{self, Meta};
use crate::{DocumentKind, ReportError, Request, sha256_hex};
use crate::{html, layout};

/// A rendered document and its archive record, ready to be saved and archived.
#[derive(Debug, Clone)]
pub struct Issued {
    pub pdf: Vec<u8>,
    pub record: IssuedDocument,
    /// The exact data the document showed, as JSON.
    pub snapshot: String,
}

pub(crate) fn rfc3339(moment: DateTime<Utc>) -> String {
    moment.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The review a packet is for: the one asked for, else the next one by date that has not been
/// held, else the first not yet held.
fn pick_review(
    h: &Handbook,
    wanted: Option<Id>,
    as_of: DateTime<Utc>,
) -> Result<&Review, ReportError> {
    if let Some(id) = wanted {
        return h
            .reviews
            .iter()
            .find(|r| r.id == id)
            .ok_or(ReportError::Store(StoreError::NotFound {
                kind: Some(roadbook_model::Kind::Review),
                id,
            }));
    }
    let today = as_of.date_naive();
    let pending = || h.reviews.iter().filter(|r| r.held_on.is_none());
    pending()
        .filter(|r| r.date.is_some_and(|d| d.naive() >= today))
        .min_by_key(|r| r.date)
        .or_else(|| pending().next())
        .ok_or(ReportError::NoReview)
}

/// What changed in a readout's window.
#[derive(Debug, Clone)]
pub struct ChangeWindow {
    /// Where the window starts; `None` before the first readout.
    pub since: Option<DateTime<Utc>>,
    /// The readout the window starts at, when it starts at one.
    pub last_readout: Option<IssuedDocument>,
    pub lines: Vec<Change>,
}

/// What changed since the last archived readout before `as_of` (or since `since`), in words.
/// The readout and the dashboard show the same.
pub fn changes_since(
    store: &Store,
    handbook: &Handbook,
    since: Option<DateTime<Utc>>,
    as_of: DateTime<Utc>,
) -> Result<ChangeWindow, ReportError> {
    let as_of = rfc3339(as_of);
    let program = handbook.program.id;
    let last = match since {
        Some(_) => None,
        None => store.last_document(program, "readout", &as_of)?,
    };
    let since = match (since, &last) {
        (Some(since), _) => Some(since),
        (None, Some(last)) => DateTime::parse_from_rfc3339(&last.as_of)
            .ok()
            .map(|d| d.with_timezone(&Utc)),
        (None, None) => None,
    };
    let entries = match since {
        Some(since) => store
            .history(&HistoryQuery {
                program: Some(program),
                item: None,
                since: Some(since),
            })?
            .into_iter()
            .filter(|e| e.changed_at.as_str() <= as_of.as_str())
            .collect(),
        None => Vec::new(),
    };
    Ok(ChangeWindow {
        since,
        last_readout: last,
        lines: crate::changes::summarize(handbook, &entries),
    })
}

/// The document as an HTML page (not archived: the PDF is the issued document).
pub fn prepare_html(store: &Store, request: &Request, author: &str) -> Result<String, ReportError> {
    let composed = compose(store, request, author)?;
    Ok(html::html(&composed.blocks, &composed.meta))
}

/// The readout as a deck of 16:9 slides for a review projected on a screen, as a PDF (not
/// archived: the readout's PDF is the issued document). Only the readout has a deck.
pub fn prepare_deck(
    store: &Store,
    request: &Request,
    author: &str,
) -> Result<Vec<u8>, ReportError> {
    if request.kind != DocumentKind::Readout {
        return Err(ReportError::NoDeck(request.kind));
    }
    let inputs = gather(store, request, author, LinksFor::Team)?;
    let mut slides = documents::readout_deck(&inputs.context(), &inputs.changes());
    for slide in &mut slides {
        slide.blocks = crate::editorial::drop_unset_columns(std::mem::take(&mut slide.blocks));
    }
    let meta = Meta {
        title: "Leadership Readout".to_owned(),
        program: inputs.handbook.program.name.clone(),
        author: inputs.author.clone(),
        subject: format!(
            "Leadership Readout for {}, as slides",
            inputs.handbook.program.name
        ),
        as_of: inputs.as_of,
        classification: inputs.handbook.program.classification.trim().to_owned(),
    };
    Ok(pdf::render_deck(&slides, &meta)?.0)
}

/// The document as Markdown, tables as pipe tables (not archived: the PDF is the issued
/// document).
pub fn prepare_markdown(
    store: &Store,
    request: &Request,
    author: &str,
) -> Result<String, ReportError> {
    let composed = compose(store, request, author)?;
    Ok(crate::markdown::markdown(&composed.blocks, &composed.meta))
}

/// The document's blocks and where each lands on its pages, as the PDF lays them out: what the
/// page-flow rules are checked against.
pub fn prepare_layout(
    store: &Store,
    request: &Request,
    author: &str,
) -> Result<(Vec<layout::Block>, layout::LaidOutDocument), ReportError> {
    let composed = compose(store, request, author)?;
    let laid = layout::lay_out(crate::fonts::Fonts::get()?, &composed.blocks);
    Ok((composed.blocks, laid))
}

/// Gathers what the document needs (the handbook, and for a readout the changes since the last
/// one), renders it and describes it for the archive. Writes nothing.
pub fn prepare(store: &Store, request: &Request, author: &str) -> Result<Issued, ReportError> {
    let Composed {
        blocks,
        meta,
        parameters,
        snapshot,
    } = compose(store, request, author)?;
    let (pdf, pages) = pdf::render_counted(&blocks, &meta)?;
    let record = IssuedDocument {
        id: Id::new(),
        program_id: request.program,
        kind: request.kind.as_str().to_owned(),
        issued_at: rfc3339(Utc::now()),
        as_of: rfc3339(request.as_of),
        parameters: serde_json::Value::Object(parameters),
        pdf_sha256: sha256_hex(&pdf),
        pdf_bytes: pdf.len() as u64,
        pages: pages as u32,
        author: author.to_owned(),
        shared_by: None,
    };
    Ok(Issued {
        pdf,
        record,
        snapshot: serde_json::Value::Object(snapshot).to_string(),
    })
}

/// A document before rendering.
struct Composed {
    blocks: Vec<layout::Block>,
    meta: Meta,
    parameters: serde_json::Map<String, serde_json::Value>,
    /// The exact data shown: the handbook, the parameters and, for a readout, the changes.
    snapshot: serde_json::Map<String, serde_json::Value>,
}

/// Everything a document shows, gathered: from the store when it is issued, or from its
/// archived snapshot when a teammate regenerates it.
pub(crate) struct Inputs {
    kind: DocumentKind,
    pub(crate) handbook: Handbook,
    as_of: DateTime<Utc>,
    author: String,
    /// A readout's window: where it starts, whether at the last readout, and the lines.
    since: Option<DateTime<Utc>>,
    previous_readout: Option<Id>,
    changes: Vec<Change>,
    /// The latest baseline before the document (its name) and every dated thing then and now:
    /// a readout lists what moved, the plan draws where things stood.
    pub(crate) baseline: Option<String>,
    pub(crate) slips: Vec<roadbook_model::Slip>,
    /// The program's dates as they stood at the baseline (today's program with the slips'
    /// earlier dates), for the plan's timeline.
    then: Option<Handbook>,
    review: Option<Id>,
    status: Option<Id>,
    /// The dependencies between this program and others, as they stood at the moment (the
    /// dashboard, the plan, the readout and the handbook show them).
    pub(crate) links: Vec<roadbook_model::Link>,
}

impl Inputs {
    pub(crate) fn context(&self) -> Context<'_> {
        Context {
            handbook: &self.handbook,
            as_of: self.as_of,
            author: &self.author,
            baseline: self.baseline.as_deref().zip(self.then.as_ref()),
            links: &self.links,
        }
    }

    /// A readout's "what changed" window.
    pub(crate) fn changes(&self) -> Changes<'_> {
        Changes {
            since: self.since,
            since_last_readout: self.previous_readout.is_some(),
            lines: &self.changes,
            baseline: self.baseline.as_deref(),
            slips: &self.slips,
        }
    }
}

/// Whom a document's links between programs are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinksFor {
    /// The team: an issued document goes to the shared archive, read by people who may not see
    /// the other program, so each link says where it stands and nothing of that program.
    Team,
    /// The person alone (the portfolio, neither archived nor shared): both programs named.
    Person,
}

pub(crate) fn gather(
    store: &Store,
    request: &Request,
    author: &str,
    links_for: LinksFor,
) -> Result<Inputs, ReportError> {
    // A document speaks for what was recorded by its moment: one dated later would present
    // today's program as the state of a day that has not happened.
    if request.as_of > Utc::now() {
        return Err(ReportError::FutureAsOf(rfc3339(request.as_of)));
    }
    // The program as it was at the moment the document is as of, not today's data under an
    // old date.
    let handbook = store.load_as_of(request.program, request.as_of)?;
    let mut inputs = Inputs {
        kind: request.kind,
        as_of: request.as_of,
        author: author.to_owned(),
        since: None,
        previous_readout: None,
        changes: Vec::new(),
        baseline: None,
        slips: Vec::new(),
        then: None,
        review: None,
        status: request.status,
        links: Vec::new(),
        handbook,
    };
    if matches!(
        request.kind,
        DocumentKind::Readout
            | DocumentKind::Handbook
            | DocumentKind::Plan
            | DocumentKind::Dashboard
    ) {
        let links = store.links_as_of(request.program, request.as_of)?;
        inputs.links = match links_for {
            LinksFor::Team => links
                .into_iter()
                .map(roadbook_model::Link::withheld)
                .collect(),
            LinksFor::Person => links,
        };
    }
    if matches!(request.kind, DocumentKind::Readout | DocumentKind::Handbook) {
        let window = changes_since(store, &inputs.handbook, request.since, request.as_of)?;
        inputs.since = window.since;
        inputs.previous_readout = window.last_readout.map(|d| d.id);
        inputs.changes = window.lines;
    }
    if matches!(
        request.kind,
        DocumentKind::Readout | DocumentKind::Handbook | DocumentKind::Plan
    ) {
        // The dates against a baseline before the document's moment: the one named, else the
        // store's default (the latest a lead set, else the last readout).
        let before = |b: &&roadbook_store::Baseline| {
            roadbook_store::moment(&b.taken_at).is_some_and(|t| t < request.as_of)
        };
        let chosen = match request.baseline.as_deref().map(str::trim) {
            Some(none) if none.eq_ignore_ascii_case("none") => None,
            Some(given) => {
                let named = store.baseline(request.program, Some(given))?;
                if !before(&&named) {
                    return Err(ReportError::BaselineAfter(named.name));
                }
                Some(named)
            }
            None => store.default_baseline(request.program, request.as_of)?,
        };
        if let Some(baseline) = chosen {
            match store.load_at_baseline(request.program, &baseline) {
                Ok(then) => {
                    inputs.slips = roadbook_model::slips(&then, &inputs.handbook);
                    inputs.then = Some(dates_then(&inputs.handbook, &inputs.slips));
                    inputs.baseline = Some(baseline_phrase(&baseline, request.as_of));
                }
                // A baseline from before the program was here has no plan to measure against.
                Err(StoreError::NotYet { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    match request.kind {
        DocumentKind::Packet => {
            inputs.review = Some(pick_review(&inputs.handbook, request.review, request.as_of)?.id);
        }
        // The handbook holds the packet of the review chosen (or the next one) when there is one.
        DocumentKind::Handbook => {
            inputs.review = pick_review(&inputs.handbook, request.review, request.as_of)
                .ok()
                .map(|r| r.id);
        }
        _ => {}
    }
    Ok(inputs)
}

fn compose(store: &Store, request: &Request, author: &str) -> Result<Composed, ReportError> {
    render_inputs(&gather(store, request, author, LinksFor::Team)?)
}

fn render_inputs(inputs: &Inputs) -> Result<Composed, ReportError> {
    let handbook = &inputs.handbook;
    let ctx = inputs.context();
    let mut parameters = serde_json::Map::new();
    let mut snapshot = serde_json::Map::new();
    let changes = inputs.changes();
    // Only with links: a document without any archives as it always has.
    if !inputs.links.is_empty() {
        snapshot.insert(
            "links".into(),
            serde_json::to_value(&inputs.links).unwrap_or_default(),
        );
    }
    // Only with a baseline: a document without one archives as it always has.
    if let Some(name) = &inputs.baseline {
        parameters.insert("baseline".into(), name.clone().into());
        snapshot.insert(
            "slips".into(),
            serde_json::to_value(&inputs.slips).unwrap_or_default(),
        );
    }
    if matches!(inputs.kind, DocumentKind::Readout | DocumentKind::Handbook) {
        parameters.insert("since".into(), inputs.since.map(rfc3339).into());
        if let Some(last) = inputs.previous_readout {
            parameters.insert("previous_readout".into(), last.to_string().into());
        }
        snapshot.insert(
            "changes".into(),
            serde_json::to_value(&inputs.changes).unwrap_or_default(),
        );
    }
    let review = inputs
        .review
        .and_then(|id| handbook.reviews.iter().find(|r| r.id == id));
    match inputs.kind {
        DocumentKind::Packet | DocumentKind::Handbook => {
            if let Some(review) = review {
                parameters.insert("review".into(), review.id.to_string().into());
            }
        }
        DocumentKind::Register => {
            parameters.insert("status".into(), inputs.status.map(|s| s.to_string()).into());
        }
        _ => {}
    }
    let blocks = documents::blocks_of(inputs.kind, &ctx, &changes, review, inputs.status)?;
    let mut blocks = crate::editorial::drop_unset_columns(blocks);
    if inputs.kind == DocumentKind::Handbook {
        blocks = crate::editorial::once_per_document(blocks);
    }
    let meta = Meta {
        title: inputs.kind.title().to_owned(),
        program: handbook.program.name.clone(),
        author: inputs.author.clone(),
        subject: format!("{} for {}", inputs.kind.title(), handbook.program.name),
        as_of: inputs.as_of,
        classification: handbook.program.classification.trim().to_owned(),
    };
    snapshot.insert(
        "handbook".into(),
        serde_json::to_value(handbook).unwrap_or_default(),
    );
    snapshot.insert(
        "parameters".into(),
        serde_json::Value::Object(parameters.clone()),
    );
    Ok(Composed {
        blocks,
        meta,
        parameters,
        snapshot,
    })
}

/// Renders an archived document again from its snapshot alone (no store): the same data gives
/// the same bytes, so the SHA-256 says whether this is the document that was issued.
pub fn regenerate(record: &IssuedDocument, snapshot: &str) -> Result<Vec<u8>, ReportError> {
    let damaged = |what: &str| ReportError::Archive(format!("the archived {what} cannot be read"));
    let data: serde_json::Value =
        serde_json::from_str(snapshot).map_err(|_| damaged("snapshot"))?;
    let handbook: Handbook =
        serde_json::from_value(data.get("handbook").cloned().unwrap_or_default())
            .map_err(|_| damaged("program data"))?;
    let kind = DocumentKind::ALL
        .into_iter()
        .find(|k| k.as_str() == record.kind)
        .ok_or_else(|| {
            ReportError::Archive(format!(
                "'{}' is a kind of document this Roadbook does not know: update it",
                record.kind
            ))
        })?;
    let moment = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| damaged("date"))
    };
    let parameters = data.get("parameters").cloned().unwrap_or_default();
    let text = |key: &str| parameters.get(key).and_then(serde_json::Value::as_str);
    let id = |key: &str| text(key).and_then(|t| t.parse::<Id>().ok());
    let inputs = Inputs {
        kind,
        as_of: moment(&record.as_of)?,
        author: record.author.clone(),
        since: text("since").map(moment).transpose()?,
        previous_readout: id("previous_readout"),
        changes: match data.get("changes") {
            Some(lines) => serde_json::from_value(lines.clone()).map_err(|_| damaged("changes"))?,
            None => Vec::new(),
        },
        baseline: text("baseline").map(str::to_owned),
        slips: match data.get("slips") {
            Some(slips) => serde_json::from_value(slips.clone()).map_err(|_| damaged("dates"))?,
            None => Vec::new(),
        },
        then: None,
        review: id("review"),
        status: id("status"),
        links: match data.get("links") {
            Some(links) => serde_json::from_value(links.clone()).map_err(|_| damaged("links"))?,
            None => Vec::new(),
        },
        handbook,
    };
    let mut inputs = inputs;
    if inputs.baseline.is_some() {
        inputs.then = Some(dates_then(&inputs.handbook, &inputs.slips));
    }
    let composed = render_inputs(&inputs)?;
    Ok(pdf::render_counted(&composed.blocks, &composed.meta)?.0)
}

/// A baseline as the documents name it: "the readout of 20 Nov 2026", or "the baseline ‘20
/// November steering’ (the plan as it stood 20 Nov 2026)".
fn baseline_phrase(b: &roadbook_store::Baseline, as_of: DateTime<Utc>) -> String {
    let taken = roadbook_store::moment(&b.taken_at);
    // A baseline of the document's own day says its time too: "the readout of 7 Dec 2026" in a
    // document of 7 Dec 2026 reads as a mistake.
    let day = match taken {
        Some(t) if t.date_naive() == as_of.date_naive() => {
            format!("{} {} UTC", crate::day(t.date_naive()), t.format("%H:%M"))
        }
        Some(t) => crate::day(t.date_naive()),
        None => b.taken_at.clone(),
    };
    if b.readout {
        format!("the readout of {day}")
    } else {
        format!("the baseline ‘{}’ (the plan as it stood {day})", b.name)
    }
}

/// The program with its dates as they stood at a baseline: every dated thing's earlier date
/// from `slips` (what was never dated either side has none), the rest as it is now.
fn dates_then(now: &Handbook, slips: &[roadbook_model::Slip]) -> Handbook {
    use roadbook_model::WhichDate;
    let mut then = now.clone();
    let was = |id: Id, date: WhichDate| {
        slips
            .iter()
            .find(|s| s.id == id && s.date == date)
            .and_then(|s| s.then)
    };
    for p in &mut then.phases {
        p.start = was(p.id, WhichDate::Start);
        p.end = was(p.id, WhichDate::End);
    }
    for m in &mut then.milestones {
        m.target = was(m.id, WhichDate::Target);
    }
    for d in &mut then.decisions {
        d.due = was(d.id, WhichDate::Due);
    }
    for a in &mut then.actions {
        a.due = was(a.id, WhichDate::Due);
    }
    then
}
