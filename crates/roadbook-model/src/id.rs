use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The stable identity of every item in a handbook.
///
/// UUID v7: time-ordered, so items sort in creation order and ids made on two machines never
/// collide, which the sync relies on.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Id(Uuid);

impl Id {
    pub fn new() -> Self {
        Id(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for Id {
    fn from(uuid: Uuid) -> Self {
        Id(uuid)
    }
}

impl Default for Id {
    fn default() -> Self {
        Id::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an item id (expected a UUID such as 0192f0c1-7a3e-7cc2-9d4e-3b1f0a2c4d5e)")]
pub struct BadId(pub String);

impl FromStr for Id {
    type Err = BadId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the hyphenated form: it is the one Roadbook writes, and accepting braces or URNs
        // would make two spellings of one id compare unequal as text in SQL.
        if s.len() != 36 {
            return Err(BadId(s.to_owned()));
        }
        Uuid::try_parse(s).map(Id).map_err(|_| BadId(s.to_owned()))
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_v7_and_round_trip_as_text() {
        let id = Id::new();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        let back: Id = id.to_string().parse().unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn rejects_text_that_is_not_a_hyphenated_uuid() {
        for bad in [
            "",
            "ws-identity",
            "0192f0c17a3e7cc29d4e3b1f0a2c4d5e",
            "{0192f0c1-7a3e-7cc2-9d4e-3b1f0a2c4d5e}",
        ] {
            let err = bad.parse::<Id>().unwrap_err();
            assert!(err.to_string().contains("is not an item id"), "{err}");
        }
    }
}
