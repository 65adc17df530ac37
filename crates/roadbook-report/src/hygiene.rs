//! What printpdf writes that a PDF checker or a reader's viewer takes at its word, set right on
//! the lopdf document before it is saved: the bookmarks open with the file, no claim of a
//! standard the file does not meet, font subsets named the way the standard names them, the
//! language and the title a screen reader and a window bar show.

use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};

/// The language the documents are written in.
pub(crate) const LANGUAGE: &str = "en-US";

pub(crate) fn tidy(doc: &mut Document, has_outline: bool) {
    catalog(doc, has_outline);
    info(doc);
    subset_tags(doc);
}

fn catalog_id(doc: &Document) -> Option<ObjectId> {
    doc.trailer.get(b"Root").and_then(Object::as_reference).ok()
}

fn catalog(doc: &mut Document, has_outline: bool) {
    let Some(id) = catalog_id(doc) else {
        return;
    };
    let Ok(catalog) = doc.get_dictionary_mut(id) else {
        return;
    };
    // printpdf writes /PageMode as a string, which viewers ignore: a name opens the bookmarks.
    if has_outline {
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    } else {
        catalog.remove(b"PageMode");
    }
    catalog.set("Lang", Object::string_literal(LANGUAGE));
    let mut preferences = Dictionary::new();
    // The window shows the document's title, not its file name.
    preferences.set("DisplayDocTitle", true);
    catalog.set("ViewerPreferences", preferences);
}

fn info(doc: &mut Document) {
    let Ok(id) = doc.trailer.get(b"Info").and_then(Object::as_reference) else {
        return;
    };
    let Ok(info) = doc.get_dictionary_mut(id) else {
        return;
    };
    // Empty PDF/X keys make readers report a PDF/X claim (ISO 15930) the file does not meet;
    // empty strings say nothing.
    for key in [
        &b"GTS_PDFXVersion"[..],
        b"GTS_PDFXConformance",
        b"Identifier",
    ] {
        info.remove(key);
    }
    let empty: Vec<Vec<u8>> = info
        .iter()
        .filter(|(_, v)| matches!(v, Object::String(s, _) if s.is_empty()))
        .map(|(k, _)| k.clone())
        .collect();
    for key in empty {
        info.remove(&key);
    }
}

/// A subset font's name starts with a tag of six capital letters and a plus (ISO 32000-1,
/// 9.6.4); printpdf writes its own resource name there ("InterB+Inter-Bold"). The tag is made
/// from the embedded subset itself, so equal documents keep equal bytes and two different
/// subsets of one face do not share a name.
fn subset_tags(doc: &mut Document) {
    let mut renames: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for object in doc.objects.values() {
        let Object::Dictionary(dict) = object else {
            continue;
        };
        let Ok(name) = dict.get(b"FontName").and_then(Object::as_name) else {
            continue;
        };
        let Some(plus) = name.iter().position(|b| *b == b'+') else {
            continue;
        };
        let tag = name.get(..plus).unwrap_or_default();
        if tag.len() == 6 && tag.iter().all(u8::is_ascii_uppercase) {
            continue;
        }
        let mut hasher = Sha256::new();
        hasher.update(name);
        for key in [&b"FontFile"[..], b"FontFile2", b"FontFile3"] {
            if let Ok(stream) = dict
                .get(key)
                .and_then(Object::as_reference)
                .and_then(|id| doc.get_object(id))
                .and_then(Object::as_stream)
            {
                // Its length and first bytes tell one subset from another as well as all of it
                // would, for a fraction of the hashing.
                hasher.update(stream.content.len().to_le_bytes());
                hasher.update(stream.content.get(..4096).unwrap_or(&stream.content));
            }
        }
        let digest = hasher.finalize();
        let mut renamed: Vec<u8> = digest.iter().take(6).map(|b| b'A' + b % 26).collect();
        renamed.push(b'+');
        renames.push((name.get(..=plus).unwrap_or_default().to_vec(), renamed));
    }
    for object in doc.objects.values_mut() {
        let Object::Dictionary(dict) = object else {
            continue;
        };
        for key in [&b"FontName"[..], b"BaseFont"] {
            let Ok(name) = dict.get(key).and_then(Object::as_name) else {
                continue;
            };
            // The font, its descendant and its descriptor all carry the tag ("InterB+Inter-Bold",
            // sometimes with an encoding after it).
            if let Some((from, to)) = renames.iter().find(|(from, _)| name.starts_with(from)) {
                let mut renamed = to.clone();
                renamed.extend_from_slice(name.get(from.len()..).unwrap_or_default());
                dict.set(key, Object::Name(renamed));
            }
        }
    }
}

/// The bookmarks, written here rather than by printpdf (which sorts those of one page by
/// name): in reading order, each section under its part, each leading to its heading's place
/// on the page; the parts open, their sections folded in a document of parts.
pub(crate) fn outline(doc: &mut Document, bookmarks: &[crate::layout::Bookmark]) {
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if bookmarks.is_empty() {
        if let Ok(catalog) = doc.catalog_mut() {
            catalog.remove(b"Outlines");
        }
        return;
    }
    let root = doc.new_object_id();
    let ids: Vec<ObjectId> = bookmarks.iter().map(|_| doc.new_object_id()).collect();
    let id = |n: &usize| Object::Reference(ids.get(*n).copied().unwrap_or(root));
    // Each bookmark's parent (the last level-0 one before it, for a level-1 one) and each
    // one's children, in one pass.
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(bookmarks.len());
    let mut kids: Vec<Vec<usize>> = vec![Vec::new(); bookmarks.len()];
    let mut top_level: Vec<usize> = Vec::new();
    let mut part = None;
    for (n, bookmark) in bookmarks.iter().enumerate() {
        let parent = if bookmark.level == 0 {
            part = Some(n);
            None
        } else {
            part
        };
        match parent.and_then(|p| kids.get_mut(p)) {
            Some(list) => list.push(n),
            None => top_level.push(n),
        }
        parents.push(parent);
    }
    let no_kids = Vec::new();
    for (n, bookmark) in bookmarks.iter().enumerate() {
        let parent = parents.get(n).copied().flatten();
        let siblings = match parent {
            Some(p) => kids.get(p).unwrap_or(&no_kids),
            None => &top_level,
        };
        let at = siblings.iter().position(|s| *s == n).unwrap_or(0);
        let mut item = Dictionary::new();
        item.set("Title", text_string(&bookmark.title));
        item.set(
            "Parent",
            Object::Reference(parent.and_then(|p| ids.get(p).copied()).unwrap_or(root)),
        );
        if let Some(prev) = at.checked_sub(1).and_then(|i| siblings.get(i)) {
            item.set("Prev", id(prev));
        }
        if let Some(next) = siblings.get(at + 1) {
            item.set("Next", id(next));
        }
        let own = kids.get(n).unwrap_or(&no_kids);
        if let (Some(first), Some(last)) = (own.first(), own.last()) {
            item.set("First", id(first));
            item.set("Last", id(last));
            // Folded: a part's sections show when the reader opens it.
            item.set("Count", -(own.len() as i64));
        }
        if let Some(page) = pages.get(bookmark.page) {
            item.set(
                "Dest",
                vec![
                    Object::Reference(*page),
                    Object::Name(b"XYZ".to_vec()),
                    Object::Null,
                    Object::Real(bookmark.top),
                    Object::Null,
                ],
            );
        }
        if let Some(object) = ids.get(n) {
            doc.objects.insert(*object, Object::Dictionary(item));
        }
    }
    let mut outlines = Dictionary::new();
    outlines.set("Type", Object::Name(b"Outlines".to_vec()));
    if let (Some(first), Some(last)) = (top_level.first(), top_level.last()) {
        outlines.set("First", id(first));
        outlines.set("Last", id(last));
    }
    outlines.set("Count", top_level.len() as i64);
    doc.objects.insert(root, Object::Dictionary(outlines));
    if let Ok(catalog) = doc.catalog_mut() {
        catalog.set("Outlines", Object::Reference(root));
    }
}

/// A PDF text string: plain when ASCII, else UTF-16BE with its byte-order mark.
pub(crate) fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        return Object::string_literal(text);
    }
    Object::String(utf16(text), lopdf::StringFormat::Hexadecimal)
}

/// Text as a PDF text string's bytes in UTF-16BE, byte-order mark first (ISO 32000-1, 7.9.2.2).
pub(crate) fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    bytes
}
