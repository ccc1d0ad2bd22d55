"""The directory exports: CSV and printable PDF show exactly the organisations
passed in, sorted by name, with published fields only."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from contextlib import contextmanager
from datetime import date

import flask_babel
import pytest
from pypdf import PdfReader

from miado_events.models.orgs import Organisation, OrganisationTag
from miado_events.orgs.exports import (
    directory_csv,
    directory_pdf,
    group_letter,
    sort_key,
)
from miado_events.orgs.public import PUBLIC_FIELD_ORDER

ISSUED = date(2025, 3, 14)
SECRET_EMAIL = "secret@example.org"
INTERNAL = "Interne Notiz: Ansprechpartnerin Frau Vertraulich"

ALL_FIELDS = list(PUBLIC_FIELD_ORDER)


@contextmanager
def language(app, code: str):
    """A request asking for ``code``; the fixture's app context (and so
    Flask-Babel's cached locale on ``g``) is shared, hence the refresh."""
    with app.test_request_context(headers={"Accept-Language": code}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


def make_org(db, name: str, *, tags: dict[str, list[str]] | None = None,
             published: list[str] | None = None, commit: bool = True, **values) -> Organisation:
    org = Organisation(
        name=name, legal_form=values.pop("legal_form", "ev"), status=values.pop("status", "listed"),
        published_fields=ALL_FIELDS if published is None else published,
        tags=[OrganisationTag(kind=kind, value=value)
              for kind, items in (tags or {}).items() for value in items],
        **values)
    db.session.add(org)
    if commit:
        db.session.commit()
    return org


@pytest.fixture
def orgs(db):
    """Five MSOs (names chosen to test sorting) and one that is never passed."""
    made = [
        make_org(db, "Türkisch-Deutscher Kulturverein", short_name="TDK",
                 tags={"district": ["Hörde", "Lütgendortmund"], "language": ["tr", "de"],
                       "field": ["culture"], "region": ["Türkei"]},
                 website="https://tdk-dortmund.example", founding_year=1979,
                 email=SECRET_EMAIL, internal_contact=INTERNAL,
                 published=["districts", "languages", "fields_of_work", "regions", "website",
                            "founding_year"]),
        make_org(db, "Afrikanisches Kulturzentrum Ruhr", tags={"district": ["Innenstadt-Nord"]},
                 email="kontakt@akz.example", phone="0231 123456",
                 description="Wir haben {nb} Projekte und viel Musik.",
                 published=["districts", "email", "phone", "description"]),
        make_org(db, "bosnischer Elternverein", legal_form="initiative",
                 address="Geheime Straße 1", published=["districts"],
                 tags={"district": ["Eving"]}),
        make_org(db, "Ökumenischer Arbeitskreis Migration", legal_form="other",
                 tags={"district": ["Brackel"]}),
        make_org(db, "Zentrum für Begegnung Mengede", legal_form="ggmbh",
                 tags={"district": ["Mengede"]}, website="https://zfb.example"),
    ]
    make_org(db, "Nicht übergebener Verein", tags={"district": ["Hörde"]},
             website="https://not-passed.example")
    return made


EXPECTED_ORDER = [
    "Afrikanisches Kulturzentrum Ruhr",
    "bosnischer Elternverein",
    "Ökumenischer Arbeitskreis Migration",
    "Türkisch-Deutscher Kulturverein",
    "Zentrum für Begegnung Mengede",
]


def pdf_text(data: bytes) -> list[str]:
    """The text of each page, extracted by pypdf."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def parse_csv(text: str) -> list[list[str]]:
    """The Excel flavour: a BOM, then semicolon-separated values."""
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# -- sorting ------------------------------------------------------------------

def test_sort_key_ignores_case_accents_and_leading_quotes():
    names = ["Zeytin", "„Vielfalt“ e.V.", "Ökumene", "arabischer Verein", "Şafak",
             "1. FC Dortmund-Nord", "Obst", "Sağlık", "Eintracht"]
    assert sorted(names, key=sort_key) == [
        "1. FC Dortmund-Nord", "arabischer Verein", "Eintracht", "Obst", "Ökumene",
        "Şafak", "Sağlık", "„Vielfalt“ e.V.", "Zeytin"]
    assert group_letter("Ökumene") == "O"
    assert group_letter("„Vielfalt“ e.V.") == "V"
    assert group_letter("şafak") == "S"
    assert group_letter("1. FC Dortmund-Nord") == "#"


# -- CSV ----------------------------------------------------------------------

def test_csv_has_a_header_and_one_row_per_org_with_published_values_only(app, orgs):
    with language(app, "de"):
        text = directory_csv(orgs)
    rows = parse_csv(text)
    header, body = rows[0], rows[1:]
    assert len(header) == 3 + len(PUBLIC_FIELD_ORDER)
    assert all(len(row) == len(header) for row in body)
    assert [row[0] for row in body] == EXPECTED_ORDER
    assert "Nicht übergebener Verein" not in text

    column = {field: 3 + i for i, field in enumerate(PUBLIC_FIELD_ORDER)}
    tdk = next(row for row in body if row[0] == "Türkisch-Deutscher Kulturverein")
    assert tdk[1] == "TDK"
    assert tdk[column["districts"]] == "Hörde, Lütgendortmund"
    assert tdk[column["website"]] == "https://tdk-dortmund.example"
    assert tdk[column["founding_year"]] == "1979"
    assert tdk[column["email"]] == ""  # set, but not published
    akz = next(row for row in body if row[0] == "Afrikanisches Kulturzentrum Ruhr")
    assert akz[column["email"]] == "kontakt@akz.example"
    assert akz[column["districts"]] == "Innenstadt-Nord"

    for unpublished in (SECRET_EMAIL, INTERNAL, "Geheime Straße", "not-passed.example"):
        assert unpublished not in text


def test_csv_headings_are_in_the_ui_language(app, orgs):
    with language(app, "en"):
        header = parse_csv(directory_csv(orgs))[0]
    assert header[:3] == ["Name", "Short name", "Legal form"]
    assert "Districts" in header and "Website" in header


def test_csv_neutralises_formulas(app, db):
    nasty = make_org(db, "=HYPERLINK(\"http://evil.example\",\"Klick\")", short_name="@SUM(A1)",
                     description="-2+3", address="+49 Straße", phone="\t=1+1",
                     website=" =cmd|' /C calc'!A0",
                     published=["description", "address", "phone", "website"])
    plain = make_org(db, "Verein mit - Bindestrich", description="Text = harmlos")
    with language(app, "de"):
        text = directory_csv([nasty, plain])
    rows = parse_csv(text)
    cells = [cell for row in rows[1:] for cell in row if cell]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", " =")), cell
    nasty_row = next(row for row in rows if "HYPERLINK" in row[0])
    assert nasty_row[0] == "'=HYPERLINK(\"http://evil.example\",\"Klick\")"
    assert nasty_row[1] == "'@SUM(A1)"
    assert "'-2+3" in nasty_row and "'+49 Straße" in nasty_row and "'\t=1+1" in nasty_row
    assert "' =cmd|' /C calc'!A0" in nasty_row
    plain_row = next(row for row in rows if row[0].startswith("Verein"))
    assert plain_row[0] == "Verein mit - Bindestrich"
    assert "Text = harmlos" in plain_row


def test_csv_of_no_orgs_is_just_the_header(app):
    with language(app, "de"):
        rows = parse_csv(directory_csv([]))
    assert len(rows) == 1 and len(rows[0]) == 3 + len(PUBLIC_FIELD_ORDER)


# -- PDF ----------------------------------------------------------------------

def test_pdf_lists_the_given_orgs_alphabetically_with_published_fields_only(app, orgs):
    with language(app, "de"):
        data = directory_pdf(orgs, ISSUED)
    assert data.startswith(b"%PDF-")
    text = "\n".join(pdf_text(data))

    positions = [text.find(name) for name in EXPECTED_ORDER]
    assert all(p >= 0 for p in positions), list(zip(EXPECTED_ORDER, positions))
    assert positions == sorted(positions)
    assert "Nicht übergebener Verein" not in text and "not-passed.example" not in text

    # published values, umlauts intact
    assert "Türkisch-Deutscher Kulturverein (TDK)" in text
    assert "Hörde, Lütgendortmund" in text
    assert "https://tdk-dortmund.example" in text
    assert "kontakt@akz.example" in text
    assert "Wir haben {nb} Projekte" in text  # user text is not a page-count alias
    # unpublished values never
    for unpublished in (SECRET_EMAIL, INTERNAL, "Interne Notiz", "Geheime Straße"):
        assert unpublished not in text
    # issue date in the current locale
    assert "14. März 2025" in text


def test_pdf_headings_metadata_and_language(app, orgs):
    with language(app, "en"):
        data = directory_pdf(orgs, ISSUED)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(pdf_text(data))
    assert "List of Dortmund's migrant self-organisations" in text
    assert "Issued on 14 March 2025" in text
    assert "5 organisations" in text
    assert "Page 1 of 1" in text
    for letter in ("A", "B", "O", "T", "Z"):
        assert f"\n{letter}\n" in text
    assert reader.metadata.title == "List of Dortmund's migrant self-organisations"
    assert reader.metadata.author == "MIA-DO-KI, Stadt Dortmund"
    assert reader.metadata.creation_date is not None
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert [item.title for item in reader.outline] == ["A", "B", "O", "T", "Z"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_survives_pdftotext(app, db, orgs, tmp_path):
    cyrillic = make_org(db, "Русский дом Dortmund", tags={"district": ["Scharnhorst"]},
                        description="Şarkılar, ğ, ı, ß und Ää Öö Üü")
    path = tmp_path / "list.pdf"
    with language(app, "de"):
        path.write_bytes(directory_pdf([*orgs, cyrillic], ISSUED))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    for expected in ("Türkisch-Deutscher Kulturverein", "Lütgendortmund", "Ökumenischer",
                     "Русский дом Dortmund", "Şarkılar, ğ, ı, ß und Ää Öö Üü", "14. März 2025"):
        assert expected in text
    assert SECRET_EMAIL not in text and INTERNAL not in text


def test_pdf_in_arabic_is_shaped_and_reads_from_the_right(app, db, orgs, tmp_path):
    arabic = make_org(db, "الجمعية العربية في دورتموند", tags={"district": ["Hörde"]},
                      published=["districts"])
    path = tmp_path / "list-ar.pdf"
    with language(app, "ar"):
        path.write_bytes(directory_pdf([*orgs, arabic], ISSUED))
    # Shaped and in reading order: pdftotext gives the name back as it was written.
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    plain = "".join(c for c in text if c not in "\u202a\u202b\u202c\u202d\u202e\u200e\u200f")
    assert "الجمعية العربية في دورتموند" in plain
    # Mirrored: each label ("Districts:") stands right of its value, at the right margin.
    page = PdfReader(str(path)).pages[0]
    placed = []
    page.extract_text(visitor_text=lambda t, cm, tm, font, size: placed.append((tm[4], tm[5], t.strip())))
    width = float(page.mediabox.width)
    value_x, line_y = next((x, y) for x, y, t in placed if t.startswith("Hörde"))
    label_x = max(x for x, y, t in placed if abs(y - line_y) < 1 and t and not t.startswith("Hörde"))
    assert label_x > value_x and label_x > width * 0.6


def test_pdf_of_no_orgs_says_so(app):
    with language(app, "en"):
        data = directory_pdf([], ISSUED)
    pages = pdf_text(data)
    assert len(pages) == 1
    assert "No organisations are listed" in pages[0]
    assert "Issued on 14 March 2025" in pages[0]


def test_long_pdf_has_numbered_pages_and_keeps_entries_together(app, db):
    many = [make_org(db, f"Verein {i:03d} für Vielfalt in Dortmund", commit=False,
                     short_name=f"V{i:03d}",
                     tags={"district": ["Hörde", "Eving"][: 1 + i % 2],
                           "language": ["de", "tr", "ar"], "field": ["culture", "youth"]},
                     description="Beschreibung der Arbeit. " * (1 + i % 7),
                     founding_year=1960 + i % 60, address=f"Musterweg {i}, 44135 Dortmund",
                     email=f"info{i}@verein.example", phone=f"0231 {i:04d}",
                     website=f"https://verein{i}.example")
            for i in range(120)]
    db.session.commit()
    with language(app, "en"):
        data = directory_pdf(many, ISSUED)

    pages = pdf_text(data)
    total = len(pages)
    assert total > 5
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "Issued on 14 March 2025" in page
    for i in range(120):
        # the entry's first and last line are on the same page
        name = f"Verein {i:03d} für Vielfalt in Dortmund (V{i:03d})"
        on = [n for n, page in enumerate(pages) if name in page]
        assert len(on) == 1, name
        assert f"https://verein{i}.example" in pages[on[0]], name
