//! The document's logical structure, built while it is laid out: headings, paragraphs, lists,
//! tables, figures and links, in reading order. The PDF writer turns it into a tagged PDF's
//! structure tree, so a screen reader reads the document as a person would.

use super::Layouter;

/// A structure element's kind: the standard structure types of ISO 32000-1, 14.8.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Document,
    /// A part of a larger document (a page of the handbook, a slide of the deck).
    Sect,
    H1,
    H2,
    H3,
    P,
    /// A list, its items, each item's label (the bullet or number) and body.
    L,
    LI,
    Lbl,
    LBody,
    Table,
    TR,
    /// A header cell (of a column).
    TH,
    TD,
    /// A chart: its alternative text says what it shows.
    Figure,
    Link,
    /// The table of contents and its entries.
    TOC,
    TOCI,
}

impl Role {
    /// The structure type's name in the PDF.
    pub fn name(self) -> &'static str {
        match self {
            Role::Document => "Document",
            Role::Sect => "Sect",
            Role::H1 => "H1",
            Role::H2 => "H2",
            Role::H3 => "H3",
            Role::P => "P",
            Role::L => "L",
            Role::LI => "LI",
            Role::Lbl => "Lbl",
            Role::LBody => "LBody",
            Role::Table => "Table",
            Role::TR => "TR",
            Role::TH => "TH",
            Role::TD => "TD",
            Role::Figure => "Figure",
            Role::Link => "Link",
            Role::TOC => "TOC",
            Role::TOCI => "TOCI",
        }
    }

    /// A heading's level (1 to 3), none for anything else.
    pub fn heading_level(self) -> Option<u8> {
        match self {
            Role::H1 => Some(1),
            Role::H2 => Some(2),
            Role::H3 => Some(3),
            _ => None,
        }
    }
}

/// One element of the structure. Its children are the elements that name it as parent, in the
/// order they were made; an element holds either children or drawn content, never both, so
/// that order is the reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub role: Role,
    pub parent: Option<usize>,
    /// A figure's alternative text.
    pub alt: Option<String>,
}

/// The element a drawn thing belongs to; `None` for what is not content (rules, fills, the
/// running header and footer, a table's header repeated on the next page): an artifact.
pub type Tag = Option<usize>;

impl Layouter<'_> {
    /// A new element under `parent`.
    pub(super) fn element(&mut self, role: Role, parent: usize) -> usize {
        self.laid.structure.push(Element {
            role,
            parent: Some(parent),
            alt: None,
        });
        self.laid.structure.len() - 1
    }

    /// A new element in the current section, and what is drawn next belongs to it.
    pub(super) fn begin(&mut self, role: Role) -> usize {
        let id = self.element(role, self.section);
        self.tag = Some(id);
        id
    }

    /// A new element under `parent`, and what is drawn next belongs to it.
    pub(super) fn begin_in(&mut self, role: Role, parent: usize) -> usize {
        let id = self.element(role, parent);
        self.tag = Some(id);
        id
    }

    /// A figure with its alternative text.
    pub(super) fn figure(&mut self, alt: String) -> usize {
        let id = self.begin(Role::Figure);
        if let Some(e) = self.laid.structure.get_mut(id) {
            e.alt = Some(alt);
        }
        id
    }
}
