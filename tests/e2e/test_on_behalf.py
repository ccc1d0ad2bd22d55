"""Registrations taken on someone's behalf, in a real browser with CSRF on and
the mail going through SMTP (issue #17, points 2 and 5):

- staff take a registration on the phone for a person without an e-mail
  address (name and phone) and print the ticket (a PDF with the name and the
  ticket code);
- a representative registers a person without an account for their MSO and
  finds them on the MSO's bookings page, with the ticket to print.

The pages pass axe-core and fit a 320 px wide screen in German and Arabic.
Selectors use names, URLs and form actions, never visible text.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from io import BytesIO
from urllib.parse import urljoin

import pytest

from .test_accessibility import axe_source, describe, run_axe
from .test_org_registry import assert_pages_had_csp, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

SEMINAR_TITLE = "Seminar Kassenprüfung im Verein"
ORG_NAME = "Ukrainischer Kulturverein Dortmund e.V."
STAFF = {"email": "office@example.org", "name": "Olga Office", "password": "office-passphrase"}
REP = {"email": "rep@example.org", "name": "Renata Rep", "password": "rep-passphrase"}
PHONE_CALLER = {"name": "Hatice Yıldız", "phone": "0231 123 45 67"}
NEIGHBOUR = {"name": "Mykola Sosed"}
SCREENSHOTS = "/tmp"


@pytest.fixture
def behalf_world(live_server, make_live_user) -> dict:
    """A listed MSO with a representative, and a published seminar (ten seats,
    at most two per MSO)."""
    from miado_events.events import services
    from miado_events.events.services import EventData, SessionData, VenueData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot
    from miado_events.models.orgs import Membership, Organisation

    make_live_user(STAFF["email"], STAFF["name"], STAFF["password"])
    make_live_user(REP["email"], REP["name"], REP["password"])
    day = date.today() + timedelta(days=14)
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff = users[STAFF["email"]]
        staff.role = Role.STAFF.value
        org = Organisation(name=ORG_NAME, legal_form="ev", status="listed", published_fields=["districts"])
        db.session.add(org)
        db.session.add(Membership(organisation=org, user=users[REP["email"]], role="representative",
                                  status="active"))
        venue = services.save_venue(staff, VenueData(name="Dietrich-Keuning-Haus",
                                                     address="Leopoldstraße 50–58, 44147 Dortmund",
                                                     district="Innenstadt-Nord"))
        seminar = services.create_event(staff, EventData(kind="seminar", title=SEMINAR_TITLE, capacity=10,
                                                         org_seat_limit=2, languages=["de", "uk"]))
        services.add_session(staff, seminar, SessionData(day=day, start=time(18), end=time(20),
                                                         venue_id=venue.id))
        services.publish_event(staff, seminar)
        db.session.commit()
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == seminar.id))
        world = {"seminar": seminar.id, "slot": slot.id, "org": org.id}
        db.session.remove()
    return world


def set_language(live_server, email: str, lang: str) -> None:
    """The saved language of a signed-in person (it comes before the cookie)."""
    from miado_events.extensions import db
    from miado_events.models.accounts import User

    with live_server.app.app_context():
        db.session.scalar(db.select(User).where(User.email == email)).locale = lang
        db.session.commit()
        db.session.remove()


def check_page(page, live_server, email: str, name: str) -> None:
    """axe-core, and no sideways scrolling at 320 px, in German and Arabic
    (right to left); a 360 x 740 picture of each for people to look at."""
    url = page.url.split("#")[0]  # a fragment alone would not load the page again
    size = page.viewport_size
    try:
        for lang in ("de", "ar"):
            set_language(live_server, email, lang)
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            violations = run_axe(page, axe_source())
            assert not violations, describe([(f"{name} ({lang})", url, violations)])
            page.set_viewport_size({"width": 320, "height": 640})
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (lang, url)
            page.set_viewport_size({"width": 360, "height": 740})
            page.screenshot(path=f"{SCREENSHOTS}/behalf-{name}-{lang}.png", full_page=True)
    finally:
        set_language(live_server, email, "de")
        page.set_viewport_size(size)


def ticket_text(page, href: str) -> str:
    """The ticket PDF behind ``href`` (with the page's cookies), as text."""
    from pypdf import PdfReader

    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return " ".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages)


def registration_of(live_server, name: str):
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    with live_server.app.app_context():
        registration = db.session.scalar(db.select(Registration).join(User, User.id == Registration.user_id)
                                         .where(User.name == name))
        found = (registration.status, registration.user.email, registration.user.phone,
                 registration.organisation_id, registration.registered_by.email, registration.ticket_code_display)
        db.session.remove()
    return found


def test_staff_take_a_phone_registration_without_email_and_print_the_ticket(
        page, live_server, smtp_sink, traffic, behalf_world):
    world = behalf_world
    log_in(page, live_server, STAFF["email"], STAFF["password"])
    page.goto(f"{live_server.url}/staff/events/{world['seminar']}/registrations")
    page.locator(f'main a[href="/staff/events/{world["seminar"]}/registrations/add"]').click()
    expect(page).to_have_url(f"{live_server.url}/staff/events/{world['seminar']}/registrations/add")
    check_page(page, live_server, STAFF["email"], "staff-form")

    form = page.locator("main form.form")
    form.locator('input[name="name"]').fill(PHONE_CALLER["name"])
    form.locator('input[name="phone"]').fill(PHONE_CALLER["phone"])
    form.locator('select[name="organisation_id"]').select_option(str(world["org"]))
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(
        f"{live_server.url}/staff/events/{world['seminar']}/registrations?added=") + r"\d+#added"))
    expect(page.locator(".flash.flash-success")).to_be_visible()
    status, email, phone, org_id, made_by, code = registration_of(live_server, PHONE_CALLER["name"])
    assert (status, email, phone, org_id, made_by) == (
        "confirmed", None, PHONE_CALLER["phone"], world["org"], STAFF["email"])

    # The entry is named with who made it, and its ticket is printed from here.
    main = page.locator("main")
    expect(main).to_contain_text(PHONE_CALLER["name"])
    expect(main).to_contain_text(STAFF["name"])
    print_link = page.locator('#added a[href$="/ticket.pdf"]')
    expect(print_link).to_have_count(1)
    text = ticket_text(page, print_link.get_attribute("href"))
    assert PHONE_CALLER["name"].split()[0] in text and SEMINAR_TITLE in text and code in text
    check_page(page, live_server, STAFF["email"], "staff-list")
    assert smtp_sink.messages == []  # nobody to mail
    assert_pages_had_csp(traffic, live_server)


def test_representative_registers_a_person_without_an_account_and_sees_them_booked(
        page, live_server, smtp_sink, traffic, behalf_world):
    world = behalf_world
    log_in(page, live_server, REP["email"], REP["password"])
    page.goto(f"{live_server.url}/events/{world['seminar']}")
    page.locator("main details.register-member summary").first.click()
    page.locator(f'main details.register-member a[href^="/events/{world["seminar"]}/register-person"]').click()
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/events/{world['seminar']}/register-person")))
    # The MSO is theirs, fixed.
    form = page.locator("main form.form")
    expect(form.locator(f'input[type=hidden][name="organisation_id"][value="{world["org"]}"]')).to_have_count(1)
    check_page(page, live_server, REP["email"], "rep-form")

    form.locator('input[name="name"]').fill(NEIGHBOUR["name"])
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(
        f"{live_server.url}/my/organisations/{world['org']}/bookings?added=") + r"\d+#added"))
    status, email, _phone, org_id, made_by, code = registration_of(live_server, NEIGHBOUR["name"])
    assert (status, email, org_id, made_by) == ("confirmed", None, world["org"], REP["email"])

    # The bookings page lists the person under the seminar, with the ticket to print.
    booked = page.locator("main section.card").filter(has=page.locator(f'h2 a[href="/events/{world["seminar"]}"]'))
    expect(booked).to_contain_text(NEIGHBOUR["name"])
    expect(booked).to_contain_text("1")  # one of the MSO's two seats
    text = ticket_text(page, page.locator('#added a[href$="/ticket.pdf"]').get_attribute("href"))
    assert NEIGHBOUR["name"] in text and code in text
    check_page(page, live_server, REP["email"], "bookings")

    # And it is one click away from "My organisations".
    page.goto(f"{live_server.url}/my/organisations")
    page.locator(f'main a[href="/my/organisations/{world["org"]}/bookings"]').click()
    expect(page.locator("main")).to_contain_text(NEIGHBOUR["name"])
    assert smtp_sink.messages == []
    assert_pages_had_csp(traffic, live_server)
