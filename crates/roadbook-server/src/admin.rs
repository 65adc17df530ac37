//! What an operator runs beside the server, on its database: importing the org roster, granting
//! a role on one program, scoping a program to an org unit, and the access review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use roadbook_model::Id;
use roadbook_protocol::Role;
use serde_json::Value;

use crate::config::RoleMap;
use crate::directory::{AccessFacts, Directory, RosterChange, RosterEntry};
use crate::storage::Storage;

/// The roster in `path`: CSV with a header row, or JSON (an array of objects), each person
/// with person, email, team, org unit and manager. Checked whole: any bad row and nothing is
/// imported.
pub fn read_roster(path: &Path) -> Result<Vec<RosterEntry>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the roster {}: {e}", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let rows: Vec<BTreeMap<String, String>> = if is_json {
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the roster {} is not valid JSON: {e}", path.display()))?;
        let Value::Array(items) = value else {
            return Err(format!(
                "the roster {} must be a JSON array of people",
                path.display()
            ));
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(fields) => Ok(fields
                    .into_iter()
                    .map(|(k, v)| {
                        let text = match v {
                            Value::String(s) => s,
                            Value::Null => String::new(),
                            other => other.to_string(),
                        };
                        (key(&k), text)
                    })
                    .collect()),
                _ => Err(format!("person {} of the roster is not an object", i + 1)),
            })
            .collect::<Result<_, _>>()?
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| format!("the roster {} has no header row: {e}", path.display()))?
            .iter()
            .map(key)
            .collect();
        reader
            .records()
            .enumerate()
            .map(|(i, record)| {
                let record = record.map_err(|e| format!("row {} of the roster: {e}", i + 2))?;
                Ok(headers
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect())
            })
            .collect::<Result<_, String>>()?
    };
    check_roster(rows, if is_json { 1 } else { 2 })
}

/// A column name as compared: lower case, without spaces, dashes or underscores.
fn key(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn check_roster(
    rows: Vec<BTreeMap<String, String>>,
    first: usize,
) -> Result<Vec<RosterEntry>, String> {
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, row) in rows.into_iter().enumerate() {
        let at = i + first;
        let field = |name: &str| {
            row.get(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let entry = RosterEntry {
            person: field("person"),
            email: field("email").to_lowercase(),
            team: field("team"),
            org_unit: field("orgunit"),
            manager: field("manager"),
        };
        for (name, value) in [
            ("person", &entry.person),
            ("email", &entry.email),
            ("org unit", &entry.org_unit),
        ] {
            if value.is_empty() {
                problems.push(format!("row {at}: {name} is empty"));
            }
        }
        if !entry.email.is_empty() && !entry.email.contains('@') {
            problems.push(format!(
                "row {at}: '{}' is not an email address",
                entry.email
            ));
        }
        if let Some(before) = seen.insert(entry.email.clone(), at)
            && !entry.email.is_empty()
        {
            problems.push(format!(
                "row {at}: {} is listed already (row {before})",
                entry.email
            ));
        }
        entries.push(entry);
    }
    if entries.is_empty() {
        problems.push("it lists nobody".into());
    }
    if !problems.is_empty() {
        let shown: Vec<_> = problems.iter().take(20).cloned().collect();
        let more = problems.len().saturating_sub(shown.len());
        return Err(format!(
            "the roster was not imported, nothing changed: {}{}",
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    Ok(entries)
}

/// The report of an import, for the operator.
pub fn describe(change: &RosterChange, count: usize) -> String {
    let list = |emails: &[String]| {
        if emails.is_empty() {
            "none".to_owned()
        } else {
            emails.join(", ")
        }
    };
    format!(
        "Imported {count} people. Added: {}. Removed: {}. Changed: {}.",
        list(&change.added),
        list(&change.removed),
        list(&change.changed)
    )
}

/// One line of the access review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    pub program: String,
    pub person: String,
    pub email: String,
    pub role: String,
    /// Which group, grant or roster entry gives it.
    pub through: String,
    pub last_seen: String,
}

/// Who has which role on which program and how, and the break-glass use since `since`.
pub async fn access_review(
    storage: &dyn Storage,
    directory: &dyn Directory,
    roles: &RoleMap,
    since: &str,
) -> Result<Vec<Entitlement>, String> {
    let failed = |e: crate::storage::StorageError| e.to_string();
    let programs = storage.programs().await.map_err(failed)?;
    let scoped = directory.scoped().await.map_err(failed)?;
    let roster: BTreeMap<String, RosterEntry> = directory
        .roster()
        .await
        .map_err(failed)?
        .into_iter()
        .map(|e| (e.email.clone(), e))
        .collect();
    let grants = directory.grants(None).await.map_err(failed)?;
    let people = directory.people().await.map_err(failed)?;

    // Everyone who could hold a role: people seen (with the groups their last token had), and
    // people granted a role who never used the server (grants only).
    struct Candidate {
        name: String,
        email: String,
        groups: Vec<String>,
        last_seen: String,
    }
    let mut candidates: Vec<Candidate> = people
        .iter()
        .map(|p| Candidate {
            name: p.name.clone(),
            email: p.email.clone().unwrap_or_default(),
            groups: p.groups.clone(),
            last_seen: p.last_seen.clone(),
        })
        .collect();
    let known: BTreeSet<String> = candidates.iter().map(|c| c.email.clone()).collect();
    let mut granted_only: BTreeSet<String> = BTreeSet::new();
    for grant in &grants {
        if !known.contains(&grant.email) {
            granted_only.insert(grant.email.clone());
        }
    }
    for email in granted_only {
        candidates.push(Candidate {
            name: roster
                .get(&email)
                .map(|r| r.person.clone())
                .unwrap_or_else(|| email.clone()),
            email,
            groups: Vec::new(),
            last_seen: "never".into(),
        });
    }

    let mut lines = Vec::new();
    for program in &programs {
        for who in &candidates {
            let group = who
                .groups
                .iter()
                .filter_map(|g| roles.get(g).map(|r| (*r, g)))
                .max_by_key(|(r, _)| *r);
            let grant = grants
                .iter()
                .find(|g| g.program == program.id && g.email == who.email && !who.email.is_empty());
            let facts = AccessFacts {
                org_unit: scoped.get(&program.id).cloned(),
                member_of: roster.get(&who.email).map(|r| r.org_unit.clone()),
                grant: grant.map(|g| g.role),
            };
            let Some(role) = facts.role(group.map(|(r, _)| r)) else {
                continue;
            };
            let mut through = Vec::new();
            if let Some((group_role, name)) = group
                && group_role == role
            {
                through.push(format!("group {name}"));
            }
            if let Some(grant) = grant
                && grant.role == role
            {
                through.push(format!(
                    "grant by {} on {}",
                    grant.granted_by,
                    grant.granted_at.get(..10).unwrap_or(&grant.granted_at)
                ));
            }
            if let Some(unit) = &facts.org_unit
                && role != Role::Admin
            {
                through.push(format!("roster: member of {unit}"));
            }
            lines.push(Entitlement {
                program: program.name.clone(),
                person: who.name.clone(),
                email: who.email.clone(),
                role: role.as_str().to_owned(),
                through: through.join("; "),
                last_seen: who.last_seen.clone(),
            });
        }
    }
    lines.sort_by(|a, b| (&a.program, &a.person).cmp(&(&b.program, &b.person)));

    let names: BTreeMap<Id, String> = programs.iter().map(|p| (p.id, p.name.clone())).collect();
    for event in directory.break_glass_since(since).await.map_err(failed)? {
        let reason = event
            .detail
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let route = event
            .detail
            .get("route")
            .and_then(Value::as_str)
            .unwrap_or_default();
        lines.push(Entitlement {
            program: event
                .program
                .and_then(|p| names.get(&p).cloned())
                .unwrap_or_else(|| "(no program)".into()),
            person: event.subject.clone(),
            email: String::new(),
            role: "admin (break-glass)".into(),
            through: format!("break-glass: {reason} ({route})"),
            last_seen: event.at.clone(),
        });
    }
    Ok(lines)
}

/// The review as CSV, with a header row.
pub fn review_csv(lines: &[Entitlement]) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| e.to_string();
    writer
        .write_record([
            "Program",
            "Person",
            "Email",
            "Role",
            "Through",
            "Last signed in or synced",
        ])
        .map_err(fail)?;
    for line in lines {
        writer
            .write_record([
                crate::audit::cell(&line.program),
                crate::audit::cell(&line.person),
                crate::audit::cell(&line.email),
                crate::audit::cell(&line.role),
                crate::audit::cell(&line.through),
                crate::audit::cell(&line.last_seen),
            ])
            .map_err(fail)?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The review as a PDF in the documents' typography: who has which role and how, then the
/// break-glass use in the period.
pub fn review_pdf(
    lines: &[Entitlement],
    since: &str,
    prepared_by: &str,
    as_of: chrono::DateTime<chrono::Utc>,
    audit: &crate::audit_chain::Verdict,
) -> Result<Vec<u8>, String> {
    use roadbook_report::layout::{Block, Cell, Column, Table};
    let column = |title: &str, share: f32| Column {
        title: title.to_owned(),
        share,
    };
    let (glass, access): (Vec<&Entitlement>, Vec<&Entitlement>) =
        lines.iter().partition(|l| l.role == "admin (break-glass)");
    let people: BTreeSet<&str> = access.iter().map(|l| l.email.as_str()).collect();
    let programs: BTreeSet<&str> = access.iter().map(|l| l.program.as_str()).collect();
    let mut blocks = vec![
        Block::Title {
            title: "Access Review".into(),
            subtitle: "Roadbook programs on this server".into(),
            meta: format!(
                "As of {} · Prepared by {prepared_by}",
                as_of.format("%-d %B %Y")
            ),
        },
        Block::Lead(format!(
            "{} {} {} on {}. Each line says which group, grant or roster entry gives the role, and when the person last signed in or synced.",
            count(people.len(), "person", "people"),
            if people.len() == 1 { "holds" } else { "hold" },
            count(access.len(), "role", "roles"),
            count(programs.len(), "program", "programs"),
        )),
        Block::Heading("Who has which role".into()),
    ];
    if access.is_empty() {
        blocks.push(Block::Paragraph("Nobody holds a role.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![
                column("Program", 0.2),
                column("Person", 0.2),
                column("Role", 0.09),
                column("Through", 0.33),
                column("Last signed in or synced", 0.18),
            ],
            rows: access
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(l.program.clone()),
                        Cell::Titled {
                            title: l.person.clone(),
                            detail: l.email.clone(),
                        },
                        Cell::Strong(l.role.clone()),
                        Cell::Text(l.through.clone()),
                        Cell::Muted(
                            l.last_seen
                                .get(..16)
                                .unwrap_or(&l.last_seen)
                                .replace('T', " "),
                        ),
                    ]
                })
                .collect(),
        }));
    }
    blocks.push(Block::Heading("The audit trail".into()));
    blocks.push(Block::Paragraph(format!(
        "Checked when this review was prepared: {}.",
        audit.describe()
    )));
    blocks.push(Block::Heading(format!("Break-glass use since {since}")));
    if glass.is_empty() {
        blocks.push(Block::Paragraph("None.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![
                column("When", 0.18),
                column("Who", 0.18),
                column("Program", 0.2),
                column("Reason and route", 0.44),
            ],
            rows: glass
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(
                            l.last_seen
                                .get(..16)
                                .unwrap_or(&l.last_seen)
                                .replace('T', " "),
                        ),
                        Cell::Strong(l.person.clone()),
                        Cell::Text(l.program.clone()),
                        Cell::Text(l.through.trim_start_matches("break-glass: ").to_owned()),
                    ]
                })
                .collect(),
        }));
    }
    let meta = roadbook_report::Meta {
        title: "Access Review".into(),
        program: "Roadbook programs on this server".into(),
        author: prepared_by.to_owned(),
        subject: "Who has which role on which Roadbook program, and how".into(),
        as_of,
        // A report across programs: no one program's marking speaks for it.
        classification: String::new(),
    };
    roadbook_report::render(&blocks, &meta).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn roster(text: &str, name: &str) -> Result<Vec<RosterEntry>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_roster(&path)
    }

    #[test]
    fn a_roster_reads_from_csv_or_json_with_the_columns_named_loosely() {
        let csv = roster(
            "Person,Email,Team,Org unit,Manager\nLee Lead,LEE@example.test,Platform,Platform,Ada\n",
            "roster.csv",
        )
        .unwrap();
        assert_eq!(csv[0].email, "lee@example.test");
        assert_eq!(csv[0].org_unit, "Platform");
        let json = roster(
            r#"[{"person":"Sam","email":"sam@example.test","team":"T","org_unit":"Sales","manager":"Lee"}]"#,
            "roster.json",
        )
        .unwrap();
        assert_eq!(json[0].org_unit, "Sales");
    }

    #[test]
    fn a_bad_roster_names_every_bad_row_and_imports_nothing() {
        let err = roster(
            "person,email,team,org unit,manager\nLee,lee@x.test,T,Platform,A\n,nobody,T,,A\nLee again,LEE@x.test,T,Platform,A\n",
            "roster.csv",
        )
        .unwrap_err();
        assert!(err.contains("nothing changed"), "{err}");
        assert!(err.contains("row 3: person is empty"), "{err}");
        assert!(
            err.contains("row 3: 'nobody' is not an email address"),
            "{err}"
        );
        assert!(err.contains("row 3: org unit is empty"), "{err}");
        assert!(
            err.contains("row 4: lee@x.test is listed already (row 2)"),
            "{err}"
        );
        assert!(
            roster("[1]", "r.json")
                .unwrap_err()
                .contains("not an object")
        );
        assert!(roster("", "r.csv").unwrap_err().contains("lists nobody"));
    }

    #[test]
    fn the_review_pdf_lists_roles_and_break_glass_use() {
        let line = |person: &str, role: &str, through: &str| Entitlement {
            program: "Builder Insights operationalization".into(),
            person: person.into(),
            email: format!("{}@example.test", person.to_lowercase()),
            role: role.into(),
            through: through.into(),
            last_seen: "2026-11-23T10:15:00.000Z".into(),
        };
        let lines = vec![
            line("Lee", "lead", "group rb-leads; roster: member of Platform"),
            line(
                "oncall",
                "admin (break-glass)",
                "break-glass: incident 4711 (/v1/programs)",
            ),
        ];
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let verdict = crate::audit_chain::verify(&[], &Default::default());
        let pdf = review_pdf(&lines, "2026-08-25", "Ops", at, &verdict).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // The same lines give the same bytes, as every Roadbook document does.
        assert_eq!(
            pdf,
            review_pdf(&lines, "2026-08-25", "Ops", at, &verdict).unwrap()
        );
    }
}
