//! What each command does: parse names into ids, call the store, print.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use roadbook_core::{Options, Session};
use roadbook_model::{Action, Decision, Handbook, Id, Kind, Risk, RiskScope, sample};
use roadbook_store::{HistoryQuery, Store, edits_between};

use crate::cli::{ActionCommand, Cli, Command, DecisionCommand, ListArgs, RiskCommand};
use crate::words::{Quoted, in_words};

pub fn run(cli: Cli) -> Result<()> {
    let session = Session::resolve(Options {
        db: cli.db,
        author: cli.author,
    })?;
    let mut ctx = Ctx {
        session,
        out: std::io::stdout().lock(),
    };
    match cli.command {
        Command::Init { sample, name } => ctx.init(sample, name),
        Command::Programs { json } => ctx.programs(json),
        Command::Export { program, out } => ctx.export(program, out),
        Command::Import { file } => ctx.import(&file),
        Command::History {
            program,
            since,
            item,
            json,
        } => ctx.history(program, since, item, json),
        Command::Report {
            kind,
            program,
            review,
            since,
            as_of,
            status,
            baseline,
            out,
            format,
            with_open_conflicts,
        } => {
            let kind = match kind {
                crate::cli::Reported::Portfolio => {
                    // Those choose within one program's document; a portfolio has none of them.
                    for (given, flag) in [
                        (review.is_some(), "--review"),
                        (since.is_some(), "--since"),
                        (status.is_some(), "--status"),
                        (baseline.is_some(), "--baseline"),
                        (with_open_conflicts, "--with-open-conflicts"),
                    ] {
                        if given {
                            bail!(
                                "{flag} is for a document of one program, not a portfolio: leave it out (each program is measured against its own baseline)"
                            );
                        }
                    }
                    return ctx.report_portfolio(program, as_of, &out, format);
                }
                crate::cli::Reported::Document(kind) => kind,
            };
            let program = match program.as_slice() {
                [] => None,
                [one] => Some(*one),
                _ => bail!(
                    "a {} is about one program: name one --program (several are for `roadbook report portfolio`)",
                    kind.title()
                ),
            };
            let (store, mut request) =
                ctx.report_request(kind, program, review, since, as_of, status)?;
            request.baseline = baseline;
            if format == crate::cli::ReportFormat::Deck {
                ctx.deck(&store, &request, &out)
            } else {
                ctx.report(store, &request, &out, with_open_conflicts)
            }
        }
        Command::Documents {
            program,
            json,
            save,
            out,
        } => match (save, out) {
            (Some(id), Some(out)) => ctx.save_document_again(id, &out),
            _ => ctx.documents(program, json),
        },
        Command::Check { program, on, json } => ctx.check(program, on, json),
        Command::Move { id, before, .. } => ctx.move_item(id, before),
        Command::Delete { id } => ctx.delete_item(id, None),
        Command::Restore { id } => ctx.restore_item(id, None),
        Command::Login { server, timeout } => ctx.login(server, timeout),
        Command::Whoami { json } => ctx.whoami(json),
        Command::Logout => ctx.logout(),
        Command::Baseline(command) => ctx.baseline(command),
        Command::Portfolio { what, as_of, json } => ctx.portfolio(what, as_of, json),
        Command::Servers { what } => ctx.servers(what),
        Command::Usage { share } => ctx.usage(share.as_deref()),
        Command::Config(command) => ctx.config(command),
        Command::Publish { server, program } => {
            let server = ctx.server_or_signed_in(server)?;
            ctx.publish(&server, program.program)
        }
        Command::Join {
            server,
            program,
            list,
            all,
        } => {
            let server = ctx.server_or_signed_in(server)?;
            if all {
                ctx.join_all(&server)
            } else {
                ctx.join(&server, program, list)
            }
        }
        Command::Sync {
            what,
            program,
            watch,
        } => ctx.sync(what, program.program, watch),
        Command::Conflicts { program, json } => ctx.conflicts(program.program, json),
        Command::Resolve { conflict, keep } => ctx.resolve(conflict, keep),
        Command::Rejected {
            what,
            program,
            json,
            pulled,
        } => ctx.rejected(what, program.program, json, pulled),
        Command::Decision(cmd) => ctx.decision(cmd),
        Command::Risk(cmd) => ctx.risk(cmd),
        Command::Action(cmd) => ctx.action(cmd),
    }
}

/// `roadbook KIND VERB ...` for a kind built from the model's table (`items.rs`).
pub fn run_item(
    db: Option<PathBuf>,
    author: Option<String>,
    kind: Kind,
    matches: &clap::ArgMatches,
) -> Result<()> {
    let session = Session::resolve(Options { db, author })?;
    let mut ctx = Ctx {
        session,
        out: std::io::stdout().lock(),
    };
    ctx.item_command(kind, matches)
}

/// `--since`: an RFC 3339 moment, or a date standing for its start in UTC.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Ok(moment.with_timezone(&Utc));
    }
    match text.parse::<roadbook_model::Date>() {
        Ok(date) => Ok(date.naive().and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(roadbook_model::BadDate::Format(_)) => Err(format!(
            "'{text}' is neither a date (2026-03-31) nor an RFC 3339 time (2026-03-31T09:00:00Z)"
        )),
        Err(err) => Err(err.to_string()),
    }
}

pub(crate) struct Ctx<W: Write> {
    pub(crate) session: Session,
    pub(crate) out: W,
}

impl<W: Write> Ctx<W> {
    pub(crate) fn open(&self) -> Result<Store> {
        Ok(self.session.open()?)
    }

    /// The store and the handbook of the program a command works on.
    fn open_program(&self, program: Option<Id>) -> Result<(Store, Handbook)> {
        let store = self.open()?;
        let id = store.resolve_program(program)?;
        let handbook = store.load(id)?;
        Ok((store, handbook))
    }

    fn init(&mut self, with_sample: bool, name: Option<String>) -> Result<()> {
        let mut store = self.open()?;
        let handbook = match (with_sample, name) {
            (true, _) => {
                sample::builder_insights().context("the bundled sample program is damaged")?
            }
            (false, Some(name)) => Handbook::blank(name),
            (false, None) => {
                writeln!(self.out, "database ready at {}", self.session.db.display())?;
                return Ok(());
            }
        };
        if let Some(existing) = store
            .programs()?
            .into_iter()
            .find(|p| p.name == handbook.program.name)
        {
            bail!(
                "a program named '{}' is already in {} ({}): use it, or choose another --db",
                existing.name,
                self.session.db.display(),
                existing.id
            );
        }
        store.import(&handbook, &self.session.author.name)?;
        // The id on standard output, for scripts; what was made, for the person, beside it.
        writeln!(self.out, "{}", handbook.program.id)?;
        let counts: Vec<String> = [
            (handbook.workstreams.len(), "workstream", "workstreams"),
            (handbook.decisions.len(), "decision", "decisions"),
            (handbook.risks.len(), "risk", "risks"),
            (handbook.actions.len(), "action", "actions"),
            (handbook.phases.len(), "phase", "phases"),
            (handbook.milestones.len(), "milestone", "milestones"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
        let counts = counts.join(", ");
        eprintln!(
            "roadbook: created '{}' in {}{}; the line above is its id (roadbook programs lists it)",
            handbook.program.name,
            self.session.db.display(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(": {counts}")
            }
        );
        Ok(())
    }

    fn programs(&mut self, json: bool) -> Result<()> {
        let programs = self.open()?.programs()?;
        if json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&programs)?)?;
        } else {
            for p in programs {
                writeln!(self.out, "{}  {}  ({} items)", p.id, p.name, p.items)?;
            }
        }
        Ok(())
    }

    fn export(&mut self, program: Option<Id>, out: Option<PathBuf>) -> Result<()> {
        let (_, handbook) = self.open_program(program)?;
        let text = handbook.to_json()?;
        match out {
            None => self.out.write_all(text.as_bytes())?,
            Some(path) => roadbook_store::write_atomically(&path, text.as_bytes())?,
        }
        Ok(())
    }

    fn import(&mut self, file: &Path) -> Result<()> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let handbook = Handbook::from_json(&text)
            .with_context(|| format!("{} was not imported", file.display()))?;
        let mut store = self.open()?;
        store
            .import(&handbook, &self.session.author.name)
            .with_context(|| format!("{} was not imported", file.display()))?;
        writeln!(
            self.out,
            "imported '{}' ({}): {} items",
            handbook.program.name,
            handbook.program.id,
            handbook.item_count()
        )?;
        Ok(())
    }

    fn history(
        &mut self,
        program: Option<Id>,
        since: Option<DateTime<Utc>>,
        item: Option<Id>,
        json: bool,
    ) -> Result<()> {
        let store = self.open()?;
        // An item implies its program; otherwise the one program there is.
        let program = match (program, item) {
            (Some(p), _) => store.resolve_program(Some(p))?,
            (None, Some(item)) => store
                .locate(item)
                .map(|l| l.program_id)
                .or_else(|_| store.resolve_program(None))?,
            (None, None) => store.resolve_program(None)?,
        };
        let entries = store.history(&HistoryQuery {
            program: Some(program),
            item,
            since,
        })?;
        if json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&entries)?)?;
            return Ok(());
        }
        let handbook = store.load(program)?;
        let labels: HashMap<Id, String> = handbook.labels();
        // In the lead's words, as the app's History screen: names for ids, the fields' labels,
        // the person's own clock; `--json` keeps the ids and keys for scripts.
        for e in &entries {
            let label = labels
                .get(&e.item_id)
                .map(String::as_str)
                .unwrap_or("a deleted item");
            // An order key means nothing to a person; the move is what happened.
            let change = if e.field == roadbook_store::POSITION {
                "moved in its list".to_owned()
            } else {
                let field = roadbook_model::field_label(e.item_kind, &e.field);
                let now = in_words(
                    e.new_value.as_ref().unwrap_or(&serde_json::Value::Null),
                    &labels,
                    Quoted::Yes,
                );
                match &e.old_value {
                    None => format!("{field}: {now}"),
                    Some(old) => {
                        format!("{field}: {} → {now}", in_words(old, &labels, Quoted::Yes))
                    }
                }
            };
            // When it was made: a teammate's change made offline days before it arrived reads
            // as the day it was made.
            let made = e.made_at.as_deref().unwrap_or(&e.changed_at);
            let when = DateTime::parse_from_rfc3339(made)
                .map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_else(|_| made.to_owned());
            writeln!(
                self.out,
                "{when}  {}  {} '{label}'  {change}",
                e.author,
                e.item_kind.noun(),
            )?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn report_request(
        &mut self,
        kind: roadbook_report::DocumentKind,
        program: Option<Id>,
        review: Option<Id>,
        since: Option<DateTime<Utc>>,
        as_of: Option<DateTime<Utc>>,
        status: Option<String>,
    ) -> Result<(Store, roadbook_report::Request)> {
        let (store, h) = self.open_program(program)?;
        let status = status.as_deref().map(|s| status_id(&h, s)).transpose()?;
        let request = roadbook_report::Request {
            kind,
            program: h.program.id,
            review,
            since,
            status,
            as_of: as_of.unwrap_or_else(Utc::now),
            baseline: None,
        };
        Ok((store, request))
    }

    /// The readout as slides: a PDF of 16:9 pages, written but not archived.
    fn deck(
        &mut self,
        store: &Store,
        request: &roadbook_report::Request,
        out: &Path,
    ) -> Result<()> {
        let pdf = roadbook_report::prepare_deck(store, request, self.session.author.byline())?;
        roadbook_store::write_atomically(out, &pdf)?;
        writeln!(
            self.out,
            "{}: slides (16:9), {} bytes (not archived: issue the readout's PDF to archive it)",
            out.display(),
            pdf.len()
        )?;
        Ok(())
    }

    fn report(
        &mut self,
        mut store: Store,
        request: &roadbook_report::Request,
        out: &Path,
        with_open_conflicts: bool,
    ) -> Result<()> {
        let extension = out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        // A page for an email or a wiki; the PDF is the issued, archived document.
        let text = match extension.as_str() {
            "html" | "htm" => Some((
                "HTML",
                roadbook_report::prepare_html(&store, request, self.session.author.byline())?,
            )),
            "md" | "markdown" => Some((
                "Markdown",
                roadbook_report::prepare_markdown(&store, request, self.session.author.byline())?,
            )),
            _ => None,
        };
        if let Some((format, text)) = text {
            roadbook_store::write_atomically(out, text.as_bytes())?;
            writeln!(
                self.out,
                "{}: {format}, {} bytes (not archived: issue the PDF to archive it)",
                out.display(),
                text.len()
            )?;
            return Ok(());
        }
        let issued = roadbook_core::sending::issue(
            &mut store,
            request,
            self.session.author.byline(),
            out,
            with_open_conflicts,
        )?;
        writeln!(
            self.out,
            "{}: {} pages, {} bytes, sha256 {}",
            out.display(),
            issued.pages,
            issued.pdf_bytes,
            issued.pdf_sha256
        )?;
        if let Some(open) = issued
            .parameters
            .get(roadbook_core::sending::OPEN_CONFLICTS_PARAMETER)
            .and_then(|v| v.as_array())
        {
            writeln!(
                self.out,
                "issued with {} open (recorded in the archive entry)",
                if open.len() == 1 {
                    "a conflict".to_owned()
                } else {
                    format!("{} conflicts", open.len())
                }
            )?;
        }
        Ok(())
    }

    /// Deletes an item (of `kind`, when the command named one) and says how to undo it.
    pub(crate) fn delete_item(&mut self, id: Id, kind: Option<Kind>) -> Result<()> {
        let mut store = self.open()?;
        let (kind, label) = item_of(&store, id, kind, false)?;
        // Other programs that depend on it: the delete goes ahead (it is this program's to
        // make), and the person hears whose plan it breaks.
        let program = store.locate(id)?.program_id;
        let today = chrono::Local::now().date_naive();
        let needed_by: Vec<String> = store
            .links(program, today)?
            .into_iter()
            .filter(|l| l.direction == roadbook_model::Direction::NeededBy && l.item == id)
            .map(|l| match (l.other_label, l.other_program_name) {
                (Some(what), Some(program)) => format!("'{what}' of '{program}'"),
                _ => "a dependency of another program".to_owned(),
            })
            .collect();
        store.delete(id, &self.session.author.name)?;
        writeln!(
            self.out,
            "deleted {} '{label}' (roadbook restore {id} brings it back)",
            kind.noun()
        )?;
        if !needed_by.is_empty() {
            writeln!(
                self.out,
                "another program depended on it: {} now depends on what was deleted; tell its lead",
                needed_by.join(", ")
            )?;
        }
        Ok(())
    }

    /// Brings a deleted item (of `kind`, when the command named one) back.
    pub(crate) fn restore_item(&mut self, id: Id, kind: Option<Kind>) -> Result<()> {
        let mut store = self.open()?;
        let (kind, label) = item_of(&store, id, kind, true)?;
        store.restore(id, &self.session.author.name)?;
        writeln!(self.out, "restored {} '{label}'", kind.noun())?;
        Ok(())
    }

    /// `before: None` is the end of the list (clap makes --before or --last required).
    pub(crate) fn move_item(&mut self, id: Id, before: Option<Id>) -> Result<()> {
        let mut store = self.open()?;
        match store.move_item(id, before, &self.session.author.name)? {
            roadbook_store::Saved::Unchanged => writeln!(self.out, "nothing changed")?,
            _ => writeln!(self.out, "moved")?,
        }
        Ok(())
    }

    fn check(
        &mut self,
        program: Option<Id>,
        on: Option<roadbook_model::Date>,
        json: bool,
    ) -> Result<()> {
        let (store, h) = self.open_program(program)?;
        let today = on.unwrap_or_else(|| chrono::Local::now().date_naive().into());
        let findings = roadbook_core::sending::check(&store, &h, today)?;
        if json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&findings)?)?;
            return Ok(());
        }
        if findings.is_empty() {
            writeln!(
                self.out,
                "Nothing to look at: '{}' is ready to send.",
                h.program.name
            )?;
            return Ok(());
        }
        writeln!(
            self.out,
            "{} {} to look at before sending '{}' (none stops you):",
            findings.len(),
            if findings.len() == 1 {
                "thing"
            } else {
                "things"
            },
            h.program.name
        )?;
        for f in &findings {
            writeln!(self.out, "- {} '{}': {}", f.kind.noun(), f.label, f.message)?;
        }
        Ok(())
    }

    fn documents(&mut self, program: Option<Id>, json: bool) -> Result<()> {
        let store = self.open()?;
        let program = store.resolve_program(program)?;
        let documents = store.documents(program)?;
        if json {
            writeln!(self.out, "{}", serde_json::to_string_pretty(&documents)?)?;
            return Ok(());
        }
        for d in documents {
            // A teammate's document says whose sync brought it.
            let from = d
                .shared_by
                .as_deref()
                .map(|who| format!(" (from {who})"))
                .unwrap_or_default();
            // Issued by someone known only by a login: the document names nobody, nor does this.
            let by = match d.author.trim() {
                "" => "a person who gave no name".to_owned(),
                name => name.to_owned(),
            };
            writeln!(
                self.out,
                "{}  {:<9}  as of {}  issued {} by {by}{from}  {} pages  sha256 {}",
                d.id, d.kind, d.as_of, d.issued_at, d.pages, d.pdf_sha256
            )?;
        }
        Ok(())
    }

    /// An archived document saved again: made from what it showed, checked against the
    /// fingerprint it was issued with, written atomically; nothing new is archived.
    fn save_document_again(&mut self, id: Id, out: &std::path::Path) -> Result<()> {
        let store = self.open()?;
        let (record, pdf) = roadbook_core::sending::regenerate_verified(&store, id)?;
        roadbook_store::write_atomically(out, &pdf)?;
        writeln!(
            self.out,
            "{}: the {} as of {}, the same PDF as issued (sha256 {})",
            out.display(),
            record.kind,
            record.as_of,
            record.pdf_sha256
        )?;
        Ok(())
    }

    /// `show` and `move` of a decision, risk or action.
    fn item_verb(&mut self, kind: Kind, command: crate::cli::ItemCommand) -> Result<()> {
        match command {
            crate::cli::ItemCommand::Show {
                item,
                program,
                json,
            } => self.show_item(kind, program.program, &item, json),
            crate::cli::ItemCommand::Move {
                item,
                program,
                before,
                ..
            } => {
                let id = self.named_item(kind, program.program, &item)?;
                let before = before
                    .map(|b| self.named_item(kind, program.program, &b))
                    .transpose()?;
                self.move_item(id, before)
            }
        }
    }

    /// Writes the fields the command changed, and only those, as seen when it read the item.
    fn edit<E: roadbook_model::Entity>(
        &mut self,
        mut store: Store,
        program: Id,
        before: &E,
        after: &E,
        seen: &roadbook_store::FieldNumbers,
    ) -> Result<()> {
        let edits = edits_between(before, after, seen)?;
        let saved = if edits.is_empty() {
            roadbook_store::Saved::Unchanged
        } else {
            store.edit(
                program,
                E::KIND,
                after.id(),
                &edits,
                &self.session.author.name,
            )?
        };
        match saved {
            roadbook_store::Saved::Updated { fields, .. } => {
                // In the app's words: "changed Status, Outcome".
                let labels: Vec<&str> = fields
                    .iter()
                    .map(|key| roadbook_model::field_label(E::KIND, key))
                    .collect();
                writeln!(self.out, "changed {}", labels.join(", "))?
            }
            roadbook_store::Saved::Unchanged => writeln!(self.out, "nothing changed")?,
            roadbook_store::Saved::Created => writeln!(self.out, "{}", after.id())?,
        }
        Ok(())
    }
}

pub(super) fn set(field: &mut String, value: Option<String>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// `none` clears an optional reference; anything else is looked up.
pub(super) fn optional(text: &str, lookup: impl Fn(&str) -> Result<Id>) -> Result<Option<Id>> {
    if text.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        lookup(text).map(Some)
    }
}

pub(super) fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

// Items named on the command line are found as the item commands find them (`items::resolve`:
// by id, or a name only one has; an ambiguous name lists the candidates).
pub(super) fn status_id(h: &Handbook, given: &str) -> Result<Id> {
    crate::items::resolve(h, Kind::Status, given)
}

/// The status a new item of `kind` starts in, as the app gives it (the model's rule).
pub(crate) fn default_status(h: &Handbook, kind: Kind) -> Result<Id> {
    h.new_item_status(kind).ok_or_else(|| {
        anyhow!(
            "the program has no open status to give a new item: add one to its status vocabulary"
        )
    })
}

pub(super) fn owner_id(h: &Handbook, given: &str) -> Result<Id> {
    crate::items::resolve(h, Kind::Owner, given)
}

pub(super) fn owners(h: &Handbook, given: &[String]) -> Result<Vec<Id>> {
    given.iter().map(|o| owner_id(h, o)).collect()
}

pub(super) fn workstream_id(h: &Handbook, given: &str) -> Result<Id> {
    crate::items::resolve(h, Kind::Workstream, given)
}

pub(super) fn filter_status(h: &Handbook, args: &ListArgs) -> Result<Option<Id>> {
    args.status.as_deref().map(|s| status_id(h, s)).transpose()
}

pub(super) fn status_name(h: &Handbook, id: Id) -> String {
    h.status(id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| id.to_string())
}

pub(super) fn owner_name(h: &Handbook, id: Id) -> String {
    h.owner(id)
        .map(|o| o.display_name().to_owned())
        .unwrap_or_else(|| id.to_string())
}

/// An item's kind and what a person calls it, for a delete or a restore: refused before
/// anything is written when it is not there (or not deleted, for a restore), or not of the kind
/// the command named.
fn item_of(
    store: &roadbook_store::Store,
    id: Id,
    kind: Option<Kind>,
    deleted: bool,
) -> Result<(Kind, String)> {
    let Some(item) = store.item_state(id)? else {
        bail!("there is no item {id} in this database: roadbook history shows what was there");
    };
    if let Some(kind) = kind.filter(|k| *k != item.kind) {
        bail!(
            "{id} is a {}, not a {}: use roadbook {} {}",
            item.kind.noun(),
            kind.noun(),
            item.kind.noun(),
            if deleted { "restore" } else { "delete" }
        );
    }
    let label = roadbook_model::label_in(|f| item.fields.get(f))
        .unwrap_or_default()
        .to_owned();
    let gone = item
        .fields
        .get("deleted")
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    match (deleted, gone) {
        (false, true) => bail!(
            "{} '{label}' is deleted already (roadbook restore {id} brings it back)",
            item.kind.noun()
        ),
        (true, false) => bail!(
            "{} '{label}' is not deleted: nothing to bring back",
            item.kind.noun()
        ),
        _ => Ok((item.kind, label)),
    }
}

mod baseline;
mod portfolio;
mod registers;
