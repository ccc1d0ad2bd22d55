"""Writing to the MSOs in a real browser (CSRF on, demo data): staff choose
a district, look at the preview, send; each message in the outbox carries
List-Unsubscribe (one-click), Reply-To the office and the reader's language.
Publishing an event offers to announce it; the compose page then has the
event attached and a suggested text, and the mails carry its .ics. The new
pages pass axe in German and Arabic. Selectors use names, values and URLs,
never visible text."""
from __future__ import annotations

import re

import pytest

from .conftest import DEMO_PASSWORD, demo_email, log_in_as, new_recorded_context
from .test_accessibility import axe_source, describe, run_axe, set_locale

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

SUBJECT = "Sprechstunde Fördermittel (E2E)"
BODY = "Liebe Vereine in der Nordstadt,\nwir laden zur Sprechstunde ein."
DRAFT_TITLE = "Infoabend Masterplan Integration (E2E)"


def _outbox(server):
    return server.app.extensions["mail_outbox"]


def _staff_page(browser, server, lang="de"):
    from miado_events.extensions import limiter

    context = new_recorded_context(browser, server, lang=lang, viewport={"width": 360, "height": 740})
    page = context.new_page()
    set_locale(server, "staff", lang)  # the saved language comes before the cookie
    limiter.reset()
    log_in_as(page, server, demo_email("staff"), DEMO_PASSWORD)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    return context, page


def _choose(page, name: str, value: str) -> None:
    page.locator(f"details:has(input[name={name}]) > summary").click()
    page.locator(f'input[name={name}][value="{value}"]').check()


def _no_sideways_scrolling(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_staff_write_to_the_msos_of_a_district(browser, demo_server):
    context, page = _staff_page(browser, demo_server)
    try:
        page.goto(f"{demo_server.url}/staff/outreach")
        page.locator('input[name="subject"]').fill(SUBJECT)
        page.locator('textarea[name="body"]').fill(BODY)
        _choose(page, "district", "Innenstadt-Nord")
        _no_sideways_scrolling(page)
        page.locator('button[name="action"][value="preview"]').click()
        recipients = page.locator("main .org-list > li")
        # Innenstadt-Nord in the demo: three MSOs' representatives and the
        # Syrian initiative's contact address (it agreed).
        expect(recipients).to_have_count(4)
        expect(page.locator("main")).to_contain_text("kontakt3@demo.example.org")
        _no_sideways_scrolling(page)
        before = len(_outbox(demo_server))
        page.locator('button[name="action"][value="send"]').click()
        expect(page).to_have_url(re.compile(r"/staff/outreach/mailings/\d+$"))
        expect(page.locator("main h1")).to_have_text(SUBJECT)
        sent = [m for m in _outbox(demo_server)[before:] if str(m["Subject"]) == SUBJECT]
        assert sorted(str(m["To"]) for m in sent) == [
            "kontakt3@demo.example.org", "rep1@demo.example.org", "rep3@demo.example.org",
            "rep6@demo.example.org"]
        for msg in sent:
            assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert f"<{demo_server.url}/unsubscribe/" in msg["List-Unsubscribe"]
            assert "mailto:" in msg["List-Unsubscribe"]
            assert msg["Reply-To"] is not None and "@" in str(msg["Reply-To"])
        # The link in the mail: opening it asks, the button stops the news.
        link = re.search(r"<(http[^>]+/unsubscribe/[^>]+)>", sent[0]["List-Unsubscribe"]).group(1)
        visitor = new_recorded_context(browser, demo_server)
        try:
            other = visitor.new_page()
            other.goto(link)
            other.locator("main form button[type=submit]").click()
            expect(other.locator("main [role=status]")).to_have_count(1)
        finally:
            visitor.close()
        assert context.foreign_requests == []
    finally:
        context.close()


def test_publishing_offers_to_announce_the_event(browser, demo_server):
    from miado_events.extensions import db
    from miado_events.models.events import Event, EventSession, Slot
    from miado_events.database import utcnow
    from datetime import timedelta

    with demo_server.app.app_context():
        start = (utcnow() + timedelta(days=40)).replace(hour=16, minute=0, second=0, microsecond=0)
        event = Event(kind="seminar", title=DRAFT_TITLE, status="draft", capacity=20, languages=["de"])
        session = EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=2),
                               online_url="https://meet.example.org/e2e")
        db.session.add_all([event, session, Slot(event=event, session=session, capacity=20)])
        db.session.commit()
        event_id = event.id
        db.session.remove()
    context, page = _staff_page(browser, demo_server)
    try:
        page.goto(f"{demo_server.url}/staff/events/{event_id}")
        page.locator(f'form[action="/staff/events/{event_id}/publish"] button').click()
        announce = page.locator(f'main a[href="/staff/outreach?event={event_id}"]')
        expect(announce.first).to_be_visible()
        announce.first.click()
        expect(page.locator('select[name="event"]')).to_have_value(str(event_id))
        expect(page.locator('input[name="subject"]')).to_have_value(re.compile(re.escape(DRAFT_TITLE)))
        _choose(page, "field_of_work", "sport")
        page.locator('button[name="action"][value="preview"]').click()
        before = len(_outbox(demo_server))
        page.locator('button[name="action"][value="send"]').click()
        expect(page).to_have_url(re.compile(r"/staff/outreach/mailings/\d+$"))
        sent = _outbox(demo_server)[before:]
        assert sent and all(DRAFT_TITLE in str(m["Subject"]) for m in sent)
        names = [p.get_filename() for p in sent[0].iter_attachments()]
        assert f"event-{event_id}.ics" in names
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_office_news_pages_pass_axe_and_fit_a_phone(browser, demo_server, lang):
    source = axe_source()
    context, page = _staff_page(browser, demo_server, lang)
    found = []
    try:
        page.goto(f"{demo_server.url}/staff/outreach")
        pages = [("compose", None)]
        for name, _ in pages:
            found += [(name, page.url, v) for v in [run_axe(page, source)] if v]
        page.locator('input[name="subject"]').fill(SUBJECT)
        page.locator('textarea[name="body"]').fill(BODY)
        page.locator('button[name="action"][value="preview"]').click()
        page.screenshot(path=f"/tmp/h7-outreach-preview-{lang}.png", full_page=True)
        _no_sideways_scrolling(page)
        violations = run_axe(page, source)
        if violations:
            found.append(("preview", page.url, violations))
        for path in ("/staff/outreach", "/staff/outreach/mailings", "/account"):
            page.goto(demo_server.url + path)
            _no_sideways_scrolling(page)
            page.screenshot(path=f"/tmp/h7{path.replace('/', '-')}-{lang}.png", full_page=True)
            violations = run_axe(page, source)
            if violations:
                found.append((path, page.url, violations))
        page.goto(demo_server.url + "/staff/outreach/mailings")
        page.locator("main .org-list a").first.click()
        _no_sideways_scrolling(page)
        page.screenshot(path=f"/tmp/h7-outreach-mailing-{lang}.png", full_page=True)
        violations = run_axe(page, source)
        if violations:
            found.append(("mailing", page.url, violations))
        assert found == [], describe(found)
        page.set_viewport_size({"width": 320, "height": 640})  # the narrowest phone we promise
        for path in ("/staff/outreach", "/staff/outreach/mailings", page.url):
            page.goto(path if path.startswith("http") else demo_server.url + path)
            _no_sideways_scrolling(page)
    finally:
        context.close()
