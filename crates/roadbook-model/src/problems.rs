use std::fmt;

/// One thing wrong with a handbook or an item: where (a path such as
/// `decisions[2].status_id`) and what, in words that say what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found, so one run of an import tells the lead all that must be fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid(pub Vec<Problem>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line: the CLI prints errors on a single line. The first few problems carry the
        // message; a count stands for the rest.
        const SHOWN: usize = 3;
        for (n, problem) in self.0.iter().take(SHOWN).enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, " (and {} more problems)", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// Collects problems under a path prefix while checks walk a handbook.
#[derive(Debug, Default)]
pub struct Problems {
    prefix: String,
    list: Vec<Problem>,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        Problems {
            prefix: prefix.into(),
            list: Vec::new(),
        }
    }

    pub fn set_prefix(&mut self, prefix: impl Into<String>) {
        self.prefix = prefix.into();
    }

    /// Records a problem with `field` under the current prefix.
    /// A problem for each text in `value` holding a NUL character (U+0000), which no database
    /// Roadbook writes to can keep (PostgreSQL refuses it): refused where it is typed, not
    /// found out at the server.
    pub fn nul_characters(&mut self, value: &serde_json::Value) {
        fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
            match value {
                serde_json::Value::String(text) if text.contains('\0') => out.push(path.to_owned()),
                serde_json::Value::Array(items) => {
                    for (n, item) in items.iter().enumerate() {
                        walk(item, &format!("{path}[{n}]"), out);
                    }
                }
                serde_json::Value::Object(map) => {
                    for (key, item) in map {
                        let at = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        walk(item, &at, out);
                    }
                }
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(value, "", &mut found);
        for path in found {
            self.at(
                &path,
                "holds a NUL character (U+0000), which Roadbook cannot keep: remove it",
            );
        }
    }

    pub fn at(&mut self, field: &str, message: impl Into<String>) {
        let path = match (self.prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_owned(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}.{field}", self.prefix),
        };
        self.list.push(Problem {
            path,
            message: message.into(),
        });
    }

    /// A text a person must fill in: not empty, not only spaces.
    pub fn required(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.at(field, "is required and must not be empty");
        }
    }

    /// A list of texts where an empty entry is a typing slip, never meant.
    pub fn entries(&mut self, field: &str, values: &[String]) {
        for (n, value) in values.iter().enumerate() {
            if value.trim().is_empty() {
                self.at(
                    &format!("{field}[{n}]"),
                    "is empty: remove the entry or write its text",
                );
            }
        }
    }

    /// The problems found so far, as they are.
    pub fn list(&self) -> &[Problem] {
        &self.list
    }

    /// Keeps a problem found elsewhere (with its own path).
    pub fn push(&mut self, problem: Problem) {
        self.list.push(problem);
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn into_result(self) -> Result<(), Invalid> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.list))
        }
    }
}
