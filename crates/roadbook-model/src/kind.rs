/// Declares an enum whose values are written as fixed words (in JSON, SQL and on the command
/// line) with one table of spellings, so the three can never drift apart.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = crate::UnknownWord;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| crate::UnknownWord {
                        what: $what,
                        given: s.to_owned(),
                        known: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}
pub(crate) use word_enum;

/// A word given for a fixed vocabulary (severity, readiness state, ...) that is not in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}': use one of {known}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub given: String,
    pub known: String,
}

word_enum!(
    /// Every kind of item a handbook holds. The word is the item kind in SQL, history and sync.
    Kind, "item kind" {
        Program => "program",
        Status => "status",
        Owner => "owner",
        Workstream => "workstream",
        Decision => "decision",
        Risk => "risk",
        Dependency => "dependency",
        Phase => "phase",
        WorkItem => "work_item",
        ExitCriterion => "exit_criterion",
        Milestone => "milestone",
        ReadinessDimension => "readiness_dimension",
        ReadinessCheck => "readiness_check",
        Review => "review",
        Action => "action",
    }
);

impl Kind {
    /// The name of this kind's list in an exported handbook, used in error paths.
    pub fn collection(&self) -> &'static str {
        match self {
            Kind::Program => "program",
            Kind::Status => "statuses",
            Kind::Owner => "owners",
            Kind::Workstream => "workstreams",
            Kind::Decision => "decisions",
            Kind::Risk => "risks",
            Kind::Dependency => "dependencies",
            Kind::Phase => "phases",
            Kind::WorkItem => "work_items",
            Kind::ExitCriterion => "exit_criteria",
            Kind::Milestone => "milestones",
            Kind::ReadinessDimension => "readiness_dimensions",
            Kind::ReadinessCheck => "readiness_checks",
            Kind::Review => "reviews",
            Kind::Action => "actions",
        }
    }

    /// How a person says it in a sentence ("unknown decision ...").
    pub fn noun(&self) -> &'static str {
        match self {
            Kind::WorkItem => "work item",
            Kind::ExitCriterion => "exit criterion",
            Kind::ReadinessDimension => "readiness dimension",
            Kind::ReadinessCheck => "readiness checklist item",
            other => other.as_str(),
        }
    }
}
