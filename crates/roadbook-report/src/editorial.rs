//! Passes over a composed document that a copy editor would make: say once what is not there
//! rather than fill a column with it.

use crate::layout::{Block, Cell, Table};

/// Drops every table column whose cells all say nothing is recorded ("not set", "—"), spreads
/// its width over the columns left, and says so once in the document, under the first table
/// that lost such a column ("No due dates are set yet.").
pub(crate) fn drop_unset_columns(blocks: Vec<Block>) -> Vec<Block> {
    let mut said: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let Block::Table(table) = block else {
            out.push(block);
            continue;
        };
        let (table, dropped) = without_unset(table);
        out.push(Block::Table(table));
        let notes: Vec<String> = dropped
            .iter()
            .map(|title| missing(title))
            .filter(|note| !said.contains(note))
            .collect();
        if !notes.is_empty() {
            said.extend(notes.iter().cloned());
            out.push(Block::Paragraph(notes.join(" ")));
        }
    }
    out
}

fn without_unset(mut table: Table) -> (Table, Vec<String>) {
    let unset = |c: usize| {
        !table.rows.is_empty()
            && table
                .rows
                .iter()
                .all(|row| matches!(row.get(c), Some(Cell::Unset(_))))
    };
    let drop: Vec<usize> = (0..table.columns.len()).filter(|c| unset(*c)).collect();
    // A table of nothing recorded keeps its columns: it has nothing else to show.
    if drop.is_empty() || drop.len() == table.columns.len() {
        return (table, Vec::new());
    }
    let titles = drop
        .iter()
        .filter_map(|c| table.columns.get(*c).map(|col| col.title.clone()))
        .collect();
    let keep = |c: &usize| !drop.contains(c);
    for row in &mut table.rows {
        *row = std::mem::take(row)
            .into_iter()
            .enumerate()
            .filter(|(c, _)| keep(c))
            .map(|(_, cell)| cell)
            .collect();
    }
    table.columns = std::mem::take(&mut table.columns)
        .into_iter()
        .enumerate()
        .filter(|(c, _)| keep(c))
        .map(|(_, col)| col)
        .collect();
    let total: f32 = table.columns.iter().map(|c| c.share).sum();
    if total > 0.0 {
        for column in &mut table.columns {
            column.share /= total;
        }
    }
    (table, titles)
}

/// In a document of parts (the handbook) each block of substance is printed once: where a later
/// part would repeat one (a readiness section, the top risks, the asks), it says where to find
/// it, a link to the part that shows it; the program's summary, which opens the document,
/// is not repeated under each part.
pub(crate) fn once_per_document(blocks: Vec<Block>) -> Vec<Block> {
    let mut seen: Vec<(Block, String)> = Vec::new();
    let mut part = String::new();
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    for block in blocks {
        if let Block::Part(title) = &block {
            part.clone_from(title);
        }
        let substantial = match &block {
            Block::Paragraph(t) | Block::Labeled { text: t, .. } => t.chars().count() > 40,
            Block::Lead(_)
            | Block::Bullets(_)
            | Block::Table(_)
            | Block::Meters(_)
            | Block::HeatMap(_)
            | Block::Timeline(_)
            | Block::Callout { .. }
            | Block::Steps(_) => true,
            _ => false,
        };
        if !substantial {
            out.push(block);
            continue;
        }
        match seen.iter().find(|(b, _)| *b == block) {
            None => {
                seen.push((block.clone(), part.clone()));
                out.push(block);
            }
            Some(_) if matches!(block, Block::Lead(_)) => {}
            Some((_, first)) => {
                let reference = if first.is_empty() {
                    "As shown above".to_owned()
                } else {
                    format!("As shown in the {first}")
                };
                // Several repeated blocks in a row make one reference.
                let same =
                    matches!(out.last(), Some(Block::Links(l)) if l.first() == Some(&reference));
                if !same {
                    out.push(Block::Links(vec![reference]));
                }
            }
        }
    }
    out
}

/// The sentence that replaces a column of nothing.
fn missing(column: &str) -> String {
    match column {
        "Due" => "No due dates are set yet.".to_owned(),
        "Target" => "No target dates are set yet.".to_owned(),
        "Starts" => "No start dates are set yet.".to_owned(),
        "Ends" => "No end dates are set yet.".to_owned(),
        "Outcome" => "No outcomes are recorded yet.".to_owned(),
        "Evidence" => "No evidence is recorded yet.".to_owned(),
        "Mitigation" => "No mitigations are recorded yet.".to_owned(),
        "Decided by" => "Who decided is not recorded yet.".to_owned(),
        other => format!("Nothing is recorded under {} yet.", other.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::layout::Column;

    fn table(due: [Cell; 2]) -> Block {
        let [a, b] = due;
        Block::Table(Table {
            columns: vec![
                Column {
                    title: "Action".into(),
                    share: 0.7,
                },
                Column {
                    title: "Due".into(),
                    share: 0.3,
                },
            ],
            rows: vec![
                vec![Cell::Text("one".into()), a],
                vec![Cell::Text("two".into()), b],
            ],
        })
    }

    #[test]
    fn a_column_of_nothing_is_dropped_and_said_once() {
        let unset = || Cell::Unset("not set".into());
        let blocks = drop_unset_columns(vec![table([unset(), unset()]), table([unset(), unset()])]);
        let said: Vec<&Block> = blocks
            .iter()
            .filter(|b| matches!(b, Block::Paragraph(p) if p == "No due dates are set yet."))
            .collect();
        assert_eq!(said.len(), 1, "{blocks:?}");
        let Block::Table(first) = &blocks[0] else {
            panic!()
        };
        assert_eq!(first.columns.len(), 1);
        assert!((first.columns[0].share - 1.0).abs() < 1e-6);
        assert!(first.rows.iter().all(|r| r.len() == 1));
    }

    #[test]
    fn a_column_with_one_value_stays() {
        let blocks = drop_unset_columns(vec![table([
            Cell::Unset("not set".into()),
            Cell::Text("2026-12-15".into()),
        ])]);
        assert_eq!(blocks.len(), 1);
        let Block::Table(t) = &blocks[0] else {
            panic!()
        };
        assert_eq!(t.columns.len(), 2);
    }
}
