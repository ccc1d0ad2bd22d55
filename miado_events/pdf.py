"""The common start of every PDF the app makes: A4, the bundled DejaVu fonts
(they cover Latin, Cyrillic, Greek and Arabic; no font is fetched from elsewhere),
margins, title and author in the document's metadata."""
from __future__ import annotations

import os

from flask import current_app
from fpdf import FPDF

FONT = "DejaVu"
AUTHOR = "MIA-DO-KI, Stadt Dortmund"


def add_fonts(pdf: FPDF) -> None:
    fonts = os.path.join(current_app.static_folder, "fonts")
    pdf.add_font(FONT, "", os.path.join(fonts, "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", os.path.join(fonts, "DejaVuSans-Bold.ttf"))


def new_document(title: str, *, margin: float, author: str = AUTHOR) -> FPDF:
    """An A4 document with the fonts loaded and the first page added."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author(author)
    add_fonts(pdf)
    # HarfBuzz shapes Arabic letters and orders right-to-left runs (an Arabic
    # page, or an MSO name in Arabic on a German page).
    pdf.set_text_shaping(True)
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin)
    pdf.add_page()
    return pdf
