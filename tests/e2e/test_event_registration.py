"""Registering for a seminar in a real browser, with CSRF switched on and the
mail going through SMTP: a member finds the seminar in the calendar, registers,
sees it under "my registrations" and cancels it through the confirmation page;
the member who was waiting for that seat gets it and is told by e-mail.

Selectors use input names, URLs and form actions, never visible text, so the
tests pass whatever language the interface is shown in (German by default).
"""
from __future__ import annotations

import re
import time as _time
from datetime import date, time, timedelta

import pytest

from .test_org_registry import assert_pages_had_csp, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

SEMINAR_TITLE = "Seminar Vereinsfinanzen und Fördermittel"
MEETING_TITLE = "Vernetzungstreffen Innenstadt-Nord"
ORG_NAME = "Deutsch-Türkischer Kulturverein Nordstadt e.V."
VENUE_NAME = "Dietrich-Keuning-Haus"

FIRST = {"email": "ayse.erste@example.org", "name": "Ayşe Erste", "password": "first-member-passphrase"}
SECOND = {"email": "bogdan.zweiter@example.org", "name": "Bogdan Zweiter",
          "password": "second-member-passphrase"}
STAFF = {"email": "office@example.org", "name": "Olga Office", "password": "office-passphrase"}

CALENDAR_SCREENSHOT = "/tmp/e2e-calendar.png"
MONTH_SCREENSHOT = "/tmp/e2e-month.png"
EVENT_SCREENSHOT = "/tmp/e2e-event.png"
MINE_SCREENSHOT = "/tmp/e2e-my-registrations.png"


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def events_world(live_server, make_live_user) -> dict:
    """In the live server's database: a listed MSO with the two members, a
    seminar with one seat and a networking meeting, made and published by staff
    through the services."""
    from miado_events.events import services
    from miado_events.events.services import EventData, SessionData, VenueData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot
    from miado_events.models.orgs import Membership, Organisation

    for person in (FIRST, SECOND, STAFF):
        make_live_user(person["email"], person["name"], person["password"])
    seminar_day = date.today() + timedelta(days=21)
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff = users[STAFF["email"]]
        staff.role = Role.STAFF.value
        org = Organisation(name=ORG_NAME, legal_form="ev", status="listed", published_fields=["districts"])
        db.session.add(org)
        for person in (FIRST, SECOND):
            db.session.add(Membership(organisation=org, user=users[person["email"]], role="member",
                                      status="active"))
        venue = services.save_venue(staff, VenueData(
            name=VENUE_NAME, address="Leopoldstraße 50–58, 44147 Dortmund", district="Innenstadt-Nord",
            room="Raum 2.14", accessibility_notes="Stufenloser Zugang, Aufzug, barrierefreies WC."))
        seminar = services.create_event(staff, EventData(
            kind="seminar", title=SEMINAR_TITLE, capacity=1, languages=["de", "tr"],
            description="Wie finanziert sich ein Verein? Mitgliedsbeiträge, Spenden, Fördermittel.",
            audience_note="Vorstände und Kassenwarte von MSOen"))
        services.add_session(staff, seminar, SessionData(day=seminar_day, start=time(18), end=time(20, 30),
                                                         venue_id=venue.id))
        services.publish_event(staff, seminar)
        meeting = services.create_event(staff, EventData(kind="networking", title=MEETING_TITLE,
                                                         capacity=40, languages=["de"]))
        services.add_session(staff, meeting, SessionData(day=seminar_day - timedelta(days=7), start=time(17),
                                                         end=time(19), venue_id=venue.id))
        services.publish_event(staff, meeting)
        db.session.commit()
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == seminar.id))
        world = {"seminar": seminar.id, "meeting": meeting.id, "slot": slot.id, "day": seminar_day}
        db.session.remove()
    return world


def translated(live_server, message: str, locale: str = "de", **variables) -> str:
    """``message`` as the app says it in ``locale`` (German: the members' language)."""
    from flask_babel import force_locale, gettext

    with live_server.app.test_request_context(), force_locale(locale):
        return gettext(message, **variables)


def promoted_subject(live_server) -> str:
    """The subject of the "you have a seat" mail."""
    return translated(live_server, "You have a seat: %(title)s", title=SEMINAR_TITLE)


def wait_for_subject(smtp_sink, to: str, subject: str, timeout: float = 10.0):
    deadline = _time.monotonic() + timeout
    while True:
        for msg in list(smtp_sink.messages):
            if to.lower() in str(msg["To"]).lower() and " ".join(str(msg["Subject"]).split()) == subject:
                return msg
        if _time.monotonic() > deadline:
            got = [(str(m["To"]), str(m["Subject"])) for m in smtp_sink.messages]
            raise AssertionError(f"no mail {subject!r} to {to} within {timeout}s; received: {got}")
        _time.sleep(0.05)


def mails_to(smtp_sink, to: str) -> list:
    return [m for m in list(smtp_sink.messages) if to.lower() in str(m["To"]).lower()]


def register_form(page, world):
    return page.locator(f'main form[action="/events/{world["seminar"]}/slots/{world["slot"]}/register"]')


def entry_in(page, section: str, event_id: int):
    """The entry for ``event_id`` in the "upcoming" or "past" list of my registrations."""
    return page.locator(f'main section[aria-labelledby="{section}-heading"] .org-list > li').filter(
        has=page.locator(f'h3 a[href="/events/{event_id}"]'))


def no_errors(page) -> None:
    expect(page.locator(".flash.flash-error")).to_have_count(0)


# --- the test ----------------------------------------------------------------------


def test_register_cancel_and_the_waiting_member_gets_the_seat(page, second_page, live_server, smtp_sink,
                                                              traffic, events_world):
    world = events_world
    seminar_url = f"{live_server.url}/events/{world['seminar']}"

    # 1. The first member finds the seminar in the calendar, filtered by kind.
    log_in(page, live_server, FIRST["email"], FIRST["password"])
    page.locator('header a[href="/calendar"]').click()
    expect(page).to_have_url(f"{live_server.url}/calendar")
    seminar_link = page.locator(f'main .org-list a[href="/events/{world["seminar"]}"]')
    meeting_link = page.locator(f'main .org-list a[href="/events/{world["meeting"]}"]')
    expect(seminar_link).to_have_count(1)
    expect(meeting_link).to_have_count(1)
    page.screenshot(path=CALENDAR_SCREENSHOT, full_page=True)

    # The month view has it on its day (the link goes to this month; the
    # seminar may be in the next one).
    day = world["day"]
    page.locator('main a[href^="/calendar/"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/calendar/") + r"\d+/\d+"))
    if not page.url.endswith(f"/calendar/{day.year}/{day.month}"):
        page.locator('main nav a[rel="next"]').click()
        expect(page).to_have_url(f"{live_server.url}/calendar/{day.year}/{day.month}")
    cell = page.locator("main table.month-grid td:not(.other-month)").filter(
        has=page.locator(".day-number", has_text=re.compile(rf"^{day.day}$")))
    expect(cell.locator(f'a[href="/events/{world["seminar"]}"]')).to_have_count(1)
    page.screenshot(path=MONTH_SCREENSHOT, full_page=True)
    page.locator('header a[href="/calendar"]').click()

    form = page.locator("main form.filter-form")
    form.locator('select[name="kind"]').select_option("seminar")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/calendar?") + r".*kind=seminar"))
    expect(form.locator('select[name="kind"]')).to_have_value("seminar")
    expect(seminar_link).to_have_count(1)
    expect(seminar_link).to_have_text(SEMINAR_TITLE)
    expect(meeting_link).to_have_count(0)

    # 2. Opens it and registers: the one seat is hers.
    seminar_link.click()
    expect(page).to_have_url(seminar_url)
    expect(page.locator("main h1")).to_have_text(SEMINAR_TITLE)
    expect(page.locator("main")).to_contain_text(VENUE_NAME)
    expect(page.locator("main")).to_contain_text("Stufenloser Zugang")
    expect(page.locator("main time")).to_have_count(1)
    page.screenshot(path=EVENT_SCREENSHOT, full_page=True)
    # One MSO: it is chosen for her (a hidden field), no choice to make.
    expect(register_form(page, world).locator('input[type=hidden][name="organisation_id"]')).to_have_count(1)
    register_form(page, world).locator("button[type=submit]").click()
    expect(page).to_have_url(seminar_url)
    expect(page.locator(".flash.flash-success")).to_be_visible()
    no_errors(page)
    expect(register_form(page, world)).to_have_count(0)
    expect(page.locator('main a[href="/my/registrations"]')).to_be_visible()
    confirmation = smtp_sink.wait_for(FIRST["email"])
    assert SEMINAR_TITLE in confirmation.get_body(("plain",)).get_content()

    # 3. "My registrations" shows the seat.
    page.locator('header a[href="/my/registrations"]').click()
    expect(page).to_have_url(f"{live_server.url}/my/registrations")
    mine = entry_in(page, "upcoming", world["seminar"])
    expect(mine).to_have_count(1)
    expect(mine.locator(".status.status-listed")).to_be_visible()
    cancel_link = mine.locator('a[href^="/registrations/"][href$="/cancel"]')
    expect(cancel_link).to_have_count(1)
    cancel_href = cancel_link.get_attribute("href")
    page.screenshot(path=MINE_SCREENSHOT, full_page=True)

    # 4. The second member finds the seminar full and joins the waiting list.
    log_in(second_page, live_server, SECOND["email"], SECOND["password"])
    second_page.goto(seminar_url)
    register_form(second_page, world).locator("button[type=submit]").click()
    expect(second_page).to_have_url(seminar_url)
    expect(second_page.locator(".flash.flash-info")).to_be_visible()
    expect(second_page.locator(".flash.flash-error")).to_have_count(0)
    second_page.locator('header a[href="/my/registrations"]').click()
    waiting = entry_in(second_page, "upcoming", world["seminar"])
    expect(waiting.locator(".status.status-pending")).to_be_visible()
    expect(waiting).to_contain_text(translated(live_server, "Position %(n)d on the waiting list", n=1))
    smtp_sink.wait_for(SECOND["email"])  # the waiting-list mail
    assert not any(" ".join(str(m["Subject"]).split()) == promoted_subject(live_server)
                   for m in mails_to(smtp_sink, SECOND["email"]))

    # 5. The first member cancels, through the confirmation page.
    cancel_link.click()
    expect(page).to_have_url(f"{live_server.url}{cancel_href}")
    expect(page.locator("main")).to_contain_text(SEMINAR_TITLE)
    page.locator('main form[method="post"] button[type=submit]').click()
    expect(page).to_have_url(f"{live_server.url}/my/registrations")
    expect(page.locator(".flash.flash-success")).to_be_visible()
    no_errors(page)
    expect(entry_in(page, "upcoming", world["seminar"])).to_have_count(0)
    cancelled = entry_in(page, "past", world["seminar"])
    expect(cancelled).to_have_count(1)
    expect(cancelled.locator(".status.status-rejected")).to_be_visible()
    expect(cancelled.locator('a[href$="/cancel"]')).to_have_count(0)

    # 6. The seat goes to the second member at once, and she is told by e-mail.
    promoted = wait_for_subject(smtp_sink, SECOND["email"], promoted_subject(live_server))
    assert smtp_sink.link(promoted, r"/my/registrations(?=\s)") == f"{live_server.url}/my/registrations"
    assert SEMINAR_TITLE in promoted.get_body(("plain",)).get_content()
    assert promoted["Content-Language"] == "de"
    second_page.reload()
    seated = entry_in(second_page, "upcoming", world["seminar"])
    expect(seated.locator(".status.status-listed")).to_be_visible()
    expect(seated.locator(".status.status-pending")).to_have_count(0)
    # The first member got a confirmation and then a cancellation, nothing more.
    deadline = _time.monotonic() + 5
    while len(mails_to(smtp_sink, FIRST["email"])) < 2 and _time.monotonic() < deadline:
        _time.sleep(0.05)
    assert len(mails_to(smtp_sink, FIRST["email"])) == 2

    # The event page now says the seminar is full, to her and to visitors.
    page.goto(seminar_url)
    expect(register_form(page, world)).to_have_count(1)  # the waiting list is open to her again

    assert_pages_had_csp(traffic, live_server)
