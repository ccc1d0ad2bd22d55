"""Event content in the reader's language in a real browser (issue #19).

1. Staff open an event, add a Turkish title and description beside the
   German text and save; a member whose language is Turkish sees them on the
   event page (in the page's own language: no lang of their own).
2. An Arabic reader of an event without Arabic text gets the German text
   with lang="de" dir="ltr" inside the right-to-left page, with the
   "(in German)" hint; axe-core finds no violation, and the event page and
   the staff event form fit 320 px in German and Arabic.
(The confirmation mail, the invite and the feed in Turkish are covered with
the rest of "everywhere the content travels".)
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import new_recorded_context
from .test_accessibility import axe_source, describe, run_axe
from .test_org_registry import assert_pages_had_csp, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

STAFF = {"email": "office.content@example.org", "name": "Odile Office", "password": "office-content-passphrase"}
MEMBER = {"email": "ayse.content@example.org", "name": "Ayşe Yılmaz", "password": "ayse-content-passphrase"}
TITLE = "Vereinsrecht kompakt"
DESCRIPTION = "Satzung, Vorstand und Mitgliederversammlung."
TR_TITLE = "Dernek hukuku kısaca"
TR_DESCRIPTION = "Tüzük, yönetim kurulu ve genel kurul."
UNTRANSLATED = "Datenschutz im Verein"


@pytest.fixture
def events(live_server, make_live_user) -> dict:
    """Two published seminars in ten days (German only); STAFF is staff,
    MEMBER reads the site in Turkish."""
    from datetime import time as clock

    from miado_events.database import utcnow
    from miado_events.events import services
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.timeutil import to_local

    make_live_user(STAFF["email"], STAFF["name"], STAFF["password"], locale="en")
    make_live_user(MEMBER["email"], MEMBER["name"], MEMBER["password"], locale="tr")
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == STAFF["email"]))
        staff.role = Role.STAFF.value
        day = to_local(utcnow() + timedelta(days=10)).date()
        ids = {}
        for key, title, description in (("seminar", TITLE, DESCRIPTION), ("untranslated", UNTRANSLATED,
                                                                          "Was Vereine speichern dürfen.")):
            event = services.create_event(staff, services.EventData(
                kind="seminar", title=title, capacity=20, languages=["de"], description=description))
            services.add_session(staff, event, services.SessionData(
                day=day, start=clock(18), end=clock(20), online_url="https://meet.example.org/x"))
            services.publish_event(staff, event)
            db.session.flush()
            ids[key] = event.id
        db.session.commit()
        db.session.remove()
    return ids


def test_staff_add_turkish_and_a_turkish_member_reads_it(page, live_server, traffic, events):
    log_in(page, live_server, STAFF["email"], STAFF["password"])
    page.goto(f"{live_server.url}/staff/events/{events['seminar']}")
    form = page.locator("main form.form").filter(has=page.locator("#tr-tr-title"))
    form.locator("details.translation summary", has_text="Türkçe").click()
    form.locator("#tr-tr-title").fill(TR_TITLE)
    form.locator("#tr-tr-description").fill(TR_DESCRIPTION)
    expect(form.locator("#tr-ar-title")).to_have_attribute("dir", "rtl")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".flash").first).to_contain_text("The event has been saved.")
    page.goto(f"{live_server.url}/staff/events")
    expect(page.locator("tr", has_text=TITLE)).to_contain_text("Not translated: EN, AR, RU, UK, PL")
    log_out(page, live_server)

    log_in(page, live_server, MEMBER["email"], MEMBER["password"])
    page.goto(f"{live_server.url}/events/{events['seminar']}")
    assert page.locator("html").get_attribute("lang") == "tr"
    heading = page.locator("main h1")
    expect(heading).to_have_text(TR_TITLE)
    assert heading.locator("bdi").get_attribute("lang") is None  # the page's own language
    expect(page.locator("main")).to_contain_text(TR_DESCRIPTION)
    expect(page.locator("main")).not_to_contain_text(DESCRIPTION)
    assert_pages_had_csp(traffic, live_server)


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_german_fallback_is_marked_passes_axe_and_fits_a_phone(browser, live_server, events, lang):
    from miado_events.extensions import limiter

    limiter.reset()
    source = axe_source()
    found, wide = [], []
    context = new_recorded_context(browser, live_server, lang=lang, viewport={"width": 320, "height": 740})
    page = context.new_page()
    try:
        for path in (f"/events/{events['untranslated']}", "/calendar", f"/calendar?q={UNTRANSLATED[:10]}"):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == lang
            violations = run_axe(page, source)
            if violations:
                found.append(("visitor", page.url, violations))
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 320:
                wide.append(f"{path}: {width}px")
        page.goto(f"{live_server.url}/events/{events['untranslated']}")
        title = page.locator("main h1 bdi").first
        if lang == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
            assert (title.get_attribute("lang"), title.get_attribute("dir")) == ("de", "ltr")
            expect(page.locator("main h1 .content-hint")).to_be_visible()
            # German reads left to right inside the right-to-left page
            assert title.evaluate("e => getComputedStyle(e).direction") == "ltr"
        else:
            assert title.get_attribute("lang") is None
            expect(page.locator("main .content-hint")).to_have_count(0)
    finally:
        context.close()
    assert not found, describe(found)
    assert not wide, f"sideways scrolling at 320 px ({lang}): {wide}"


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_staff_translation_form_passes_axe_and_fits_a_phone(browser, live_server, events, lang):
    from miado_events.extensions import db
    from miado_events.models.accounts import User

    with live_server.app.app_context():
        db.session.scalar(db.select(User).where(User.email == STAFF["email"])).locale = lang
        db.session.commit()
        db.session.remove()
    context = new_recorded_context(browser, live_server, lang=lang, viewport={"width": 320, "height": 740})
    page = context.new_page()
    source = axe_source()
    found, wide = [], []
    try:
        page.goto(f"{live_server.url}/login")
        page.locator('main input[name="email"]').fill(STAFF["email"])
        page.locator('main input[name="password"]').fill(STAFF["password"])
        page.locator("main form.form button[type=submit]").click()
        page.wait_for_load_state()
        for path in (f"/staff/events/{events['seminar']}", "/staff/events"):
            page.goto(live_server.url + path)
            for summary in page.locator("details.translation summary").all():
                summary.click()
            violations = run_axe(page, source)
            if violations:
                found.append(("staff", page.url, violations))
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 320:
                wide.append(f"{path}: {width}px")
    finally:
        context.close()
    assert not found, describe(found)
    assert not wide, f"sideways scrolling at 320 px ({lang}): {wide}"
