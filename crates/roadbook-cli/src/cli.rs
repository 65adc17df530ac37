//! The command line, as clap types. Words follow the handbook: decision, risk, action, status,
//! owner, needed from.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use roadbook_model::{Date, Id, Level};
use roadbook_report::DocumentKind;

#[derive(Debug, Parser)]
#[command(
    name = "roadbook",
    version,
    about = "Roadbook: a program lead's handbook as data, without a window"
)]
pub struct Cli {
    /// The database file [default: $ROADBOOK_DB, else the platform data dir, e.g.
    /// ~/.local/share/roadbook/roadbook.db]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Who the change is recorded as in the history [default: $ROADBOOK_AUTHOR, else the name your sign-in holds, else Your name (roadbook config set name), else your computer account's full name, else a login, which documents never print]
    #[arg(long, global = true, value_name = "NAME")]
    pub author: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database; with --sample add the bundled sample program
    Init {
        /// Add the Builder Insights operationalization program
        #[arg(long)]
        sample: bool,
        /// Add a blank program with this name and the default status vocabulary
        #[arg(long, value_name = "NAME", conflicts_with = "sample")]
        name: Option<String>,
    },
    /// List the programs in the database
    Programs {
        #[arg(long)]
        json: bool,
    },
    /// Write a whole program as JSON (stdout unless --out)
    Export {
        #[arg(long, value_name = "ID")]
        program: Option<Id>,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Add a program from an export file: all of it or, on any problem, nothing
    Import { file: PathBuf },
    /// What changed, field by field, with who and when
    History {
        #[arg(long, value_name = "ID")]
        program: Option<Id>,
        /// Changes at or after this time (RFC 3339, or a date meaning its start in UTC)
        #[arg(long, value_name = "RFC3339|DATE", value_parser = crate::commands::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Only this item's changes
        #[arg(long, value_name = "ID")]
        item: Option<Id>,
        #[arg(long)]
        json: bool,
    },
    /// Issue a document as PDF and archive what it showed; or the portfolio of several
    /// programs (written, not archived: --as-of makes the same one again)
    Report {
        #[arg(value_parser = document_kind())]
        kind: Reported,
        /// The program; for a portfolio, each program in it, in order (repeat --program)
        /// [default: the only program; for a portfolio, the programs chosen with `roadbook
        /// portfolio choose`, else all]
        #[arg(long, value_name = "ID")]
        program: Vec<Id>,
        /// The review a packet is for [default: the next upcoming review]
        #[arg(long, value_name = "ID")]
        review: Option<Id>,
        /// What a readout reports as changed starts here [default: the last readout]
        #[arg(long, value_name = "RFC3339|DATE", value_parser = crate::commands::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// The moment the document speaks for; the same data and moment give the same bytes [default: now]
        #[arg(long = "as-of", value_name = "RFC3339|DATE", value_parser = crate::commands::parse_since)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        /// Only decisions with this status (register)
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// The baseline a readout, the plan or the handbook measures dates against (its name or
        /// id, or none) [default: the latest one set by hand before the document's moment, else
        /// the last readout]
        #[arg(long, value_name = "NAME|none")]
        baseline: Option<String>,
        /// Where to write it; a name ending in .html writes an HTML page, .md Markdown (tables
        /// as pipe tables), instead of the PDF
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
        /// `deck`: the readout as 16:9 slides for a review on a screen (a PDF, not archived)
        #[arg(long, value_enum, default_value = "pdf")]
        format: ReportFormat,
        /// Issue the PDF though conflicts are open (the archive entry records them); without
        /// it, a PDF is refused while one is open
        #[arg(long)]
        with_open_conflicts: bool,
    },
    /// Check the program before sending a document: asks of leadership about decisions
    /// already made, workstreams whose status disagrees with their decisions, decisions Decided
    /// without outcome or rationale, items without owner or past due, milestones past target,
    /// readiness without a signal, placeholder owners. Each finding names the item; none blocks
    /// sending
    Check {
        #[arg(long, value_name = "ID")]
        program: Option<Id>,
        /// The day to judge due dates by (YYYY-MM-DD; default today)
        #[arg(long, value_name = "DATE")]
        on: Option<roadbook_model::Date>,
        #[arg(long)]
        json: bool,
    },
    /// List issued documents, or save one again (made again from what it showed and checked to
    /// be the PDF that was issued)
    Documents {
        #[arg(long, value_name = "ID")]
        program: Option<Id>,
        #[arg(long)]
        json: bool,
        /// Save this archived document again (its id, from the list)
        #[arg(long, value_name = "DOCUMENT ID", requires = "out")]
        save: Option<Id>,
        /// Where to save it
        #[arg(long, value_name = "FILE.pdf", requires = "save")]
        out: Option<PathBuf>,
    },
    /// Move an item within its list (the order the registers and documents show): before
    /// another item of its kind, or to the end
    #[command(group(clap::ArgGroup::new("place").required(true).args(["before", "last"])))]
    Move {
        /// The item: a decision, risk, action, phase, work item, milestone...
        id: Id,
        /// Put it just before this item of the same kind
        #[arg(long, value_name = "ID")]
        before: Option<Id>,
        /// Put it at the end of its list
        #[arg(long)]
        last: bool,
    },
    /// Delete any item by its id (a tombstone: `roadbook restore ID` brings it back whole, in
    /// its place); refused while other items still refer to it
    Delete {
        /// The item: a decision, risk, action, workstream, dependency, phase, milestone...
        id: Id,
    },
    /// Bring back a deleted item, with its fields and its place in its list
    Restore { id: Id },
    /// Sign in to your organisation's identity provider, in the browser; the app and the
    /// command line on this machine share the sign-in
    Login {
        /// The Roadbook server: where to sign in comes from it when Settings name no provider,
        /// and publish and join use it when given no --server
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// How long to wait for the browser, in seconds
        #[arg(long, value_name = "SECONDS", default_value_t = 300)]
        timeout: u64,
    },
    /// Who you are signed in as: name, email, groups, your role on each program, and when
    /// the access token expires
    Whoami {
        #[arg(long)]
        json: bool,
    },
    /// Sign out: the identity provider revokes the sign-in and this machine forgets it
    Logout,
    /// Your portfolio at a glance: each program's health, decisions needed from leadership,
    /// what slipped and its next milestone (`roadbook report portfolio` writes the document)
    #[command(args_conflicts_with_subcommands = true)]
    Portfolio {
        #[command(subcommand)]
        what: Option<PortfolioCommand>,
        /// The moment it speaks for [default: now]
        #[arg(long = "as-of", value_name = "RFC3339|DATE", value_parser = crate::commands::parse_since)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// Baselines: moments the plan is measured against (set by hand, and every readout issued),
    /// and what slipped since one of them, in days
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// The servers your sign-in may be sent to: the one you signed in for, and those you chose
    /// since (a database that names another server gets no token until you trust it)
    #[command(args_conflicts_with_subcommands = true)]
    Servers {
        #[command(subcommand)]
        what: Option<ServersCommand>,
    },
    /// Settings kept for this person on this machine (the config file)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Usage counts for the team's server (documents generated, syncs, reviews recorded,
    /// sign-ins; the kind and the day, nothing about the program): whether this database
    /// shares them (off unless turned on), and how many wait for the next sync
    Usage {
        /// on: share from now on; off: stop, and drop what waits
        #[arg(value_name = "on|off", value_parser = ["on", "off"])]
        share: Option<String>,
    },
    /// Publish the program to a server: the server's copy becomes the program's, and the team
    /// can join it
    Publish {
        /// The server, for example https://roadbook.internal (default: the one you signed in to)
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        #[command(flatten)]
        program: ProgramArg,
    },
    /// Take a program from a server into this database
    Join {
        /// The server (default: the one you signed in to)
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// The program's id (the server lists the ones you may see: roadbook join --server URL --list)
        #[arg(value_name = "PROGRAM_ID", required_unless_present_any = ["list", "all"], conflicts_with_all = ["list", "all"])]
        program: Option<Id>,
        /// List the programs on the server you may see, and join none
        #[arg(long, conflicts_with = "all")]
        list: bool,
        /// Join every program on the server you may see (those already here are left as they are)
        #[arg(long)]
        all: bool,
    },
    /// Push this database's changes to the server and pull the team's; exits non-zero unless
    /// everything was pushed
    #[command(args_conflicts_with_subcommands = true)]
    Sync {
        #[command(subcommand)]
        what: Option<SyncCommand>,
        #[command(flatten)]
        program: ProgramArg,
        /// Keep syncing: push each change, pull the team's as they happen (Ctrl+C stops)
        #[arg(long)]
        watch: bool,
    },
    /// Conflicts the server holds for a person to settle
    Conflicts {
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        json: bool,
    },
    /// Settle a conflict: keep your value or theirs (a program lead's call)
    Resolve {
        #[arg(value_name = "CONFLICT_ID")]
        conflict: Id,
        #[arg(long, value_enum)]
        keep: Keep,
    },
    /// Local changes the server refused, changes from the server this database could not
    /// apply, and what to do with them
    #[command(args_conflicts_with_subcommands = true)]
    Rejected {
        #[command(subcommand)]
        what: Option<RejectedCommand>,
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        json: bool,
        /// With --json: the changes from the server this database set aside, instead of the
        /// changes the server refused
        #[arg(long)]
        pulled: bool,
    },
    /// The decision register
    #[command(subcommand)]
    Decision(DecisionCommand),
    /// The risk register
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Next actions
    #[command(subcommand)]
    Action(ActionCommand),
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Where the program syncs, when it last did, and what waits
    Status {
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RejectedCommand {
    /// Send a refused change again (after editing the item, if the reason asked for it)
    Retry { id: i64 },
    /// Drop a refused change for good
    Discard { id: i64 },
    /// Apply a change from the server that this database set aside, again (after an upgrade,
    /// or once what stood in its way is gone)
    RetryPulled { id: i64 },
    /// Drop a change from the server that this database set aside
    DiscardPulled { id: i64 },
}

/// Whose value a resolved conflict keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Keep {
    /// The value of the change that met the server's (yours, if you made it)
    Mine,
    /// The value the server kept
    Theirs,
}

/// How `roadbook report` lays a document out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Pages to read and send (A4), archived with what they showed
    Pdf,
    /// 16:9 slides to project (the readout only)
    Deck,
}

/// The kinds of document `roadbook report` issues: the report crate's, listed with what each
/// holds, so a new kind reaches the command line by being added there.
/// What `roadbook report` writes: a document of one program, or the portfolio of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Document(DocumentKind),
    Portfolio,
}

fn document_kind() -> impl clap::builder::TypedValueParser<Value = Reported> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        DocumentKind::ALL
            .map(|k| PossibleValue::new(k.as_str()).help(k.about()))
            .into_iter()
            .chain([PossibleValue::new("portfolio").help(
                "Portfolio Readout: several programs' health, decisions needed, slips and next milestones, a page per program",
            )]),
    )
    .try_map(|word| match word.as_str() {
        "portfolio" => Ok(Reported::Portfolio),
        word => word.parse::<DocumentKind>().map(Reported::Document),
    })
}

#[derive(Debug, Args)]
pub struct ProgramArg {
    /// The program (needed only when the database holds several)
    #[arg(long, value_name = "ID")]
    pub program: Option<Id>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub program: ProgramArg,
    /// Only items with this status (name or id)
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// A date, or `none` to clear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrNone {
    Date(Date),
    None,
}

impl std::str::FromStr for DateOrNone {
    type Err = roadbook_model::BadDate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("none") {
            Ok(DateOrNone::None)
        } else {
            s.parse().map(DateOrNone::Date)
        }
    }
}

impl DateOrNone {
    pub fn into_option(self) -> Option<Date> {
        match self {
            DateOrNone::Date(d) => Some(d),
            DateOrNone::None => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DecisionCommand {
    /// Add a decision; prints its id
    Add {
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        title: String,
        /// The open question it answers
        #[arg(long)]
        question: Option<String>,
        /// Whom the decision is needed from (owner name or id; repeat for several)
        #[arg(long = "needed-from", visible_alias = "owner", value_name = "OWNER")]
        needed_from: Vec<String>,
        /// Workstream (area or id)
        #[arg(long)]
        workstream: Option<String>,
        /// Status name or id [default: Needs decision]
        #[arg(long)]
        status: Option<String>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: Option<Date>,
        /// An option under consideration (repeat for several)
        #[arg(long = "option", value_name = "TEXT")]
        options: Vec<String>,
    },
    /// Change fields of a decision
    Set {
        /// The decision: its id, or its title when no other has it
        #[arg(value_name = "NAME|ID")]
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        question: Option<String>,
        /// Replaces whom the decision is needed from (repeat for several)
        #[arg(long = "needed-from", visible_alias = "owner", value_name = "OWNER")]
        needed_from: Vec<String>,
        #[arg(long)]
        workstream: Option<String>,
        #[arg(long)]
        status: Option<String>,
        /// A date, or `none` to clear it
        #[arg(long, value_name = "YYYY-MM-DD|none")]
        due: Option<DateOrNone>,
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long)]
        rationale: Option<String>,
        #[arg(long = "decided-by", value_name = "WHO")]
        decided_by: Option<String>,
        #[arg(long = "decided-on", value_name = "YYYY-MM-DD|none")]
        decided_on: Option<DateOrNone>,
    },
    /// List the decision register
    List(ListArgs),
    /// Delete a decision (`roadbook decision restore ID` brings it back, whole and in its place)
    Delete {
        #[arg(value_name = "NAME|ID")]
        id: String,
    },
    /// Bring back a deleted decision
    Restore { id: Id },
    #[command(flatten)]
    Item(ItemCommand),
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Add a risk; prints its id
    Add {
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long = "title", visible_alias = "statement")]
        statement: String,
        #[arg(long, default_value = "medium")]
        severity: Level,
        #[arg(long, default_value = "medium")]
        likelihood: Level,
        /// Owner name or id
        #[arg(long)]
        owner: Option<String>,
        /// Status name or id [default: the first open status]
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        mitigation: Option<String>,
        /// Scope the risk to a workstream (area or id) instead of the whole program
        #[arg(long)]
        workstream: Option<String>,
    },
    /// Change fields of a risk
    Set {
        /// The risk: its id, or its statement when no other has it
        #[arg(value_name = "NAME|ID")]
        id: String,
        #[arg(long = "title", visible_alias = "statement")]
        statement: Option<String>,
        #[arg(long)]
        severity: Option<Level>,
        #[arg(long)]
        likelihood: Option<Level>,
        /// Owner name or id, or `none`
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        mitigation: Option<String>,
    },
    /// List the risk register
    List(ListArgs),
    /// Delete a risk (`roadbook risk restore ID` brings it back, whole and in its place)
    Delete {
        #[arg(value_name = "NAME|ID")]
        id: String,
    },
    /// Bring back a deleted risk
    Restore { id: Id },
    #[command(flatten)]
    Item(ItemCommand),
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add a next action; prints its id
    Add {
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long = "title", visible_alias = "text")]
        text: String,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: Option<Date>,
        #[arg(long)]
        status: Option<String>,
        /// Where the action came from
        #[arg(long)]
        source: Option<String>,
        /// The decision it serves (id)
        #[arg(long, value_name = "ID")]
        decision: Option<Id>,
    },
    /// Change fields of an action
    Set {
        /// The action: its id, or its text when no other has it
        #[arg(value_name = "NAME|ID")]
        id: String,
        #[arg(long = "title", visible_alias = "text")]
        text: Option<String>,
        /// Owner name or id, or `none`
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, value_name = "YYYY-MM-DD|none")]
        due: Option<DateOrNone>,
        #[arg(long)]
        status: Option<String>,
    },
    /// List next actions
    List(ListArgs),
    /// Delete an action (`roadbook action restore ID` brings it back, whole and in its place)
    Delete {
        #[arg(value_name = "NAME|ID")]
        id: String,
    },
    /// Bring back a deleted action
    Restore { id: Id },
    #[command(flatten)]
    Item(ItemCommand),
}

/// `show` and `move`, the same for decisions, risks and actions.
#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// Every field of the item, with the app's labels
    Show {
        #[arg(value_name = "NAME|ID")]
        item: String,
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        json: bool,
    },
    /// Move the item within its list: before another of its kind, or to the end
    #[command(group(clap::ArgGroup::new("place").required(true).args(["before", "last"])))]
    Move {
        #[arg(value_name = "NAME|ID")]
        item: String,
        #[command(flatten)]
        program: ProgramArg,
        /// Put it just before this item
        #[arg(long, value_name = "NAME|ID")]
        before: Option<String>,
        /// Put it at the end of its list
        #[arg(long)]
        last: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PortfolioCommand {
    /// Choose the programs your portfolio shows, in order (kept in this database)
    Choose {
        #[arg(
            value_name = "PROGRAM_ID",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        programs: Vec<Id>,
        /// Every program in this database (the default)
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// The program's baselines, oldest first: those set by hand and every readout issued
    List {
        #[command(flatten)]
        program: ProgramArg,
        #[arg(long)]
        json: bool,
    },
    /// Set a baseline: the plan as it stands now (or stood at --at) is what later dates are
    /// measured against
    Set {
        /// Its name [default: "Baseline of" and the day]
        name: Option<String>,
        /// The moment it stands for [default: now]
        #[arg(long, value_name = "RFC3339|DATE", value_parser = crate::commands::parse_since)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        program: ProgramArg,
    },
    /// What moved: every dated phase, milestone, decision and action, against a baseline, in
    /// days
    Compare {
        /// The baseline measured against: its name or id [default: the latest]
        from: Option<String>,
        /// Another baseline to measure, or "now" [default: now]
        to: Option<String>,
        /// List what stayed on plan too
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        program: ProgramArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServersCommand {
    /// Send your sign-in to this server from now on (it must take sign-ins from your provider)
    Trust {
        #[arg(value_name = "URL")]
        server: String,
    },
    /// Stop sending your sign-in to this server
    Forget {
        #[arg(value_name = "URL")]
        server: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set a setting: `name` is "Your name", the author of your changes and the "Prepared by"
    /// of your documents until a sign-in names you
    Set {
        #[arg(value_name = "SETTING", value_parser = ["name"])]
        setting: String,
        #[arg(value_name = "VALUE")]
        value: String,
    },
    /// Forget a setting
    Unset {
        #[arg(value_name = "SETTING", value_parser = ["name"])]
        setting: String,
    },
    /// The settings, and who your changes are recorded as
    Show,
}
