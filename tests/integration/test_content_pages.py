"""Event and MSO content in the reader's language (issue #19): the pages show
a translation where there is one, else the German text marked as German
(lang="de" dir="ltr", "(in German)"); search finds content by any of its
languages; the page cache keeps one copy per language."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from miado_events.database import utcnow
from miado_events.models.translated import set_translation

from .test_event_views import make_event, make_venue
from .test_org_views import make_org

TR = {"Accept-Language": "tr"}
AR = {"Accept-Language": "ar"}
DE = {"Accept-Language": "de"}


@pytest.fixture
def meeting(db):
    """A published event with a Turkish (not Arabic) title and description, at a venue with notes."""
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    venue = make_venue(db, accessibility_notes="Rampe am Eingang", directions="U-Bahn Kampstraße")
    event = make_event(db, "Jahresversammlung der Vereine", [start], venue=venue,
                       description="Wir wählen den Vorstand.")
    set_translation(event, "tr", "title", "Derneklerin yıllık toplantısı")
    set_translation(event, "tr", "description", "Yönetim kurulunu seçiyoruz.")
    set_translation(venue, "tr", "directions", "Kampstraße metro durağı")
    db.session.commit()
    return event


def page(client, url, headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_turkish_reader_gets_the_turkish_title_and_description(client, meeting):
    html = page(client, f"/events/{meeting.id}", TR)

    assert "<h1><bdi>Derneklerin yıllık toplantısı</bdi></h1>" in html  # the page's own language: no mark
    assert re.search(r'<p class="preformatted">Yönetim kurulunu seçiyoruz\.</p>', html)
    assert "Kampstraße metro durağı" in html
    assert "Jahresversammlung der Vereine" not in html.split("<main")[1]


def test_the_german_fallback_is_marked_with_lang_and_dir_and_a_hint(client, meeting):
    html = page(client, f"/events/{meeting.id}", TR)

    # the venue's accessibility notes have no Turkish text: German, marked
    assert re.search(r'<bdi lang="de" dir="ltr">Rampe am Eingang</bdi> <small class="content-hint">', html)


def test_an_arabic_reader_of_an_untranslated_event_gets_german_left_to_right(client, meeting):
    html = page(client, f"/events/{meeting.id}", AR)

    assert '<html lang="ar" dir="rtl">' in html
    assert re.search(r'<h1><bdi lang="de" dir="ltr">Jahresversammlung der Vereine</bdi> '
                     r'<small class="content-hint">\([^)]+\)</small></h1>', html)
    assert '<p class="preformatted" lang="de" dir="ltr">Wir wählen den Vorstand.</p>' in html


def test_german_readers_get_the_german_text_without_marks_or_hint(client, meeting):
    html = page(client, f"/events/{meeting.id}", DE)

    assert "<h1><bdi>Jahresversammlung der Vereine</bdi></h1>" in html
    assert "content-hint" not in html


def test_the_calendar_shows_each_reader_their_language(client, meeting):
    assert "Derneklerin yıllık toplantısı" in page(client, "/calendar", TR)
    assert re.search(r'<bdi lang="de" dir="ltr">Jahresversammlung der Vereine</bdi>', page(client, "/calendar", AR))


@pytest.mark.parametrize("query", ["yıllık toplantı", "Yönetim Kurulunu", "Jahresversammlung", "Vorstand"])
def test_the_calendar_search_finds_an_event_by_any_of_its_languages(client, db, meeting, query):
    start = (utcnow() + timedelta(days=12)).replace(microsecond=0)
    make_event(db, "Seminar Vereinsrecht", [start])

    html = page(client, "/calendar?q=" + query, TR)

    assert "Derneklerin yıllık toplantısı" in html
    assert "Seminar Vereinsrecht" not in html


@pytest.mark.parametrize("query", ["%", "_", "source", "title", '"'])
def test_the_calendar_search_escapes_wildcards_and_does_not_match_the_stored_shape(client, meeting, query):
    html = page(client, "/calendar?q=" + query, TR)

    assert "Derneklerin yıllık toplantısı" not in html


def test_the_mso_directory_finds_an_mso_by_its_arabic_description(client, db):
    org = make_org(db, "Kulturverein Nord e.V.", description="Wir machen Kulturarbeit.")
    make_org(db, "Elternverein Süd e.V.", description="Eltern helfen Eltern.")
    set_translation(org, "ar", "description", "نحن نقوم بالعمل الثقافي.")
    db.session.commit()

    html = page(client, "/orgs?q=الثقافي", AR)

    assert "Kulturverein Nord e.V." in html and "Elternverein Süd e.V." not in html
    detail = page(client, f"/orgs/{org.id}", AR)
    assert "<p>نحن نقوم بالعمل الثقافي.</p>" in detail or 'class="preformatted">نحن نقوم بالعمل الثقافي.' in detail


def test_an_unpublished_description_is_not_searched_in_any_language(client, db):
    org = make_org(db, "Kulturverein Nord e.V.", published=["districts"], description="Kulturarbeit")
    set_translation(org, "ar", "description", "العمل الثقافي")
    db.session.commit()

    assert "Kulturverein Nord e.V." not in page(client, "/orgs?q=الثقافي", AR)


def test_the_page_cache_keeps_one_copy_per_language_and_never_mixes_them(client, db, meeting):
    set_translation(meeting, "ar", "title", "الاجتماع السنوي للجمعيات")
    db.session.commit()
    url = f"/events/{meeting.id}"

    arabic = page(client, url, AR)
    turkish = page(client, url, TR)
    turkish_again = page(client, url, TR)
    arabic_again = page(client, url, AR)

    assert "الاجتماع السنوي للجمعيات" in arabic and "الاجتماع السنوي للجمعيات" in arabic_again
    for html in (turkish, turkish_again):
        assert "Derneklerin yıllık toplantısı" in html
        assert "الاجتماع السنوي" not in html and 'lang="tr"' in html
    assert len(client.application.extensions["miado_pagecache"].items) >= 2


def test_a_changed_translation_is_shown_on_the_next_request(client, db, meeting):
    assert "Derneklerin yıllık toplantısı" in page(client, f"/events/{meeting.id}", TR)

    set_translation(meeting, "tr", "title", "Derneklerin genel kurulu")
    db.session.commit()

    assert "Derneklerin genel kurulu" in page(client, f"/events/{meeting.id}", TR)


# --- editing ---------------------------------------------------------------------------------

def _event_form(event, **overrides) -> dict:
    data = {"kind": event.kind, "title": event.title, "description": event.description or "",
            "languages": ["de"], "visibility": "public", "capacity": str(event.capacity),
            "cancellation_deadline_hours": "24", "waitlist_enabled": "y"}
    data.update(overrides)
    return data


@pytest.fixture
def staff(make_user):
    return make_user("staff")


def test_staff_write_a_translation_beside_the_german_text(client, db, login, staff, meeting):
    login(staff)
    form = page(client, f"/staff/events/{meeting.id}", {})
    assert 'id="tr-ar-title"' in form and 'lang="ar" dir="rtl"' in form
    assert 'value="Derneklerin yıllık toplantısı"' in form

    response = client.post(f"/staff/events/{meeting.id}", data=_event_form(
        meeting, **{"tr-ar-title": "الاجتماع السنوي", "tr-tr-title": "Derneklerin yıllık toplantısı",
                    "tr-tr-description": "Yönetim kurulunu seçiyoruz."}))

    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.translations["ar"]["title"]["text"] == "الاجتماع السنوي"
    assert "الاجتماع السنوي" in page(client.application.test_client(), f"/events/{meeting.id}", AR)


def test_a_changed_german_title_marks_the_translation_possibly_outdated_until_confirmed(
        client, db, login, staff, meeting):
    login(staff)
    sent = {"tr-tr-title": "Derneklerin yıllık toplantısı", "tr-tr-description": "Yönetim kurulunu seçiyoruz."}
    client.post(f"/staff/events/{meeting.id}", data=_event_form(meeting, title="Jahreshauptversammlung", **sent))

    form = page(client, f"/staff/events/{meeting.id}", {})
    assert 'id="tr-tr-title-ok"' in form and "content-outdated" in form
    assert 'id="tr-tr-description-ok"' not in form  # the German description did not change
    listing = page(client, "/staff/events", {})
    assert re.search(r"Possibly outdated:\s*TR", listing)

    client.post(f"/staff/events/{meeting.id}", data=_event_form(meeting, **sent, **{"tr-tr-title-ok": "1"}))

    assert "content-outdated" not in page(client, f"/staff/events/{meeting.id}", {})
    assert not re.search(r"Possibly outdated:", page(client, "/staff/events", {}))


def test_the_staff_list_shows_the_languages_without_a_translation(client, login, staff, meeting):
    login(staff)

    listing = page(client, "/staff/events", {})

    assert re.search(r"Not translated:\s*EN, AR, RU, UK, PL", listing)


def test_a_too_long_translation_is_refused_and_changes_nothing(client, db, login, staff, meeting):
    login(staff)

    response = client.post(f"/staff/events/{meeting.id}", data=_event_form(
        meeting, title="Neuer Titel", **{"tr-en-title": "x" * 201}), follow_redirects=True)

    assert response.status_code == 200
    assert "A translation is too long." in response.get_data(as_text=True)
    db.session.expire_all()
    assert meeting.title == "Jahresversammlung der Vereine" and "en" not in meeting.translations


def test_staff_translate_a_venue(client, db, login, staff, meeting):
    venue = meeting.sessions[0].venue
    login(staff)

    response = client.post(f"/staff/venues/{venue.id}", data={
        "name": venue.name, "address": venue.address, "district": venue.district or "",
        "accessibility_notes": venue.accessibility_notes, "directions": venue.directions,
        "tr-ar-accessibility_notes": "منحدر عند المدخل"})

    assert response.status_code == 302
    assert "منحدر عند المدخل" in page(client.application.test_client(), f"/events/{meeting.id}", AR)


def test_a_representative_writes_the_description_in_the_languages_the_members_read(client, db, login, make_user):
    from miado_events.models.orgs import Membership

    org = make_org(db, "Kulturverein Nord e.V.", description="Wir machen Kulturarbeit.", languages=("ar",))
    rep = make_user(locale="tr")
    db.session.add(Membership(organisation=org, user=rep, role="representative", status="active"))
    db.session.commit()
    login(rep)

    form = page(client, f"/orgs/{org.id}/edit", {})
    opened = re.findall(r'<details class="translation" open>\s*<summary><span lang="(\w+)"', form)
    assert opened == ["tr", "ar"]  # the representative reads Turkish; the MSO works in Arabic

    fields = {name: value for name, value in re.findall(
        r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form) if not name.startswith("tr-")}
    fields.update({"legal_form": "ev", "description": "Wir machen Kulturarbeit.",
                   "tr-tr-description": "Kültür çalışması yapıyoruz."})
    response = client.post(f"/orgs/{org.id}/edit", data=fields)

    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert org.translations["tr"]["description"]["text"] == "Kültür çalışması yapıyoruz."


def test_staff_translate_an_agenda_item_and_readers_see_it_in_their_language(client, db, login, staff):
    from miado_events.meetings import agenda
    from miado_events.models.meetings import AgendaItem

    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    meeting = make_event(db, "Vernetzungstreffen März", [start], kind="networking", venue=make_venue(db))
    session = meeting.sessions[0]
    login(staff)
    response = client.post(f"/staff/sessions/{session.id}/agenda/items", data={
        "title": "Fördermittel 2027", "kind": "funding", "minutes": "20", "description": "Wer bekommt was?"})
    assert response.status_code == 302
    item = db.session.scalar(db.select(AgendaItem))
    assert 'id="tr-tr-title"' in page(client, f"/staff/agenda-items/{item.id}", {})

    response = client.post(f"/staff/agenda-items/{item.id}", data={
        "title": "Fördermittel 2027", "kind": "funding", "minutes": "20", "description": "Wer bekommt was?",
        "tr-tr-title": "2027 hibeleri", "tr-ar-description": "من يحصل على ماذا؟"})
    assert response.status_code == 302
    agenda.publish_agenda(staff, session)
    db.session.commit()

    reader = client.application.test_client()
    assert "<bdi>2027 hibeleri</bdi>" in page(reader, f"/events/{meeting.id}", TR)
    arabic = page(reader, f"/events/{meeting.id}", AR)
    assert '<bdi lang="de" dir="ltr">Fördermittel 2027</bdi>' in arabic and "من يحصل على ماذا؟" in arabic


def test_the_demo_has_turkish_and_arabic_content_and_one_event_in_german_only(client, db):
    from miado_events.demo import load_demo_data
    from miado_events.models.events import Event
    from miado_events.models.orgs import Organisation

    load_demo_data()

    events = {e.title: e for e in db.session.scalars(db.select(Event))}
    translated = [e for e in events.values() if {"tr", "ar"} <= set(e.translations)]
    assert translated
    assert events["Seminar: Datenschutz im Verein (Demo)"].translations == {}
    assert any({"tr", "ar"} <= set(o.translations) for o in db.session.scalars(db.select(Organisation)))
    html = page(client, f"/events/{translated[0].id}", AR)
    assert f"<h1><bdi>{translated[0].translations['ar']['title']['text']}</bdi></h1>" in html


@pytest.mark.parametrize("path", ["/staff/events/{id}/registrations", "/staff/events/{id}",
                                  "/staff/events/{id}/attendance"])
def test_staff_pages_keep_german_and_mark_it_as_german_on_other_pages(client, db, login, staff, meeting, path):
    login(staff)
    url = path.format(id=meeting.id)
    staff.locale = "ar"
    db.session.commit()
    arabic = page(client, url, {})

    assert re.search(r'<h1>[^<]*<bdi lang="de" dir="ltr">Jahresversammlung der Vereine</bdi>', arabic)
    staff.locale = "de"
    db.session.commit()
    assert re.search(r"<h1>[^<]*<bdi>Jahresversammlung der Vereine</bdi>", page(client, url, {}))


def test_the_archive_finds_a_past_meeting_by_an_agenda_title_in_another_language(client, db, make_user):
    from miado_events.models.events import EventSession, Slot
    from miado_events.models.meetings import AgendaItem, MeetingAgenda

    now = utcnow()
    event = make_event(db, "Vernetzungstreffen MSO", [], kind="networking")
    past = []
    for days, title, turkish in ((-30, "Fördermittel 2027", "2027 hibeleri"), (-60, "Begrüßung", "Hoş geldiniz")):
        start = (now + timedelta(days=days)).replace(microsecond=0)
        session = EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=2))
        db.session.add_all([session, Slot(event=event, session=session, capacity=20)])
        db.session.flush()
        db.session.add(MeetingAgenda(session_id=session.id, published_at=now - timedelta(days=40)))
        item = AgendaItem(session_id=session.id, position=1, title=title, kind="funding", minutes=20)
        db.session.add(item)
        set_translation(item, "tr", "title", turkish)
        past.append(session)
    db.session.commit()

    html = page(client, f"/events/{event.id}/archive?q=hibeleri", TR)

    assert {int(n) for n in re.findall(r'id="session-(\d+)"', html)} == {past[0].id}
    assert "<bdi>2027 hibeleri</bdi>" in html
    html = page(client, f"/events/{event.id}/archive?q=source", TR)
    assert re.findall(r'id="session-(\d+)"', html) == []


def test_hostile_translation_input_changes_nothing_and_never_fails(client, db, login, staff, meeting):
    login(staff)
    for sent in ({"tr-tr-title": "x" * 100_000}, {"tr-tr-description": "y" * 20_001},
                 {"tr-xx-title": "x", "tr-tr-capacity": "5", "tr-tr-title-ok": "ja"}):
        response = client.post(f"/staff/events/{meeting.id}", data=_event_form(meeting, **sent))
        assert response.status_code in (200, 302, 400, 413), response.status_code
    db.session.expire_all()
    assert meeting.translations["tr"]["title"]["text"] == "Derneklerin yıllık toplantısı"
    assert set(meeting.translations) == {"tr"} and meeting.capacity == 20


def test_a_registration_question_without_the_readers_language_says_it_is_german(client, db, login, make_user):
    from miado_events.events import question_editor
    from miado_events.events.question_editor import QuestionData

    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    event = make_event(db, "Vernetzungstreffen Dezember", [start], kind="networking")
    staff = make_user("staff")
    question_editor.add_question(staff, event, QuestionData(
        kind="short_text", text={"de": "Barrierefreier Zugang?", "tr": "Engelsiz erişim?"}))
    db.session.commit()
    login(make_user(locale="ar"))

    html = client.post(f"/events/{event.id}/slots/{event.slots[0].id}/register",
                       data={"organisation_id": ""}).get_data(as_text=True)

    assert re.search(r'<span lang="de" dir="ltr">Barrierefreier Zugang\?</span> <small class="content-hint">', html)


def test_staff_give_a_new_event_its_translations_at_once(client, db, login, staff):
    from miado_events.models.events import Event

    login(staff)
    assert 'id="tr-tr-title"' in page(client, "/staff/events/new", {})

    response = client.post("/staff/events/new", data={
        "kind": "seminar", "title": "Vereinsrecht kompakt", "languages": ["de"], "visibility": "public",
        "capacity": "20", "cancellation_deadline_hours": "24", "tr-tr-title": "Dernek hukuku kısaca"})

    assert response.status_code == 302
    event = db.session.scalar(db.select(Event))
    assert localized_title(event, "tr") == "Dernek hukuku kısaca"


def localized_title(event, language):
    from miado_events.models.translated import localized

    return localized(event, "title", language).text
