"""The common start of every PDF the app makes: A4, the bundled DejaVu fonts
(they cover Latin, Cyrillic, Greek and Arabic; no font is fetched from elsewhere),
margins, title and author in the document's metadata, text shaping, and a
layout that mirrors itself for right-to-left languages."""
from __future__ import annotations

import os
import re

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import Align

from .i18n import text_direction, ui_language

FONT = "DejaVu"
AUTHOR = "MIA-DO-KI, Stadt Dortmund"


def add_fonts(pdf: FPDF) -> None:
    fonts = os.path.join(current_app.static_folder, "fonts")
    pdf.add_font(FONT, "", os.path.join(fonts, "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", os.path.join(fonts, "DejaVuSans-Bold.ttf"))


def right_to_left() -> bool:
    """The document is written in a right-to-left language (the request's)."""
    return text_direction(ui_language()) == "rtl"


#: Scripts whose letters must be shaped or that run right to left (Hebrew,
#: Arabic and their presentation forms). Latin, Greek and Cyrillic need no
#: shaping with DejaVu, and shaping them costs about twenty times as long.
_NEEDS_SHAPING = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


class ShapedWhereNeeded(FPDF):
    """Text shaping (HarfBuzz: Arabic letter forms, right-to-left order) for
    the text that needs it, and plain, fast layout for the rest."""

    _shaping = False

    def _shape_for(self, text) -> None:
        wanted = bool(text) and _NEEDS_SHAPING.search(str(text)) is not None
        if wanted != self._shaping:
            self.set_text_shaping(wanted)
            self._shaping = wanted

    def cell(self, w=None, h=None, text="", *args, **kwargs):
        self._shape_for(text)
        return super().cell(w, h, text, *args, **kwargs)

    def multi_cell(self, w, h=None, text="", *args, **kwargs):
        self._shape_for(text)
        return super().multi_cell(w, h, text, *args, **kwargs)

    def get_string_width(self, s, *args, **kwargs):
        self._shape_for(s)
        return super().get_string_width(s, *args, **kwargs)


class Document(ShapedWhereNeeded):
    """An A4 page whose text starts at the right margin in a right-to-left
    language: ``cell`` and ``multi_cell`` align to the start of the line
    unless told otherwise, ``start_x`` mirrors a position, and ``columns``
    puts table columns in reading order. With ``page_numbers`` each page
    ends with "Page x of y"."""

    PAGES_ALIAS = "{nb}"

    def __init__(self, *, rtl: bool, page_numbers: bool = False) -> None:
        super().__init__(format="A4")
        self.rtl = rtl
        self.page_numbers = page_numbers
        # The alias is on only while a footer is drawn, so a name that
        # happens to contain "{nb}" stays as it is.
        self.alias_nb_pages(None)
        self._closing = False

    @property
    def start(self) -> Align:
        return Align.R if self.rtl else Align.L

    @property
    def end(self) -> Align:
        return Align.L if self.rtl else Align.R

    def start_x(self, x: float, width: float = 0) -> float:
        """``x`` measured from the start edge of the page (for a box of ``width``)."""
        return self.w - x - width if self.rtl else x

    def columns(self, items: list) -> list:
        return list(reversed(items)) if self.rtl else list(items)

    def cell(self, *args, **kwargs):
        kwargs.setdefault("align", self.start)
        return super().cell(*args, **kwargs)

    def multi_cell(self, *args, **kwargs):
        kwargs.setdefault("align", self.start)
        return super().multi_cell(*args, **kwargs)

    def footer(self) -> None:
        if not self.page_numbers:
            return
        self.alias_nb_pages(self.PAGES_ALIAS)
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(95, 95, 95)
        super().cell(0, 5, _("Page %(page)s of %(total)s", page=self.page_no(), total=self.PAGES_ALIAS),
                     align=Align.C)
        self.set_text_color(0, 0, 0)
        if not self._closing:
            self.alias_nb_pages(None)

    def finish(self) -> bytes:
        self._closing = True
        self.alias_nb_pages(self.PAGES_ALIAS)  # substituted on output
        return bytes(self.output())


def new_document(title: str, *, margin: float, author: str = AUTHOR,
                 page_numbers: bool = False) -> Document:
    """An A4 document in the request's language, with the fonts loaded and
    the first page added. Finish it with ``finish()``."""
    pdf = Document(rtl=right_to_left(), page_numbers=page_numbers)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_lang(ui_language())
    add_fonts(pdf)
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin + (8 if page_numbers else 0))
    pdf.add_page()
    return pdf
