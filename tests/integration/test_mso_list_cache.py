"""The MSO list downloads (/orgs/list.pdf, /orgs/list.csv) are built once per
change of what they show and served from that copy: ETag and 304, separate
copies per language and CSV variant, never a stale copy after a commit, a
rate limit as a backstop, and PAGE_CACHE=false to build every time."""
from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader

from miado_events.models.events import Venue
from miado_events.models.translated import set_translation
from miado_events.orgs import exports, list_cache

from ..conftest import count_statements
from .test_org_views import make_org

PUBLIC = ["description", "districts", "website"]


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    if text.startswith("\ufeff"):
        return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def orgs(db):
    return [make_org(db, "Brückenbauer e. V.", published=PUBLIC, description="Kulturarbeit in Eving",
                     website="https://bruecke.example"),
            make_org(db, "Anadolu Kültür Derneği", published=PUBLIC, districts=("Nordstadt",))]


@pytest.fixture
def builds(monkeypatch):
    """How often each export was laid out."""
    counts = {"pdf": 0, "csv": 0}
    real_pdf, real_csv = exports.directory_pdf, exports.directory_csv

    def pdf(*args, **kwargs):
        counts["pdf"] += 1
        return real_pdf(*args, **kwargs)

    def csv_(*args, **kwargs):
        counts["csv"] += 1
        return real_csv(*args, **kwargs)

    monkeypatch.setattr(exports, "directory_pdf", pdf)
    monkeypatch.setattr(exports, "directory_csv", csv_)
    return counts


@pytest.mark.parametrize("path, kind", [("/orgs/list.pdf", "pdf"), ("/orgs/list.csv", "csv")])
def test_the_second_download_is_served_from_the_copy(client, db, orgs, builds, path, kind):
    first = client.get(path)
    assert first.status_code == 200 and builds[kind] == 1
    with count_statements(db.engine) as statements:
        second = client.get(path)
    assert second.status_code == 200
    assert second.data == first.data
    assert builds[kind] == 1
    assert len(statements) <= 1  # the data version, nothing else
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path, kind", [("/orgs/list.pdf", "pdf"), ("/orgs/list.csv?sep=comma", "csv")])
def test_if_none_match_answers_304_without_building(app, client, orgs, builds, path, kind):
    etag = client.get(path).headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    app.extensions["miado_mso_list"].copies.clear()  # no copy to read: a 304 needs none
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "no-cache"
    assert builds[kind] == 1
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and builds[kind] == 2


def test_a_committed_change_gives_a_new_etag_and_the_new_content(client, db, orgs, builds):
    pdf, table = client.get("/orgs/list.pdf"), client.get("/orgs/list.csv")
    assert "Brückenbauer" in pdf_text(pdf.data)

    orgs[0].name = "Brückenschlag e. V."
    db.session.commit()

    new_pdf = client.get("/orgs/list.pdf", headers={"If-None-Match": pdf.headers["ETag"]})
    assert new_pdf.status_code == 200
    assert new_pdf.headers["ETag"] != pdf.headers["ETag"]
    text = pdf_text(new_pdf.data)
    assert "Brückenschlag" in text and "Brückenbauer" not in text
    new_table = client.get("/orgs/list.csv", headers={"If-None-Match": table.headers["ETag"]})
    assert new_table.status_code == 200 and new_table.headers["ETag"] != table.headers["ETag"]
    names = [row[0] for row in csv_rows(new_table)[1:]]
    assert "Brückenschlag e. V." in names and "Brückenbauer e. V." not in names
    assert builds == {"pdf": 2, "csv": 2}


def test_a_changed_tag_or_translation_is_a_change_too(client, db, orgs):
    first = client.get("/orgs/list.csv?sep=comma")
    orgs[1].tags = [tag for tag in orgs[1].tags if tag.kind != "district"]
    db.session.commit()
    second = client.get("/orgs/list.csv?sep=comma")
    assert second.headers["ETag"] != first.headers["ETag"]
    assert "Nordstadt" in first.get_data(as_text=True)
    assert "Nordstadt" not in second.get_data(as_text=True)

    turkish = client.get("/orgs/list.pdf?lang=tr")
    set_translation(orgs[0], "tr", "description", "Eving'de kültür çalışması")
    db.session.commit()
    again = client.get("/orgs/list.pdf?lang=tr")
    assert again.headers["ETag"] != turkish.headers["ETag"]
    assert "kültür çalışması" in pdf_text(again.data) and "kültür çalışması" not in pdf_text(turkish.data)


def test_an_unrelated_write_builds_nothing_and_keeps_the_etag(client, db, orgs, builds):
    """A registration or a venue changes the page cache's version; the MSO
    list shows neither, so browsers keep their copy and nothing is built."""
    etag = client.get("/orgs/list.pdf").headers["ETag"]
    db.session.add(Venue(name="Dietrich-Keuning-Haus", address="Leopoldstraße 50, 44147 Dortmund"))
    db.session.commit()
    assert client.get("/orgs/list.pdf", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/orgs/list.pdf").headers["ETag"] == etag
    assert builds["pdf"] == 1


def test_languages_and_separators_are_separate_copies(client, orgs, builds):
    paths = ["/orgs/list.csv", "/orgs/list.csv?sep=comma", "/orgs/list.csv?lang=de",
             "/orgs/list.pdf", "/orgs/list.pdf?lang=tr", "/orgs/list.pdf?lang=ar"]
    first = {path: client.get(path) for path in paths}
    assert len({response.headers["ETag"] for response in first.values()}) == len(paths)
    assert builds == {"pdf": 3, "csv": 3}
    for path in reversed(paths):  # another order: each answer is its own copy
        again = client.get(path)
        assert again.data == first[path].data
        assert again.headers["ETag"] == first[path].headers["ETag"]
    assert builds == {"pdf": 3, "csv": 3}

    excel, tools = first["/orgs/list.csv"].get_data(as_text=True), first["/orgs/list.csv?sep=comma"].get_data(as_text=True)
    assert excel.startswith("\ufeffName;Short name;") and tools.startswith("Name,Short name,")
    assert csv_rows(first["/orgs/list.csv?lang=de"])[0][:2] == ["Name", "Kurzname"]
    assert first["/orgs/list.csv?lang=de"].headers["Content-Language"] == "de"
    # Chosen by the browser's language: caches must keep them apart.
    assert "Accept-Language" in first["/orgs/list.pdf"].headers["Vary"]
    # An unknown language is German: the same copy as ?lang=de.
    assert client.get("/orgs/list.csv?lang=zz").headers["ETag"] == first["/orgs/list.csv?lang=de"].headers["ETag"]


def test_the_rate_limit_answers_429_with_the_page_and_spares_304s(app, client, orgs):
    app.config["RATELIMIT_MSO_LIST"] = "2 per minute"
    etag = client.get("/orgs/list.pdf").headers["ETag"]
    for _ in range(4):  # revalidating browsers do not use the budget up
        assert client.get("/orgs/list.pdf", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/orgs/list.pdf").status_code == 200
    refused = client.get("/orgs/list.pdf")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers
    # Each file has its own budget.
    assert client.get("/orgs/list.csv").status_code == 200


def test_page_cache_off_builds_every_time(app, client, orgs, builds):
    app.config["PAGE_CACHE"] = False
    first, second = client.get("/orgs/list.pdf"), client.get("/orgs/list.pdf")
    assert builds["pdf"] == 2
    assert first.headers["ETag"] == second.headers["ETag"]
    assert client.get("/orgs/list.pdf", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert builds["pdf"] == 2


def test_the_etag_read_without_objects_is_the_etag_of_the_built_copy(app, client, db, orgs):
    """The quick read (two plain queries) and the MSOs a copy is built from
    give the same ETag, with translations, tags and an unlisted MSO about."""
    set_translation(orgs[0], "ar", "description", "عمل ثقافي")
    make_org(db, "Noch nicht gelistet", status="pending")
    with app.test_request_context("/orgs/list.pdf"):
        assert list_cache.current_fingerprint() == list_cache.fingerprint(list_cache.listed())
    etag = client.get("/orgs/list.pdf?lang=ar").headers["ETag"]
    app.extensions["miado_mso_list"].clear()  # a new process: nothing kept
    assert client.get("/orgs/list.pdf?lang=ar", headers={"If-None-Match": etag}).status_code == 304
