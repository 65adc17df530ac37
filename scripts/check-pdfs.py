#!/usr/bin/env python3
"""A second reader of the tagged PDFs: pikepdf (qpdf underneath), independent of the lopdf
reading in crates/roadbook-report/tests/tagging.rs. Opens every document kind and the deck
written by the CLI from the sample program and checks what PDF/UA-1 asks of the file as a whole:
marked as tagged, a structure tree whose elements have standard types, /Lang, the title shown in
the window, XMP that says PDF/UA part 1 and carries the title, every page tied to the parent
tree with its tab order following the structure, every annotation tied to it too.

Usage: check-pdfs.py DIR_OF_PDFS   (scripts/check-pdfs.sh writes them and installs pikepdf)
"""
import pathlib
import sys

import pikepdf

STANDARD = {
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index",
    "NonStruct", "Private", "H", "H1", "H2", "H3", "H4", "H5", "H6", "P", "L", "LI", "Lbl",
    "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note",
    "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "Warichu", "Figure", "Formula",
    "Form",
}


def problems(path):
    found = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        if not root.get("/MarkInfo", {}).get("/Marked", False):
            found.append("not marked as tagged")
        if str(root.get("/Lang", "")) != "en-US":
            found.append("no /Lang en-US")
        if not root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False):
            found.append("the window does not show the title")
        meta = pdf.open_metadata()
        if str(meta.get("pdfuaid:part", "")) != "1":
            found.append("XMP does not say PDF/UA part 1")
        if not meta.get("dc:title"):
            found.append("XMP has no title")
        tree = root.get("/StructTreeRoot")
        if tree is None:
            return found + ["no structure tree"]
        stack, elements = [tree.K], 0
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/StructElem":
                elements += 1
                role = str(node.S)[1:]
                if role not in STANDARD:
                    found.append(f"a /{role} element, not a standard structure type")
                if "/K" in node:
                    stack.append(node.K)
        if elements < 5:
            found.append(f"only {elements} structure elements")
        for n, page in enumerate(pdf.pages, start=1):
            if "/StructParents" not in page.obj:
                found.append(f"page {n} is not in the parent tree")
            if page.obj.get("/Tabs") != "/S":
                found.append(f"page {n}'s tab order does not follow the structure")
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" not in annot:
                    found.append(f"an annotation on page {n} is not in the structure")
    return found


def main():
    folder = pathlib.Path(sys.argv[1])
    files = sorted(folder.glob("*.pdf"))
    if not files:
        sys.exit(f"no PDFs in {folder}")
    failed = 0
    for path in files:
        found = problems(path)
        failed += bool(found)
        print(f"{path.name}: {'; '.join(found) if found else 'tagged as PDF/UA asks (pikepdf)'}")
    if failed:
        sys.exit(f"{failed} of {len(files)} PDFs fall short")


if __name__ == "__main__":
    main()
