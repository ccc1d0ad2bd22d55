"""The MSO directory as a printable A4 list (PDF): the layout.

Split from ``orgs.exports`` (which keeps the sorting, the CSV and
``directory_pdf``, the entry point) so that serving the CSV does not load
fpdf2 and fontTools: some 35 MB in every web worker that never prints the PDF.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from itertools import groupby
from typing import Iterable

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from ..i18n import ui_language
from ..pdf import FONT, ShapedWhereNeeded, add_fonts, right_to_left
from .public import PUBLIC_FIELD_ORDER
from .directory_text import AUTHOR, _field_heading, _joined, group_letter


PT = 25.4 / 72  # one point in mm

MARGIN = 20  # mm, left, right, top and bottom
LABEL_WIDTH = (28, 56)  # mm, the "Label:" column: as wide as the longest label, within these
COLUMN_GAP = 2

INK = (25, 25, 25)
MUTED = (95, 95, 95)
RULE = (170, 170, 170)
LINK = (0, 70, 140)


@dataclass
class _Style:
    size: float  # pt
    bold: bool = False
    color: tuple[int, int, int] = INK
    leading: float = 1.3  # line height as a multiple of the size

    @property
    def line_height(self) -> float:
        return self.size * PT * self.leading


TITLE = _Style(18, bold=True, leading=1.25)
SUBTITLE = _Style(10.5, color=MUTED)
BODY = _Style(10.5, leading=1.4)
LETTER = _Style(15, bold=True)
NAME = _Style(11, bold=True)
LEGAL_FORM = _Style(9.5, color=MUTED)
VALUE = _Style(10, leading=1.35)
LABEL = _Style(9, color=MUTED, leading=1.5)  # the same line pitch as VALUE
SMALL = _Style(8, color=MUTED)

ENTRY_GAP = 4.5  # mm after each entry
LEGAL_FORM_GAP = 0.8
LETTER_GAP_BEFORE = 3
LETTER_GAP_AFTER = 3


@dataclass
class _Row:
    label: str
    value: str
    link: str | None = None
    height: float | None = None  # measured once, with the final label column


@dataclass
class _Entry:
    letter: str
    heading: str
    legal_form: str
    rows: list[_Row]
    height: float | None = None


def _pdf_text(value) -> str:
    """Plain printable text: lists joined, line ends normalised, tabs and
    other control characters made harmless."""
    text = _joined(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc").strip()


def _link_for(field: str, value: str) -> str | None:
    if field == "website" and value.lower().startswith(("https://", "http://")) \
            and not any(c.isspace() for c in value):
        return value
    if field == "email" and "@" in value and not any(c.isspace() for c in value):
        return "mailto:" + value
    return None


def _entry(profile: dict) -> _Entry:
    heading = profile["name"]
    if profile.get("short_name"):
        heading += f" ({profile['short_name']})"
    rows = []
    for field in PUBLIC_FIELD_ORDER:
        if field not in profile:
            continue
        value = _pdf_text(profile[field])
        if value:
            rows.append(_Row(_field_heading(field) + ":", value, _link_for(field, value)))
    return _Entry(group_letter(profile["name"]), _pdf_text(heading),
                  _pdf_text(profile.get("legal_form", "")), rows)


class _DirectoryPDF(ShapedWhereNeeded):
    """A4 portrait, running head from page 2, footer with date and
    "Page X of Y" on every page."""

    PAGES_ALIAS = "{nb}"

    def __init__(self, title: str, issued: str, *, rtl: bool) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.issued = issued
        self._closing = False
        # Right to left (Arabic): text starts at the right margin, the label
        # column stands right of the values, header and footer are mirrored.
        self.rtl = rtl
        self.start, self.end = (Align.R, Align.L) if rtl else (Align.L, Align.R)
        add_fonts(self)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        # The total-pages alias is on only while the footer is drawn, so an
        # organisation's text that happens to contain "{nb}" stays as it is.
        self.alias_nb_pages(None)
        self.label_width = LABEL_WIDTH[0]

    def fit_label_column(self, labels: Iterable[str]) -> None:
        """Make the label column as wide as the longest label (within limits)."""
        self.use(LABEL)
        widest = max((self.get_string_width(label) for label in labels), default=0)
        self.label_width = min(max(widest + 2 * self.c_margin + 1, LABEL_WIDTH[0]),
                               LABEL_WIDTH[1])

    # -- page furniture --
    def use(self, style: _Style) -> None:
        self.set_font(FONT, "B" if style.bold else "", style.size)
        self.set_text_color(*style.color)

    def rule(self, y: float, color=RULE, width: float = 0.2) -> None:
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.line(self.l_margin, y, self.w - self.r_margin, y)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(MARGIN - 9)
        self.use(SMALL)
        self.cell(self.epw, SMALL.line_height, self.doc_title, align=self.start)
        self.rule(MARGIN - 9 + SMALL.line_height + 1)
        self.set_y(MARGIN)

    def footer(self) -> None:
        self.alias_nb_pages(self.PAGES_ALIAS)
        top = self.h - MARGIN + 6
        self.rule(top)
        self.set_y(top + 1.5)
        self.use(SMALL)
        half = self.epw / 2
        issued = (self.issued, self.start)
        page = (_("Page %(page)s of %(total)s", page=self.page_no(), total=self.PAGES_ALIAS), self.end)
        for text, align in ((page, issued) if self.rtl else (issued, page)):
            self.cell(half, SMALL.line_height, text, align=align)
        if not self._closing:
            self.alias_nb_pages(None)

    def finish(self) -> bytes:
        self._closing = True
        self.alias_nb_pages(self.PAGES_ALIAS)  # substitute it on output
        return bytes(self.output())

    # -- text blocks: the same code measures and draws --
    def one_line(self, style: _Style, text: str, w: float) -> bool:
        """Whether ``text`` clearly fits on one line of width ``w``."""
        self.use(style)
        return ("\n" not in text
                and self.get_string_width(text) <= w - 2 * self.c_margin - 0.1)

    def block(self, style: _Style, text: str, *, x: float | None = None, w: float = 0,
              dry: bool = False, link: str | None = None) -> float:
        """A left-aligned, wrapped paragraph; returns its height. ``dry``:
        measure only. Single lines skip fpdf2's (slow) line breaking."""
        w = w or self.epw
        if self.one_line(style, text, w):
            if not dry:
                if link:
                    self.set_text_color(*LINK)
                if x is not None:
                    self.set_x(x)
                self.cell(w, style.line_height, text, link=link or "", align=self.start,
                          new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return style.line_height
        if link:
            self.set_text_color(*LINK)
        if x is not None:
            self.set_x(x)
        return self.multi_cell(w, style.line_height, text, align=self.start,
                               link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                               dry_run=dry, output=MethodReturnValue.HEIGHT)

    def measure(self, style: _Style, text: str, w: float = 0) -> float:
        return self.block(style, text, w=w, dry=True)

    @property
    def value_width(self) -> float:
        return self.epw - self.label_width - COLUMN_GAP

    def row_height(self, row: _Row) -> float:
        if row.height is None:
            row.height = max(self.measure(LABEL, row.label, self.label_width),
                             self.measure(VALUE, row.value, self.value_width))
        return row.height

    def head_height(self, entry: _Entry) -> float:
        height = self.measure(NAME, entry.heading)
        if entry.legal_form:
            height += self.measure(LEGAL_FORM, entry.legal_form) + LEGAL_FORM_GAP
        return height

    def entry_height(self, entry: _Entry) -> float:
        if entry.height is None:
            entry.height = (self.head_height(entry) + sum(self.row_height(r) for r in entry.rows)
                            + ENTRY_GAP)
        return entry.height

    @property
    def page_room(self) -> float:
        """The height of an empty page's text area."""
        return self.page_break_trigger - self.t_margin

    def room_left(self) -> float:
        return self.page_break_trigger - self.get_y()

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` fits on this one (or could not
        fit on any page)."""
        if height > self.room_left() and height <= self.page_room:
            self.add_page()

    # -- content --
    def title_block(self, intro: str, count_line: str) -> None:
        self.block(TITLE, self.doc_title)
        self.ln(1.5)
        self.block(SUBTITLE, self.issued)
        self.ln(5)
        self.block(BODY, intro)
        if count_line:
            self.ln(1)
            self.block(BODY, count_line)
        self.ln(3)
        self.rule(self.get_y(), color=INK, width=0.4)
        self.ln(2)

    def letter_height(self) -> float:
        return LETTER_GAP_BEFORE + LETTER.line_height + LETTER_GAP_AFTER

    def letter_heading(self, letter: str, first_entry: _Entry) -> None:
        # Never leave a heading alone at the foot of a page.
        first = self.entry_height(first_entry)
        if first > self.page_room:  # the entry itself must break: keep its head
            first = self.head_height(first_entry) + (
                self.row_height(first_entry.rows[0]) if first_entry.rows else 0)
        self.keep(self.letter_height() + first)
        self.start_section(letter)  # PDF outline (bookmarks), draws nothing
        self.ln(LETTER_GAP_BEFORE)
        self.block(LETTER, letter)
        self.rule(self.get_y() + 0.5, color=INK, width=0.3)
        self.ln(LETTER_GAP_AFTER)

    def entry(self, entry: _Entry) -> None:
        total = self.entry_height(entry)
        if total <= self.page_room:
            self.keep(total)  # the whole entry on one page
        else:  # longer than a page: at least its name and first line together
            self.keep(self.head_height(entry)
                      + (self.row_height(entry.rows[0]) if entry.rows else 0))
        self.block(NAME, entry.heading)
        if entry.legal_form:
            self.block(LEGAL_FORM, entry.legal_form)
            self.ln(LEGAL_FORM_GAP)
        for row in entry.rows:
            self.keep(self.row_height(row))
            page, top = self.page, self.get_y()
            label_x, value_x = self.l_margin, self.l_margin + self.label_width + COLUMN_GAP
            if self.rtl:
                label_x, value_x = self.l_margin + self.value_width + COLUMN_GAP, self.l_margin
            self.block(LABEL, row.label, x=label_x, w=self.label_width)
            label_bottom = self.get_y()
            self.set_y(top)
            self.block(VALUE, row.value, x=value_x, w=self.value_width, link=row.link)
            if self.page == page:  # the value did not run on to the next page
                self.set_y(max(label_bottom, self.get_y()))
        self.ln(ENTRY_GAP)


def build(profiles: list[dict], issued_on: date) -> bytes:
    """The directory as a printable A4 PDF, grouped by initial letter, in the
    current UI language, from the public ``profiles`` as
    ``orgs.exports._sorted_profiles`` gives them (sorted, descriptions in
    that language where an MSO wrote theirs in it): plain data, no database."""
    locale = ui_language()
    entries = [_entry(profile) for profile in profiles]
    title = _("List of Dortmund's migrant self-organisations")
    issued = _("Issued on %(date)s", date=format_date(issued_on, format="long"))

    pdf = _DirectoryPDF(title, issued, rtl=right_to_left())
    pdf.set_title(title)
    pdf.set_author(AUTHOR)
    pdf.set_creator("MIA-DO Events")
    pdf.set_lang(locale.replace("_", "-"))
    pdf.set_creation_date(datetime.now(timezone.utc))
    pdf.add_page()
    pdf.fit_label_column(row.label for entry in entries for row in entry.rows)

    intro = _("This list contains the migrant self-organisations (MSOs) listed in MIA-DO Events, "
              "with the information each organisation has agreed to publish.")
    if not entries:
        pdf.title_block(intro, "")
        pdf.ln(4)
        pdf.block(BODY, _("No organisations are listed at present."))
        return pdf.finish()

    pdf.title_block(intro, ngettext("%(num)d organisation", "%(num)d organisations",
                                    len(entries)))
    for letter, group in groupby(entries, key=lambda e: e.letter):
        group = list(group)
        pdf.letter_heading(letter, group[0])
        for entry in group:
            pdf.entry(entry)
    return pdf.finish()
