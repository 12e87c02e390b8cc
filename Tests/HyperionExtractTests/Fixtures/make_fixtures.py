#!/usr/bin/env python3
"""Regenerates the HyperionExtract test fixtures in this folder.

    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install fpdf2 pypdf python-docx
    /tmp/fx/bin/python make_fixtures.py

Everything but encrypted.pdf and restricted.pdf is deterministic (fixed dates, fixed ZIP timestamps), so regenerating does not churn the
files; pypdf draws a fresh encryption key each time.
The tests assert on the words written here: change both together.
"""
import datetime
import io
import os
import re
import zipfile

from docx import Document
from docx.enum.text import WD_BREAK
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def path(name):
    return os.path.join(HERE, name)


def new_pdf(title=None):
    pdf = FPDF(format="A5")
    pdf.set_creation_date(FIXED)
    pdf.set_compression(False)  # keeps the files readable and diffable; they stay tiny either way
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    return pdf


def two_page_pdf():
    pdf = new_pdf(title="Quarterly Report")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Alpha page one talks about revenue.")
    pdf.ln(4)
    pdf.multi_cell(0, 8, "Second paragraph on page one.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Beta page two talks about costs.")
    return bytes(pdf.output())


def scanned_pdf():
    # A page with a drawing and no text layer: what a scan without OCR looks like to a text extractor.
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_fill_color(120, 120, 120)
    pdf.rect(20, 20, 80, 50, style="F")
    return bytes(pdf.output())


def encrypted_pdf(plain, user_password="secret"):
    reader = PdfReader(io.BytesIO(plain))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    # RC4-128 needs no extra crypto package. With a user password nobody can open the file without it; with an
    # empty one anybody can, and only the owner's permissions (no copying, no printing) are restricted.
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128", permissions_flag=0)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_docx():
    doc = Document()
    core = doc.core_properties
    core.title = "Employee Handbook"
    core.author = "Hyperion tests"
    core.created = FIXED.replace(tzinfo=None)
    core.modified = FIXED.replace(tzinfo=None)
    core.last_modified_by = "Hyperion tests"
    core.revision = 1
    doc.add_paragraph("Welcome to the company.")
    doc.add_heading("Leave", level=1)
    doc.add_paragraph("Everyone gets 25 days of leave.")
    doc.add_heading("Sick leave", level=2)
    p = doc.add_paragraph("Call in\tbefore nine.")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("Bring a note after three days.")
    doc.add_heading("Expenses", level=1)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Item"
    table.cell(0, 1).text = "Limit"
    table.cell(1, 0).text = "Hotel"
    table.cell(1, 1).text = "150 EUR"
    doc.add_paragraph("Receipts are required.")
    out = io.BytesIO()
    doc.save(out)
    return normalise_zip(out.getvalue())


def untitled_docx():
    doc = Document()
    doc.core_properties.title = ""
    doc.core_properties.created = FIXED.replace(tzinfo=None)
    doc.core_properties.modified = FIXED.replace(tzinfo=None)
    doc.add_heading("Release notes", level=0)  # style "Title"
    doc.add_paragraph("Version 2 is faster.")
    out = io.BytesIO()
    doc.save(out)
    return normalise_zip(out.getvalue())


# Parts of python-docx's template that a text extractor never reads; dropping them (and the references to
# them) keeps the fixtures a few KB while the package stays valid for Word.
DROPPED_PARTS = {
    "word/stylesWithEffects.xml",
    "docProps/thumbnail.jpeg",
    "customXml/item1.xml",
    "customXml/_rels/item1.xml.rels",
    "customXml/itemProps1.xml",
    "word/numbering.xml",
}
KEPT_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "TableGrid", "Title", "Heading1", "Heading2"}


def minimal_styles(xml):
    from lxml import etree
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.fromstring(xml)
    for child in list(root):
        tag = etree.QName(child).localname
        if tag == "latentStyles" or (tag == "style" and child.get(f"{{{w}}}styleId") not in KEPT_STYLES):
            root.remove(child)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def drop_references(name, content):
    if name.endswith(".rels"):
        for part in DROPPED_PARTS:
            leaf = part.split("/")[-1]
            content = re.sub(rb'<Relationship [^>]*Target="[^"]*' + re.escape(leaf.encode()) + rb'"[^>]*/>', b"", content)
    if name == "[Content_Types].xml":
        for part in DROPPED_PARTS:
            content = re.sub(rb'<Override [^>]*PartName="/' + re.escape(part.encode()) + rb'"[^>]*/>', b"", content)
    return content


def normalise_zip(data):
    # Rewrites the archive with fixed timestamps so regenerated files are byte-identical.
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in DROPPED_PARTS:
                continue
            content = src.read(info.filename)
            if info.filename == "word/styles.xml":
                content = minimal_styles(content)
            content = drop_references(info.filename, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 2, 3, 4, 5))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)
    return out.getvalue()


def plain_zip(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5)), content)
    return out.getvalue()


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def main():
    two = two_page_pdf()
    write("two-pages.pdf", two)
    write("scanned.pdf", scanned_pdf())
    write("encrypted.pdf", encrypted_pdf(two))
    write("restricted.pdf", encrypted_pdf(two, user_password=""))
    # Cut inside the first page's content, long before the cross-reference table and the trailer.
    write("truncated.pdf", two[:120])
    write("sample.docx", sample_docx())
    write("untitled.docx", untitled_docx())
    write("not-a-docx.zip", plain_zip([("notes.txt", "just a zip\n"), ("data/values.csv", "a,b\n1,2\n")]))
    # A well-formed ZIP whose main part is cut off in the middle of a paragraph.
    write("broken.docx", plain_zip([
        ("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
        ("word/document.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                              '<w:body><w:p><w:r><w:t>The text stops in the mid'),
    ]))
    # A Word document cut in half: the local headers are there, the ZIP's central directory is not.
    docx = sample_docx()
    write("truncated.docx", docx[: len(docx) // 2])


if __name__ == "__main__":
    main()
