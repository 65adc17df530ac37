//! Roadbook's documents: the model in, PDF bytes out.
//!
//! `layout` is a small layout engine (wrapping, font fallback, tables that split across pages,
//! charts); each document in `documents` is a short function from the handbook to layout
//! blocks. `prepare` gathers what a document needs from the store and renders it.

mod changes;
#[cfg(feature = "store")]
mod documents;
#[cfg(feature = "store")]
mod editorial;
mod fonts;
mod html;
mod hygiene;
mod markdown;
// Issuing from the store and regenerating from the archive: what the app and the command line
// need. Without the `store` feature (roadbook-server's access review) only the typesetting is
// built, and no SQLite with it.
#[cfg(feature = "store")]
mod issue;
pub mod layout;
mod pdf;
#[cfg(feature = "store")]
mod portfolio;
mod tagging;
mod text;

use chrono::{DateTime, Utc};
use roadbook_model::Id;
#[cfg(feature = "store")]
use roadbook_store::StoreError;
use sha2::{Digest, Sha256};

#[cfg(feature = "store")]
pub use changes::summarize;
pub use changes::{Change, ChangeKind};
#[cfg(feature = "store")]
pub use documents::{
    Ask, Changes, Context, NextMilestone, ProgramGlance, RiskGlance, portfolio_summary,
};
pub use html::{html, slug};
#[cfg(feature = "store")]
pub use issue::{
    ChangeWindow, Issued, changes_since, prepare, prepare_deck, prepare_html, prepare_layout,
    prepare_markdown, regenerate,
};
pub use markdown::markdown;
pub use pdf::{Meta, SLIDE_H, SLIDE_W, Slide, render, render_deck};
#[cfg(feature = "store")]
pub use portfolio::{
    PortfolioFormat, PortfolioRequest, portfolio_glances, prepare_portfolio,
    prepare_portfolio_layout,
};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("a font could not be used: {0}")]
    Font(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error(
        "there is no review to prepare a packet for: add a review, or name one with --review ID"
    )]
    NoReview,
    #[error("{0}; choose another place")]
    Write(std::io::Error),
    #[cfg(feature = "store")]
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Archive(String),
    #[error(
        "a document cannot be as of {0}: that moment has not come yet; choose a moment up to now"
    )]
    FutureAsOf(String),
    #[error(
        "a deck is made of the leadership readout only: run `roadbook report readout --format deck`"
    )]
    NoDeck(DocumentKind),
    #[error(
        "the baseline '{0}' stands for a moment after the document's: choose an earlier baseline (roadbook baseline list), or none"
    )]
    BaselineAfter(String),
}

/// The kinds of document Roadbook issues.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Readout,
    Memo,
    Packet,
    Dashboard,
    Register,
    Plan,
    Phases,
    Rfc,
    Readiness,
    #[serde(rename = "one-pager")]
    OnePager,
    /// Every page above in one document, with contents, bookmarks and links between pages.
    Handbook,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 11] = [
        DocumentKind::Readout,
        DocumentKind::Memo,
        DocumentKind::Packet,
        DocumentKind::Dashboard,
        DocumentKind::Register,
        DocumentKind::Plan,
        DocumentKind::Phases,
        DocumentKind::Rfc,
        DocumentKind::Readiness,
        DocumentKind::OnePager,
        DocumentKind::Handbook,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentKind::Readout => "readout",
            DocumentKind::Memo => "memo",
            DocumentKind::Packet => "packet",
            DocumentKind::Dashboard => "dashboard",
            DocumentKind::Register => "register",
            DocumentKind::Plan => "plan",
            DocumentKind::Phases => "phases",
            DocumentKind::Rfc => "rfc",
            DocumentKind::Readiness => "readiness",
            DocumentKind::OnePager => "one-pager",
            DocumentKind::Handbook => "handbook",
        }
    }

    /// Where the kind stands in the whole handbook, in reading order; none for the handbook
    /// itself. Every kind answers here (the match makes a new kind say whether it is a part).
    pub fn handbook_place(&self) -> Option<u8> {
        match self {
            DocumentKind::OnePager => Some(1),
            DocumentKind::Dashboard => Some(2),
            DocumentKind::Plan => Some(3),
            DocumentKind::Phases => Some(4),
            DocumentKind::Rfc => Some(5),
            DocumentKind::Register => Some(6),
            DocumentKind::Readiness => Some(7),
            // Only when the handbook is made for a review.
            DocumentKind::Packet => Some(8),
            DocumentKind::Readout => Some(9),
            DocumentKind::Memo => Some(10),
            DocumentKind::Handbook => None,
        }
    }

    /// What the document holds, in a line (the command line's help for each kind).
    pub fn about(&self) -> &'static str {
        match self {
            DocumentKind::Readout => "Leadership Readout",
            DocumentKind::Memo => "Executive Memo",
            DocumentKind::Packet => "Review Packet for one review meeting",
            DocumentKind::Dashboard => "Status Dashboard",
            DocumentKind::Register => "Decision Register",
            DocumentKind::Plan => {
                "Program Plan: objective, phases with work, dependency map, milestones, owners, cadence, risk"
            }
            DocumentKind::Phases => {
                "Implementation Phases: the phase model, current / next / later with work and exit criteria"
            }
            DocumentKind::Rfc => {
                "RFC (request for comments): scope, problem, proposal, non-goals, dependencies, risks, decisions"
            }
            DocumentKind::Readiness => {
                "Internal Readiness Checklist: dimensions, checklist items with evidence, the gate"
            }
            DocumentKind::OnePager => "One-Pager: the program on one page",
            DocumentKind::Handbook => {
                "The whole handbook: every page in one PDF with contents, bookmarks and links between pages"
            }
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            DocumentKind::Readout => "Leadership Readout",
            DocumentKind::Memo => "Executive Memo",
            DocumentKind::Packet => "Review Packet",
            DocumentKind::Dashboard => "Status Dashboard",
            DocumentKind::Register => "Decision Register",
            DocumentKind::Plan => "Program Plan",
            DocumentKind::Phases => "Implementation Phases",
            DocumentKind::Rfc => "RFC",
            DocumentKind::Readiness => "Internal Readiness Checklist",
            DocumentKind::OnePager => "One-Pager",
            DocumentKind::Handbook => "Program Handbook",
        }
    }
}

impl std::str::FromStr for DocumentKind {
    type Err = String;

    /// A kind by its word ("readout", "one-pager"), as the command line and the archive write it.
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == word.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("no document kind '{word}': use one of {}", known.join(", "))
            })
    }
}

/// What to issue.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Request {
    pub kind: DocumentKind,
    pub program: Id,
    /// The review a packet is for; without it, the next upcoming review.
    pub review: Option<Id>,
    /// Start of the readout's "what changed"; without it, the last readout's as-of.
    pub since: Option<DateTime<Utc>>,
    /// The register's status filter.
    pub status: Option<Id>,
    pub as_of: DateTime<Utc>,
    /// The baseline a readout, the plan and the handbook measure dates against: its name or
    /// id, or "none"; without it, the latest a lead set before the document's moment, else the
    /// last readout.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub baseline: Option<String>,
}

/// A day as every document writes it: "7 Dec 2026" (one style for as-of dates, due dates,
/// targets and phases; unambiguous in any locale, shorter than the month in full).
pub(crate) fn day(date: chrono::NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// A phrase with its first letter in upper case ("work item" → "Work item").
#[cfg(feature = "store")]
pub(crate) fn capitalised(text: &str) -> String {
    roadbook_model::capital(text)
}

/// The SHA-256 of a PDF as the archive writes it: 64 lowercase hex digits.
pub fn sha256_hex(pdf: &[u8]) -> String {
    Sha256::digest(pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(all(test, feature = "ts"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `make bindings` writes the kinds of document and their titles, in the order Rust lists
    /// them, for the Documents screen's choice (ui/src/routes/documents): a new kind reaches
    /// the screen by being added here, and the titles are the documents' own.
    #[test]
    fn export_the_document_kinds_for_the_ui() {
        let kinds: Vec<serde_json::Value> = DocumentKind::ALL
            .iter()
            .map(|k| serde_json::json!({ "kind": k.as_str(), "title": k.title() }))
            .collect();
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = serde_json::to_string_pretty(&kinds).unwrap() + "\n";
        std::fs::write(dir.join("document-kinds.json"), &text).unwrap();
        assert_eq!(kinds.len(), DocumentKind::ALL.len());
    }
}
