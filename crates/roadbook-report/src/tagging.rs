//! The tagged PDF's structure: from the layout's elements and the MCIDs the writer gave their
//! content, the structure tree (elements in reading order, each with its marked content or its
//! child elements), the parent tree (from each MCID and each link annotation back to its
//! element), and the catalog and page entries that say the file is tagged (ISO 32000-1, 14.7
//! and 14.8; the machine-checkable core of PDF/UA-1, ISO 14289-1).

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::ReportError;
use crate::layout::{Element, Role, Tag};
use crate::pdf::Meta;

/// What the writer drew for the structure: per page, the element of each MCID (in MCID order)
/// and the Link element of each link annotation (in the page's /Annots order).
pub(crate) struct Marks<'a> {
    pub content: &'a [Vec<usize>],
    pub annotations: &'a [Vec<Tag>],
}

/// One thing an element holds, in reading order.
enum Kid {
    Element(usize),
    Content { page: usize, mcid: usize },
    Annotation { page: usize, annotation: ObjectId },
}

pub(crate) fn tag(
    doc: &mut Document,
    structure: &[Element],
    marks: &Marks,
    meta: &Meta,
) -> Result<(), ReportError> {
    let missing = |what: &str| ReportError::Pdf(format!("tagging: {what} is missing"));
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let count = structure.len();
    let mut kids: Vec<Vec<Kid>> = (0..count).map(|_| Vec::new()).collect();
    for (page, elements) in marks.content.iter().enumerate() {
        for (mcid, element) in elements.iter().enumerate() {
            if let Some(list) = kids.get_mut(*element) {
                list.push(Kid::Content { page, mcid });
            }
        }
    }
    // Each link annotation becomes an object of its own (printpdf writes them inline), with
    // the key that leads from it to its Link element.
    let mut next_key = pages.len();
    let mut annotation_parents: Vec<(usize, usize)> = Vec::new();
    for (page, page_id) in pages.iter().enumerate() {
        let annots = match doc
            .get_dictionary(*page_id)
            .ok()
            .and_then(|d| d.get(b"Annots").ok())
        {
            Some(Object::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        let tags = marks.annotations.get(page).map_or(&[][..], Vec::as_slice);
        let mut placed = Vec::with_capacity(annots.len());
        for (n, annot) in annots.into_iter().enumerate() {
            let Object::Dictionary(mut dict) = annot else {
                placed.push(annot);
                continue;
            };
            let element = tags.get(n).copied().flatten();
            if let Some(element) = element {
                dict.set("StructParent", next_key as i64);
                annotation_parents.push((next_key, element));
                next_key += 1;
            }
            // Which page the annotation is on, as PDF/UA asks of every annotation.
            dict.set("P", Object::Reference(*page_id));
            let id = doc.add_object(dict);
            if let Some(list) = element.and_then(|e| kids.get_mut(e)) {
                list.push(Kid::Annotation {
                    page,
                    annotation: id,
                });
            }
            placed.push(Object::Reference(id));
        }
        if let Ok(dict) = doc.get_dictionary_mut(*page_id) {
            dict.set("Annots", placed);
            dict.set("StructParents", page as i64);
            // Tab order follows the structure.
            dict.set("Tabs", Object::Name(b"S".to_vec()));
        }
    }
    // Each element's children, in the order they were made, before any content of its own
    // (an element holds one or the other; a link its text, then its annotation).
    let mut children: Vec<Vec<Kid>> = (0..count).map(|_| Vec::new()).collect();
    for (id, element) in structure.iter().enumerate() {
        if let Some(list) = element.parent.and_then(|p| children.get_mut(p)) {
            list.push(Kid::Element(id));
        }
    }
    for (list, own) in children.iter_mut().zip(kids.iter_mut()) {
        list.append(own);
    }
    let kids = children;
    // An element with nothing in it (a paragraph of no text) is left out of the tree.
    let mut live = vec![false; count];
    for id in (0..count).rev() {
        let has = kids.get(id).is_some_and(|list| {
            list.iter().any(|k| match k {
                Kid::Element(child) => live.get(*child).copied().unwrap_or(false),
                _ => true,
            })
        });
        if let Some(slot) = live.get_mut(id) {
            *slot = has || id == 0;
        }
    }
    let ids: Vec<Option<ObjectId>> = live
        .iter()
        .map(|l| l.then(|| doc.new_object_id()))
        .collect();
    let root_id = doc.new_object_id();
    let tree_id = doc.new_object_id();

    for (id, element) in structure.iter().enumerate() {
        let Some(object) = ids.get(id).copied().flatten() else {
            continue;
        };
        let list = kids.get(id).map_or(&[][..], Vec::as_slice);
        let first_page = list.iter().find_map(|k| match k {
            Kid::Content { page, .. } | Kid::Annotation { page, .. } => Some(*page),
            Kid::Element(_) => None,
        });
        let page_ref = |page: usize| pages.get(page).copied().map(Object::Reference);
        let mut k = Vec::with_capacity(list.len());
        for kid in list {
            match kid {
                Kid::Element(child) => {
                    if let Some(child) = ids.get(*child).copied().flatten() {
                        k.push(Object::Reference(child));
                    }
                }
                Kid::Content { page, mcid } if Some(*page) == first_page => {
                    k.push(Object::Integer(*mcid as i64));
                }
                Kid::Content { page, mcid } => {
                    let mut mcr = Dictionary::new();
                    mcr.set("Type", Object::Name(b"MCR".to_vec()));
                    mcr.set("Pg", page_ref(*page).ok_or_else(|| missing("a page"))?);
                    mcr.set("MCID", *mcid as i64);
                    k.push(Object::Dictionary(mcr));
                }
                Kid::Annotation { page, annotation } => {
                    let mut objr = Dictionary::new();
                    objr.set("Type", Object::Name(b"OBJR".to_vec()));
                    objr.set("Obj", Object::Reference(*annotation));
                    objr.set("Pg", page_ref(*page).ok_or_else(|| missing("a page"))?);
                    k.push(Object::Dictionary(objr));
                }
            }
        }
        let has_annotation = list.iter().any(|k| matches!(k, Kid::Annotation { .. }));
        // A link that leads nowhere in this document (a reference to a page it does not
        // hold) is plain text.
        let role = match element.role {
            Role::Link if !has_annotation => "Span",
            role => role.name(),
        };
        let mut dict = Dictionary::new();
        dict.set("Type", Object::Name(b"StructElem".to_vec()));
        dict.set("S", Object::Name(role.as_bytes().to_vec()));
        let parent = match element.parent {
            None => root_id,
            Some(parent) => ids
                .get(parent)
                .copied()
                .flatten()
                .ok_or_else(|| missing("a parent element"))?,
        };
        dict.set("P", Object::Reference(parent));
        if let Some(page) = first_page.and_then(page_ref) {
            dict.set("Pg", page);
        }
        if let Some(alt) = &element.alt {
            // A text string: a chart's names may be in any script.
            dict.set("Alt", crate::hygiene::text_string(alt));
        }
        if element.role == Role::TH {
            let mut attributes = Dictionary::new();
            attributes.set("O", Object::Name(b"Table".to_vec()));
            attributes.set("Scope", Object::Name(b"Column".to_vec()));
            dict.set("A", attributes);
        }
        if id == 0 {
            dict.set("Lang", Object::string_literal(crate::hygiene::LANGUAGE));
        }
        dict.set("K", k);
        doc.objects.insert(object, Object::Dictionary(dict));
    }

    // The parent tree: page n's MCIDs, then each annotation, lead back to their elements.
    let mut nums = Vec::new();
    for (page, elements) in marks.content.iter().enumerate() {
        let refs: Vec<Object> = elements
            .iter()
            .map(|e| {
                ids.get(*e)
                    .copied()
                    .flatten()
                    .map_or(Object::Null, Object::Reference)
            })
            .collect();
        nums.push(Object::Integer(page as i64));
        nums.push(Object::Array(refs));
    }
    for (key, element) in annotation_parents {
        nums.push(Object::Integer(key as i64));
        nums.push(
            ids.get(element)
                .copied()
                .flatten()
                .map_or(Object::Null, Object::Reference),
        );
    }
    let mut tree = Dictionary::new();
    tree.set("Nums", nums);
    doc.objects.insert(tree_id, Object::Dictionary(tree));

    let mut root = Dictionary::new();
    root.set("Type", Object::Name(b"StructTreeRoot".to_vec()));
    root.set(
        "K",
        Object::Reference(
            ids.first()
                .copied()
                .flatten()
                .ok_or_else(|| missing("the document"))?,
        ),
    );
    root.set("ParentTree", Object::Reference(tree_id));
    root.set("ParentTreeNextKey", next_key as i64);
    doc.objects.insert(root_id, Object::Dictionary(root));

    let metadata = doc.add_object(xmp(meta));
    let catalog = doc.catalog_mut().map_err(|_| missing("the catalog"))?;
    catalog.set("StructTreeRoot", Object::Reference(root_id));
    let mut mark_info = Dictionary::new();
    mark_info.set("Marked", true);
    catalog.set("MarkInfo", mark_info);
    catalog.set("Metadata", Object::Reference(metadata));
    Ok(())
}

/// The XMP metadata: the title a reader's window shows, the author, the dates, and the claim
/// of PDF/UA-1 whose machine-checkable rules the tests hold the file to.
fn xmp(meta: &Meta) -> Stream {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let when = meta.as_of.format("%Y-%m-%dT%H:%M:%SZ");
    let xml = format!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>
<xmp:CreateDate>{when}</xmp:CreateDate>
<xmp:ModifyDate>{when}</xmp:ModifyDate>
<xmp:CreatorTool>Roadbook</xmp:CreatorTool>
<pdf:Producer>Roadbook {version} (printpdf)</pdf:Producer>
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#,
        title = escape(&format!("{} — {}", meta.title, meta.program)),
        author = escape(&meta.author),
        language = crate::hygiene::LANGUAGE,
        version = env!("CARGO_PKG_VERSION"),
    );
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"Metadata".to_vec()));
    dict.set("Subtype", Object::Name(b"XML".to_vec()));
    // Left uncompressed, as readers that look for metadata by scanning the file expect.
    Stream::new(dict, xml.into_bytes()).with_compression(false)
}
