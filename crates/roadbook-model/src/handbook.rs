//! The whole handbook of one program: what the store loads, the export format holds and the
//! documents are made from.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::entities::*;
use crate::{Id, Invalid, Kind, Problem, Problems};

/// The `format` word of an export file, so a stray JSON file is told apart from a handbook.
pub const FORMAT: &str = "roadbook.handbook";
/// Bumped when the export format changes in a way older builds cannot read.
pub const FORMAT_VERSION: u32 = 1;

/// Calls `$m!` with every list of a handbook and its item type, in export order. One list here
/// keeps loading, export, validation and the store's dispatch in step.
macro_rules! with_collections {
    ($m:ident) => {
        $m! {
            statuses: Status,
            owners: Owner,
            workstreams: Workstream,
            decisions: Decision,
            risks: Risk,
            dependencies: Dependency,
            phases: Phase,
            work_items: WorkItem,
            exit_criteria: ExitCriterion,
            milestones: Milestone,
            readiness_dimensions: ReadinessDimension,
            readiness_checks: ReadinessCheck,
            reviews: Review,
            actions: Action,
        }
    };
}

macro_rules! define_handbook {
    ($($field:ident: $ty:ident),+ $(,)?) => {
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Handbook {
            pub format: String,
            pub format_version: u32,
            pub program: Program,
            $(#[serde(default)] pub $field: Vec<$ty>,)+
        }

        impl Handbook {
    /// What a person reads for each item's id: its title, name or text, the program included.
    pub fn labels(&self) -> HashMap<Id, String> {
        self.entities()
            .into_iter()
            .map(|(_, e)| (e.id(), e.label().to_owned()))
            .collect()
    }

            /// An empty handbook around a program record (no statuses, no owners).
            pub fn empty(program: Program) -> Self {
                Handbook {
                    format: FORMAT.to_owned(),
                    format_version: FORMAT_VERSION,
                    program,
                    $($field: Vec::new(),)+
                }
            }

            /// Every item, the program first, then each list in export order.
            pub fn entities(&self) -> Vec<(String, &dyn AnyEntity)> {
                let mut out: Vec<(String, &dyn AnyEntity)> = vec![("program".to_owned(), &self.program)];
                $(
                    for (n, item) in self.$field.iter().enumerate() {
                        out.push((format!("{}[{n}]", stringify!($field)), item));
                    }
                )+
                out
            }

            /// Adds one item given as JSON (as the store keeps it) to its list; the program
            /// record replaces the current one.
            pub fn push_json(&mut self, kind: Kind, body: &str) -> Result<(), serde_json::Error> {
                match kind {
                    Kind::Program => self.program = serde_json::from_str(body)?,
                    $(<$ty as Entity>::KIND => self.$field.push(serde_json::from_str(body)?),)+
                }
                Ok(())
            }

            /// Number of items, the program record included.
            pub fn item_count(&self) -> usize {
                1 $(+ self.$field.len())+
            }
        }
    };
}

with_collections!(define_handbook);

macro_rules! define_kind_rules {
    ($($field:ident: $ty:ident),+ $(,)?) => {
        impl Kind {
            /// This kind's set-valued fields ([`Entity::SET_FIELDS`]).
            pub fn set_fields(&self) -> &'static [&'static str] {
                match *self {
                    Kind::Program => <Program as Entity>::SET_FIELDS,
                    $(<$ty as Entity>::KIND => <$ty as Entity>::SET_FIELDS,)+
                }
            }

            /// This kind's guarded fields ([`Entity::GUARDED_FIELDS`]).
            pub fn guarded_fields(&self) -> &'static [&'static str] {
                match *self {
                    Kind::Program => <Program as Entity>::GUARDED_FIELDS,
                    $(<$ty as Entity>::KIND => <$ty as Entity>::GUARDED_FIELDS,)+
                }
            }

            /// The name of the one conflict over this kind's guarded fields
            /// ([`Entity::GUARDED_GROUP`]); empty for a kind with none.
            pub fn guarded_group(&self) -> &'static str {
                match *self {
                    Kind::Program => <Program as Entity>::GUARDED_GROUP,
                    $(<$ty as Entity>::KIND => <$ty as Entity>::GUARDED_GROUP,)+
                }
            }

            /// The fields a conflict named `field` is over: the guarded fields for the group's
            /// name, else the field itself.
            pub fn conflict_fields<'a>(&self, field: &'a str) -> Vec<&'a str> {
                let group = self.guarded_group();
                if !group.is_empty() && field == group {
                    self.guarded_fields().to_vec()
                } else {
                    vec![field]
                }
            }
        }
    };
}

with_collections!(define_kind_rules);

/// Calls the generic function `$f::<E>(args)` with the item type `E` of a [`Kind`] known only at
/// run time (an item that arrives as JSON with its kind), so code written once over `Entity`
/// serves every kind.
#[macro_export]
macro_rules! for_kind {
    ($kind:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match $kind {
            $crate::Kind::Program => $f::<$crate::Program>($($arg),*),
            $crate::Kind::Status => $f::<$crate::Status>($($arg),*),
            $crate::Kind::Owner => $f::<$crate::Owner>($($arg),*),
            $crate::Kind::Workstream => $f::<$crate::Workstream>($($arg),*),
            $crate::Kind::Decision => $f::<$crate::Decision>($($arg),*),
            $crate::Kind::Risk => $f::<$crate::Risk>($($arg),*),
            $crate::Kind::Dependency => $f::<$crate::Dependency>($($arg),*),
            $crate::Kind::Phase => $f::<$crate::Phase>($($arg),*),
            $crate::Kind::WorkItem => $f::<$crate::WorkItem>($($arg),*),
            $crate::Kind::ExitCriterion => $f::<$crate::ExitCriterion>($($arg),*),
            $crate::Kind::Milestone => $f::<$crate::Milestone>($($arg),*),
            $crate::Kind::ReadinessDimension => $f::<$crate::ReadinessDimension>($($arg),*),
            $crate::Kind::ReadinessCheck => $f::<$crate::ReadinessCheck>($($arg),*),
            $crate::Kind::Review => $f::<$crate::Review>($($arg),*),
            $crate::Kind::Action => $f::<$crate::Action>($($arg),*),
        }
    };
}

/// An item of any kind, for code that walks a whole handbook.
pub trait AnyEntity {
    fn kind(&self) -> Kind;
    fn id(&self) -> Id;
    fn label(&self) -> &str;
    fn check(&self, problems: &mut Problems);
    fn check_with(&self, found: &crate::Lookups, problems: &mut Problems);
    fn references(&self) -> Vec<Reference>;
    /// The item of another program it names (a dependency between programs), if any.
    fn other_item(&self) -> Option<crate::OtherItem>;
    /// The item as a JSON object: one member per field, the unit of history and sync.
    fn to_fields(&self) -> Result<serde_json::Map<String, Value>, serde_json::Error>;
}

impl<E: Entity> AnyEntity for E {
    fn kind(&self) -> Kind {
        E::KIND
    }
    fn id(&self) -> Id {
        Entity::id(self)
    }
    fn label(&self) -> &str {
        Entity::label(self)
    }
    fn check(&self, problems: &mut Problems) {
        Entity::check(self, problems)
    }
    fn check_with(&self, found: &crate::Lookups, problems: &mut Problems) {
        Entity::check_with(self, found, problems)
    }
    fn references(&self) -> Vec<Reference> {
        Entity::references(self)
    }
    fn other_item(&self) -> Option<crate::OtherItem> {
        Entity::other_item(self)
    }
    fn to_fields(&self) -> Result<serde_json::Map<String, Value>, serde_json::Error> {
        to_fields(self)
    }
}

/// Splits an item into its fields. Every entity serializes to a JSON object.
pub fn to_fields<E: Serialize>(
    item: &E,
) -> Result<serde_json::Map<String, Value>, serde_json::Error> {
    match serde_json::to_value(item)? {
        Value::Object(map) => Ok(map),
        other => Err(serde::ser::Error::custom(format!(
            "an item must serialize to an object, not {other}"
        ))),
    }
}

/// Why an export file could not be read. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum HandbookError {
    #[error("the file ends early ({0}): it looks cut short; export the handbook again")]
    Truncated(String),
    #[error(
        "the file is not valid JSON ({0}); a handbook export is the JSON that `roadbook export` writes"
    )]
    Syntax(String),
    #[error(
        "this JSON is not a Roadbook handbook export (its \"format\" is {found}, expected \"{FORMAT}\")"
    )]
    WrongFormat { found: String },
    #[error(
        "this handbook was exported by a newer Roadbook (format version {found}; this build reads up to {FORMAT_VERSION}): upgrade Roadbook to import it"
    )]
    NewerFormat { found: u32 },
    #[error("{path}: {message}")]
    Shape { path: String, message: String },
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

#[derive(Deserialize)]
struct Header {
    format: Option<Value>,
    format_version: Option<u32>,
}

impl Handbook {
    /// Reads an export file's text: checks its shape, then validates it as a whole.
    pub fn from_json(text: &str) -> Result<Handbook, HandbookError> {
        let header: Header = serde_json::from_str(text).map_err(json_error)?;
        match &header.format {
            Some(Value::String(f)) if f == FORMAT => {}
            Some(other) => {
                return Err(HandbookError::WrongFormat {
                    found: other.to_string(),
                });
            }
            None => {
                return Err(HandbookError::WrongFormat {
                    found: "missing".to_owned(),
                });
            }
        }
        if let Some(found) = header.format_version.filter(|v| *v > FORMAT_VERSION) {
            return Err(HandbookError::NewerFormat { found });
        }
        // The header parsed, so the text is JSON; what is left to find is its shape.
        let value: Value = serde_json::from_str(text).map_err(json_error)?;
        let handbook: Handbook =
            crate::fields::strict("", value).map_err(|mut invalid| {
                match (invalid.0.len(), invalid.0.pop()) {
                    (1, Some(Problem { path, message })) => HandbookError::Shape { path, message },
                    (_, last) => {
                        invalid.0.extend(last);
                        HandbookError::Invalid(invalid)
                    }
                }
            })?;
        handbook.validate()?;
        Ok(handbook)
    }

    /// The export text: pretty JSON with keys in declaration order, so two exports of the same
    /// handbook are the same bytes and diff well.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// Checks the whole handbook: every item's own fields, unique ids, references that resolve
    /// to an item of the right kind, and unique status and owner names.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut problems = Problems::new();
        let entities = self.entities();
        let mut by_id: HashMap<Id, (Kind, &str)> = HashMap::with_capacity(entities.len());
        for (path, item) in &entities {
            problems.set_prefix(path.clone());
            item.check(&mut problems);
            if let Some((_, first)) = by_id.insert(item.id(), (item.kind(), path.as_str())) {
                problems.at(
                    "id",
                    format!(
                        "{} is used twice (also by {first}): every item needs its own id",
                        item.id()
                    ),
                );
            }
        }
        for (path, item) in &entities {
            problems.set_prefix(path.clone());
            for reference in item.references() {
                let message = match by_id.get(&reference.id) {
                    None => format!(
                        "refers to {} {}, which is not in this handbook (in {} '{}')",
                        reference.kind.noun(),
                        reference.id,
                        item.kind().noun(),
                        item.label()
                    ),
                    Some((kind, _)) if *kind != reference.kind => format!(
                        "refers to {}, which is a {} where a {} is expected",
                        reference.id,
                        kind.noun(),
                        reference.kind.noun()
                    ),
                    Some(_) => continue,
                };
                problems.at(reference.field, message);
            }
        }
        // The rules a write must keep (a decision made needs its outcome) are not asked of a
        // whole handbook: an export or a program made before a rule still imports and
        // publishes, and `roadbook check` lists what breaks it (DecidedWithoutReason).
        // A person's team is a team (or a placeholder for one), never another person.
        for (i, owner) in self.owners.iter().enumerate() {
            let team = owner
                .team_id
                .and_then(|t| self.owners.iter().find(|o| o.id == t));
            if let Some(team) = team.filter(|t| t.kind == crate::OwnerKind::Person) {
                problems.set_prefix(format!("owners[{i}]"));
                problems.at(
                    "team_id",
                    format!(
                        "names {}, a person, as the team of {}: choose a team",
                        team.name, owner.name
                    ),
                );
            }
        }
        problems.set_prefix("");
        unique_names(
            &mut problems,
            "statuses",
            self.statuses.iter().map(|s| s.name.as_str()),
        );
        unique_names(
            &mut problems,
            "owners",
            self.owners.iter().map(|o| o.name.as_str()),
        );
        problems.into_result()
    }

    pub fn status(&self, id: Id) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }

    pub fn owner(&self, id: Id) -> Option<&Owner> {
        self.owners.iter().find(|o| o.id == id)
    }

    /// A status by name, ignoring case and surrounding spaces ("needs decision").
    pub fn status_named(&self, name: &str) -> Option<&Status> {
        self.statuses
            .iter()
            .find(|s| crate::same_name(&s.name, name))
    }
}

fn unique_names<'a>(problems: &mut Problems, list: &str, names: impl Iterator<Item = &'a str>) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, name) in names.enumerate() {
        if let Some(first) = seen.insert(crate::name_key(name), n) {
            problems.at(
                &format!("{list}[{n}].name"),
                format!("'{name}' is already the name of {list}[{first}]: names must differ"),
            );
        }
    }
}

fn json_error(err: serde_json::Error) -> HandbookError {
    match err.classify() {
        serde_json::error::Category::Eof => HandbookError::Truncated(err.to_string()),
        serde_json::error::Category::Data => HandbookError::Shape {
            path: String::new(),
            message: err.to_string(),
        },
        _ => HandbookError::Syntax(err.to_string()),
    }
}

impl From<Problem> for Invalid {
    fn from(problem: Problem) -> Self {
        Invalid(vec![problem])
    }
}

/// The status vocabulary a new program starts with: the handbook's five working statuses plus
/// the two closing states a register needs.
pub fn default_statuses() -> Vec<Status> {
    [
        (
            "In discovery",
            "Active discovery and stakeholder shaping",
            "#5B6BD5",
            true,
        ),
        (
            "Drafted",
            "A recommended direction exists but is not yet approved",
            "#2F8FCF",
            true,
        ),
        (
            "Needs decision",
            "Waiting on a stakeholder choice or approval",
            "#D98E04",
            true,
        ),
        (
            "Needs validation",
            "Needs platform or security confirmation",
            "#8A5CC7",
            true,
        ),
        (
            "Blocked",
            "Depends on unresolved upstream work",
            "#C93C3C",
            true,
        ),
        (
            "Decided",
            "Decided, with the outcome and rationale recorded",
            "#23915A",
            false,
        ),
        ("Done", "Finished, with evidence", "#5E6B78", false),
    ]
    .into_iter()
    .map(|(name, meaning, colour, open)| Status {
        id: Id::new(),
        name: name.to_owned(),
        meaning: meaning.to_owned(),
        colour: colour.to_owned(),
        open,
    })
    .collect()
}

impl Handbook {
    /// A new program with the default status vocabulary and nothing else.
    pub fn blank(name: impl Into<String>) -> Self {
        let mut handbook = Handbook::empty(Program::new(name));
        handbook.statuses = default_statuses();
        handbook
    }
}
