"""On a phone (390 × 844): a visitor finds the next networking meeting from
the home page and registers for it; the header leaves room for the content
and its menu opens without JavaScript."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest

from ..conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

PHONE = {"width": 390, "height": 844}
MEETING = "Vernetzungstreffen Nordstadt"
EMAIL = "amina.phone@example.org"


@pytest.fixture
def meeting(live_server, make_live_user) -> dict:
    """A monthly networking meeting (three dates ahead) with free seats."""
    from miado_events.events import services
    from miado_events.events.services import EventData, RecurrenceData, VenueData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User

    make_live_user("buero.telefon@example.org", "Büro Telefon")
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == "buero.telefon@example.org"))
        staff.role = Role.STAFF.value
        venue = services.save_venue(staff, VenueData(
            name="Dietrich-Keuning-Haus", address="Leopoldstraße 50–58, 44147 Dortmund", district="Innenstadt-Nord"))
        event = services.create_event(staff, EventData(kind="networking", title=MEETING, capacity=40,
                                                       languages=["de"]))
        services.create_recurring_sessions(staff, event, RecurrenceData(
            frequency="monthly_nth_weekday", nth=2, weekday=1, first_day=date.today() + timedelta(days=1),
            start=time(18), end=time(20), count=3, venue_id=venue.id))
        services.publish_event(staff, event)
        db.session.commit()
        ids = {"event": event.id}
        db.session.remove()
    return ids


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_visitor_finds_the_next_meeting_on_the_home_page_and_registers(page, live_server, make_live_user,
                                                                         meeting):
    from miado_events.extensions import db
    from miado_events.models.events import Registration

    make_live_user(EMAIL, "Amina Yılmaz")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")

    # The header is one compact row: at most about 15 % of the first screen.
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 0.15 * PHONE["height"], header
    assert page_width(page) <= PHONE["width"]
    expect(page.locator("header nav a[href='/calendar']")).to_be_hidden()
    page.locator("header .site-menu > summary").click()  # a disclosure element, no script needed
    expect(page.locator("header nav a[href='/calendar']")).to_be_visible()
    page.locator("header .site-menu > summary").click()

    # The meeting is on the home page once, with its next dates and one clear button.
    card = page.locator("li.event-card", has_text=MEETING)
    expect(card).to_have_count(1)
    expect(card.locator("time")).to_have_count(3)
    expect(card).to_contain_text("40 von 40 Plätzen frei")
    card.locator("a.button").click()
    expect(page).to_have_url(f"{live_server.url}/events/{meeting['event']}")
    assert page_width(page) <= PHONE["width"]

    # Not signed in: log in, and come back to the meeting.
    page.locator("main a.button[href^='/login']").first.click()
    page.locator('main input[name="email"]').fill(EMAIL)
    page.locator('main input[name="password"]').fill(PASSWORD)
    page.locator("main form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/events/{meeting['event']}")

    # Register for the first date.
    page.locator("main form[action$='/register'] button[type=submit]").first.click()
    expect(page.locator(".flash.flash-success")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    with live_server.app.app_context():
        statuses = list(db.session.scalars(db.select(Registration.status)))
        db.session.remove()
    assert statuses == ["confirmed"]

    # Home now shows the ticket first.
    page.goto(f"{live_server.url}/")
    expect(page.locator("section[aria-labelledby='mine-heading']")).to_contain_text(MEETING)
    expect(page.locator("section[aria-labelledby='mine-heading'] a.button")).to_have_attribute(
        "href", re.compile(r"/my/registrations/\d+/ticket$"))
