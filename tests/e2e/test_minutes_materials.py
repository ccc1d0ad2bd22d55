"""After a meeting, in a real browser with CSRF on and mail through SMTP:
staff upload a PDF and write the minutes (with a preview), publish them; the
attendee is told by e-mail, follows the link and downloads the PDF; a
visitor cannot. The pages pass axe in German and Arabic and fit a phone.

Selectors use input names, URLs and form actions, never visible text."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from .conftest import log_in_as, new_recorded_context
from .test_accessibility import axe_source, describe, run_axe

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
STAFF = {"email": "buero@example.org", "name": "Bea Büro", "password": "office-passphrase-1"}
ATTENDEE = {"email": "attendee@example.org", "name": "Aylin Anwesend", "password": "attendee-passphrase-1"}
TITLE = "Vernetzungstreffen Nordstadt"


@pytest.fixture
def meeting(live_server, make_live_user, tmp_path) -> dict:
    """A networking meeting that ended yesterday; the attendee was checked in."""
    from miado_events.database import utcnow
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.checkin import Attendance
    from miado_events.models.events import Event, EventSession, Registration, Slot

    live_server.app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    make_live_user(STAFF["email"], STAFF["name"], STAFF["password"])
    make_live_user(ATTENDEE["email"], ATTENDEE["name"], ATTENDEE["password"])
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == STAFF["email"]))
        staff.role = Role.STAFF.value
        attendee = db.session.scalar(db.select(User).where(User.email == ATTENDEE["email"]))
        start = (utcnow() - timedelta(days=1)).replace(second=0, microsecond=0)
        event = Event(kind="networking", title=TITLE, status="published", capacity=30, languages=["de"])
        session = EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=2))
        slot = Slot(event=event, session=session, capacity=30, confirmed_count=1)
        registration = Registration(slot=slot, event=event, user=attendee, status="confirmed",
                                    confirmed_at=start - timedelta(days=7))
        db.session.add_all([event, session, slot, registration])
        db.session.flush()
        db.session.add(Attendance(registration_id=registration.id, session_id=session.id,
                                  checked_in_at=start, method="scan"))
        db.session.commit()
        ids = {"event": event.id, "session": session.id}
        db.session.remove()
    return ids


def test_staff_publish_minutes_and_a_pdf_the_attendee_downloads_it_a_visitor_cannot(
        browser, page, second_page, live_server, smtp_sink, meeting, tmp_path):
    # 1. Staff upload the PDF and write the minutes, with a preview first.
    log_in_as(page, live_server, STAFF["email"], STAFF["password"])
    manage = f"{live_server.url}/staff/sessions/{meeting['session']}/minutes"
    page.goto(manage)
    pdf_path = tmp_path / "Folien Masterplan.pdf"
    pdf_path.write_bytes(PDF)
    upload_form = page.locator(f'form[action="/staff/sessions/{meeting["session"]}/materials"]')
    upload_form.locator('input[name="material-file"]').set_input_files(str(pdf_path))
    upload_form.locator('input[name="material-title"]').fill("Folien Masterplan Integration")
    upload_form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_have_count(1)
    expect(page.locator('a[href^="/materials/"][href$="/download"]')).to_have_count(1)

    page.locator('textarea[name="minutes-body"]').fill(
        "# Ergebnisse\n\n- **Fördermittel** 2027: Anträge bis März\n\n<script>alert('x')</script>")
    page.locator('button[name="preview"]').click()
    expect(page.locator(".minutes h4")).to_have_text("Ergebnisse")
    expect(page.locator(".minutes strong")).to_have_text("Fördermittel")
    expect(page.locator(".minutes script")).to_have_count(0)
    page.locator('button[name="save"]').click()
    expect(page.locator(".flash-success")).to_have_count(1)
    page.locator(f'form[action="/staff/sessions/{meeting["session"]}/publish"] button').click()
    expect(page.locator(".flash-success")).to_have_count(1)

    # 2. The attendee is told, follows the link and downloads the PDF.
    mail = smtp_sink.wait_for(ATTENDEE["email"])
    link = smtp_sink.link(mail, f"/sessions/{meeting['session']}/minutes")
    log_in_as(second_page, live_server, ATTENDEE["email"], ATTENDEE["password"])
    second_page.goto(link)
    expect(second_page.locator(".minutes strong")).to_have_text("Fördermittel")
    with second_page.expect_download() as download_info:
        second_page.locator('a[href$="/download"]').click()
    download = download_info.value
    assert download.suggested_filename == "Folien Masterplan.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read() == PDF
    href = second_page.locator('a[href$="/download"]').get_attribute("href")
    response = second_page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]

    # 3. A visitor sees the page without the participants' file, and cannot fetch it.
    visitor = new_recorded_context(browser, live_server)
    try:
        visitor_page = visitor.new_page()
        visitor_page.goto(link)
        expect(visitor_page.locator('a[href$="/download"]')).to_have_count(0)
        refused = visitor.request.get(live_server.url + href, max_redirects=0)
        assert refused.status == 302 and "/login" in refused.headers["location"]
    finally:
        visitor.close()


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_pages_pass_axe_and_fit_a_phone(browser, live_server, meeting, lang, tmp_path):
    from miado_events.extensions import db
    from miado_events.meetings import materials, minutes
    from miado_events.models.accounts import User
    from miado_events.models.events import EventSession

    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == STAFF["email"]))
        staff.locale = lang  # the saved language comes before the cookie
        session = db.session.get(EventSession, meeting["session"])
        minutes.save_minutes(staff, session, "# Ergebnisse\n\n" + "Sehr-langes-Wort-ohne-Umbruch-" * 6
                             + "\n\n| Thema | Wer |\n|---|---|\n| Fördermittel | Büro |", "public")
        materials.upload_material(staff, session, stream=io.BytesIO(PDF), filename="Folien.pdf",
                                  title="Folien mit einem ziemlich langen Titel für kleine Bildschirme",
                                  visibility="public")
        materials.publish(staff, session)
        db.session.commit()
        db.session.remove()
    source = axe_source()
    context = new_recorded_context(browser, live_server, lang=lang, viewport={"width": 320, "height": 740})
    found = []
    try:
        page = context.new_page()
        public = (f"/events/{meeting['event']}/archive", f"/events/{meeting['event']}/archive?q=F%C3%B6rder",
                  f"/sessions/{meeting['session']}/minutes")
        visits = [(path, "visitor") for path in public]
        visits += [(path, "staff") for path in (*public, f"/staff/sessions/{meeting['session']}/minutes")]
        for path, who in visits:
            if who == "staff" and not page.locator('header form[action="/logout"]').count():
                log_in_as(page, live_server, STAFF["email"], STAFF["password"])
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
            violations = run_axe(page, source)
            if violations:
                found.append((f"{who} {path}", page.url, violations))
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320, f"{path} scrolls sideways on a phone ({width}px)"
            page.screenshot(path=f"/tmp/h6-{lang}-{who}-{path.strip('/').replace('/', '-').replace('?', '-')}.png",
                            full_page=True)
    finally:
        context.close()
    assert not context.foreign_requests
    assert not found, describe(found)
