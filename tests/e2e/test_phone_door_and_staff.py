"""On a phone (390 × 844): door staff scan a ticket with the camera and see
the answer over the picture without scrolling, and an undo takes the person
off the "last check-ins" list at once; staff create a series of meetings
only after seeing the dates it gives."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from .test_checkin import DOOR, answer, attendance_rows, check_in_by_name, log_in, make_camera_video
from .test_checkin import camera_browser, door_world  # noqa: F401  (fixtures)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

PHONE = {"width": 390, "height": 844}
CAMERA_TIMEOUT_MS = 10_000


def rect(page, selector: str) -> dict:
    """Where the element is in the visible part of the page (not the document)."""
    return page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
                         " width: innerWidth, height: innerHeight}; }", selector)


def inside_viewport(box: dict) -> bool:
    return box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= box["height"] and box["right"] <= box["width"]


def test_door_staff_see_the_camera_answer_without_scrolling_and_undo_updates_the_list(
        camera_browser, live_server, door_world, tmp_path):  # noqa: F811
    person = door_world["people"][0]
    context = camera_browser(make_camera_video(person["ticket_url"], tmp_path))
    page = context.pages[0] if context.pages else context.new_page()
    log_in(page, live_server, DOOR["email"], DOOR["password"])  # (awaits the log-out button: wide screen)
    page.set_viewport_size(PHONE)
    page.goto(door_world["scanner"])

    # The door page has no site menu (nor a personal one): only the scanner.
    expect(page.locator("header .site-menu")).to_have_count(0)
    expect(page.locator("header", has_text="Log out")).to_have_count(0)
    # The camera comes first: its button is on the first screen.
    assert inside_viewport(rect(page, "#camera-start")), rect(page, "#camera-start")

    page.locator("#camera-start").click()
    expect(page.locator("#camera-video")).to_be_visible(timeout=CAMERA_TIMEOUT_MS)
    expect(answer(page)).to_have_class("answer answer-green", timeout=CAMERA_TIMEOUT_MS)
    expect(answer(page)).to_contain_text(f"Welcome, {person['name']}!")
    assert page.evaluate("scrollY") == 0
    # The answer lies within the screen while the picture is shown.
    expect(page.locator("#camera-video")).to_be_visible()
    assert inside_viewport(rect(page, "#answer")), rect(page, "#answer")
    video = rect(page, "#camera-video")
    assert video["top"] < video["height"] and video["bottom"] > 0, video
    recent = page.locator("#recent-list li", has_text=person["name"])
    expect(recent).to_have_count(1)

    # Undo: the person leaves the list at once, without a reload.
    page.locator("#camera-stop").click()
    page.locator("#undo-last").click()
    expect(answer(page)).to_contain_text(f"Check-in of {person['name']} taken back.")
    expect(recent).to_have_count(0, timeout=2000)
    expect(page.locator("#count-checked-in")).to_have_text("0")

    # The same with the list's own Undo button.
    check_in_by_name(page, person["name"])
    expect(recent).to_have_count(1)
    recent.locator("button", has_text="Undo").click()
    expect(answer(page)).to_contain_text(f"Check-in of {person['name']} taken back.")
    expect(recent).to_have_count(0, timeout=2000)
    assert attendance_rows(live_server, door_world["session"]) == []


@pytest.fixture
def draft_event(live_server, make_live_user) -> dict:
    from miado_events.events import services
    from miado_events.events.services import EventData, VenueData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User

    make_live_user("buero.serie@example.org", "Büro Serie", "buero-serie-passphrase", locale="en")
    with live_server.app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == "buero.serie@example.org"))
        staff.role = Role.STAFF.value
        venue = services.save_venue(staff, VenueData(
            name="Dietrich-Keuning-Haus", address="Leopoldstraße 50–58, 44147 Dortmund", district="Innenstadt-Nord"))
        event = services.create_event(staff, EventData(kind="networking", title="Sprachcafé Nordstadt",
                                                       capacity=30, languages=["de"]))
        db.session.commit()
        ids = {"event": event.id, "venue": venue.id}
        db.session.remove()
    return ids


def test_staff_create_a_series_on_a_phone_after_seeing_the_dates(page, live_server, draft_event):
    from miado_events.extensions import db
    from miado_events.models.events import EventSession

    log_in(page, live_server, "buero.serie@example.org", "buero-serie-passphrase")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/staff/events/{draft_event['event']}")
    first = date.today() + timedelta(days=7)
    form = page.locator("form[action$='/sessions/recurring']")
    form.locator("select[name=frequency]").select_option("weekly")
    form.locator("select[name=weekday]").select_option(str(first.weekday()))
    form.locator("input[name=first_day]").fill(first.isoformat())
    form.locator("input[name=start]").fill("18:00")
    form.locator("input[name=end]").fill("20:00")
    form.locator("input[name=count]").fill("3")
    form.locator("select[name=venue_id]").select_option(str(draft_event["venue"]))
    form.locator("button[type=submit]").click()

    # First the dates, and nothing created yet.
    expect(page.locator("main h1")).to_have_text("Check the dates")
    expect(page.locator(".date-preview li")).to_have_count(3)
    for day in (first, first + timedelta(days=7), first + timedelta(days=14)):
        expect(page.locator(f".date-preview time[datetime='{day.isoformat()}']")).to_have_count(1)
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count(EventSession.id))) == 0
        db.session.remove()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("button[name=confirm]").click()
    expect(page.locator(".flash-success")).to_contain_text("The meetings have been added.")
    with live_server.app.app_context():
        starts = db.session.scalars(db.select(EventSession.starts_at).order_by(EventSession.starts_at)).all()
        db.session.remove()
    from miado_events.timeutil import to_local
    assert [to_local(s).date() for s in starts] == [first, first + timedelta(days=7), first + timedelta(days=14)]
