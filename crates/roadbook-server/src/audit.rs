//! The audit trail as an admin reads it: filtered by program, person, kind and time, as JSON
//! or CSV. The trail is append-only: no route changes or deletes an event, and the database
//! refuses UPDATE, DELETE and TRUNCATE on it (migration 0004).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use roadbook_model::Id;
use serde::Serialize;
use serde_json::Value;

/// The kinds of event the trail holds. A mutation's event is its outcome (`applied`,
/// `conflict`, `rejected`) and names its operation (`create`, `update`, `delete`, `resolve`),
/// and a filter on either finds it: `kind=delete` lists the deletes, `kind=resolve` the conflict
/// resolutions.
pub const KINDS: &[&str] = &[
    "publish",
    "join",
    "document_issued",
    "applied",
    "conflict",
    "rejected",
    "create",
    "update",
    "delete",
    "resolve",
    "roster_import",
    "grant",
    "revoke",
    "scope",
    "break_glass",
    "break_glass_refused",
    "unbind",
];

/// The most events one answer carries; page on with `after`.
pub const MAX_EVENTS: usize = 5_000;

/// Which events to read. Every field narrows; none given: the whole trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub program: Option<Id>,
    pub subject: Option<String>,
    pub kind: Option<String>,
    /// From this moment on (inclusive), as the trail writes times (RFC 3339 UTC, milliseconds).
    pub since: Option<String>,
    /// Before this moment (exclusive).
    pub until: Option<String>,
    /// Events after this one (the `id` of the last event of the previous page).
    pub after: u64,
    pub limit: usize,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            program: None,
            subject: None,
            kind: None,
            since: None,
            until: None,
            after: 0,
            limit: MAX_EVENTS,
        }
    }
}

impl AuditFilter {
    /// The events of one program.
    pub fn program(program: Id) -> AuditFilter {
        AuditFilter {
            program: Some(program),
            ..AuditFilter::default()
        }
    }

    /// Checks a kind a person typed against the kinds there are.
    pub fn kind(text: &str) -> Result<String, String> {
        let kind = text.trim().to_lowercase().replace('-', "_");
        if KINDS.contains(&kind.as_str()) {
            Ok(kind)
        } else {
            Err(format!(
                "'{text}' is not a kind of audit event: use one of {}",
                KINDS.join(", ")
            ))
        }
    }

    /// Whether `line` passes the filter (the in-memory store's query; PostgreSQL's is SQL).
    pub fn matches(&self, line: &AuditLine) -> bool {
        self.program.is_none_or(|p| line.program == Some(p))
            && self.subject.as_deref().is_none_or(|s| line.subject == s)
            && self
                .kind
                .as_deref()
                .is_none_or(|k| line.action == k || line.operation() == Some(k))
            && self.since.as_deref().is_none_or(|t| line.at.as_str() >= t)
            && self.until.as_deref().is_none_or(|t| line.at.as_str() < t)
            && line.id > self.after
    }
}

/// A moment a person gave (`2026-11-30` or an RFC 3339 time) as the trail writes times, so
/// text comparison orders them.
pub fn moment(text: &str) -> Result<String, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        return Ok(start.to_rfc3339_opts(SecondsFormat::Millis, true));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true)
        })
        .map_err(|_| {
            format!("'{text}' is not a date or time: write 2026-11-30 or 2026-11-30T09:00:00Z")
        })
}

/// One event of the trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditLine {
    /// The event's place in the trail (page on with `after`).
    pub id: u64,
    pub at: String,
    /// Who: the token's subject, or the operator's name for commands run on the server.
    pub subject: String,
    pub program: Option<Id>,
    /// The program's name now, for a person reading the trail.
    pub program_name: Option<String>,
    /// The database column is `action`; the API calls it the event's kind.
    #[serde(rename = "kind")]
    pub action: String,
    pub break_glass: bool,
    pub detail: Value,
}

impl AuditLine {
    /// A mutation's operation (create, update, delete, resolve).
    pub fn operation(&self) -> Option<&str> {
        self.detail.get("op").and_then(Value::as_str)
    }
}

/// The trail as CSV, one event a line, for a spreadsheet or an auditor.
/// A CSV cell a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return would be taken for a formula (a program named `=HYPERLINK(...)`), so it gets
/// a leading apostrophe, as OWASP advises.
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

pub fn csv(lines: &[AuditLine]) -> Result<Vec<u8>, String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("cannot write the CSV: {e}");
    out.write_record([
        "Event",
        "When",
        "Who",
        "Program",
        "Program name",
        "Kind",
        "Operation",
        "Break-glass",
        "Detail",
    ])
    .map_err(fail)?;
    for line in lines {
        out.write_record([
            line.id.to_string(),
            cell(&line.at),
            cell(&line.subject),
            line.program.map(|p| p.to_string()).unwrap_or_default(),
            cell(line.program_name.as_deref().unwrap_or_default()),
            cell(&line.action),
            cell(line.operation().unwrap_or_default()),
            if line.break_glass { "yes" } else { "no" }.to_owned(),
            cell(&line.detail.to_string()),
        ])
        .map_err(fail)?;
    }
    out.into_inner()
        .map_err(|e| format!("cannot write the CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(id: u64, at: &str, action: &str, detail: Value) -> AuditLine {
        AuditLine {
            id,
            at: at.into(),
            subject: "sam".into(),
            program: None,
            program_name: None,
            action: action.into(),
            break_glass: false,
            detail,
        }
    }

    #[test]
    fn a_kind_finds_outcomes_and_operations() {
        let delete = line(
            1,
            "2026-11-30T09:00:00.000Z",
            "applied",
            json!({"op": "delete"}),
        );
        let update = line(
            2,
            "2026-11-30T09:00:00.000Z",
            "applied",
            json!({"op": "update"}),
        );
        let deletes = AuditFilter {
            kind: Some(AuditFilter::kind("Delete").unwrap()),
            ..AuditFilter::default()
        };
        assert!(deletes.matches(&delete));
        assert!(!deletes.matches(&update));
        let applied = AuditFilter {
            kind: Some("applied".into()),
            ..AuditFilter::default()
        };
        assert!(applied.matches(&delete) && applied.matches(&update));
        let err = AuditFilter::kind("deletion").unwrap_err();
        assert!(
            err.contains("'deletion'") && err.contains("break_glass"),
            "{err}"
        );
    }

    #[test]
    fn moments_compare_as_the_trail_writes_them() {
        assert_eq!(moment("2026-11-30").unwrap(), "2026-11-30T00:00:00.000Z");
        assert_eq!(
            moment("2026-11-30T10:00:00+01:00").unwrap(),
            "2026-11-30T09:00:00.000Z"
        );
        let err = moment("last week").unwrap_err();
        assert!(
            err.contains("'last week'") && err.contains("2026-11-30"),
            "{err}"
        );
        let window = AuditFilter {
            since: Some(moment("2026-11-30").unwrap()),
            until: Some(moment("2026-12-01").unwrap()),
            ..AuditFilter::default()
        };
        assert!(window.matches(&line(1, "2026-11-30T23:59:59.999Z", "join", json!({}))));
        assert!(!window.matches(&line(1, "2026-12-01T00:00:00.000Z", "join", json!({}))));
        assert!(!window.matches(&line(1, "2026-11-29T23:59:59.999Z", "join", json!({}))));
    }

    #[test]
    fn the_csv_has_a_header_and_one_line_an_event() {
        let bytes = csv(&[line(
            7,
            "2026-11-30T09:00:00.000Z",
            "applied",
            json!({"op": "delete", "note": "a, \"quoted\""}),
        )])
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "7");
        assert_eq!(&rows[0][6], "delete");
        let detail: Value = serde_json::from_str(&rows[0][8]).unwrap();
        assert_eq!(detail["note"], "a, \"quoted\"");
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(cell(formula), format!("'{formula}"));
        }
        assert_eq!(cell("Builder Insights"), "Builder Insights");
        let mut evil = line(8, "2026-11-30T09:00:00.000Z", "publish", json!({}));
        evil.program_name = Some("=cmd|' /C calc'!A0".into());
        let text = String::from_utf8(csv(&[evil]).unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert!(row[4].starts_with("'="), "{}", &row[4]);
    }
}
