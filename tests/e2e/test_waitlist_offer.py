"""A waiting list that asks first, in a real browser with CSRF on and the
mail going through SMTP: a seat of a seminar in offer mode is given up; the
first person waiting is offered it by mail and does not answer; the test
moves time past the deadline (the expiry job's service with ``now=``, never
a sleep); the seat passes to the next person, who accepts through the link in
the mail without logging in and gets the confirmation with the ticket. The
offer page passes axe-core in German and Arabic and fits a 320 px phone.

Selectors use names, values and URLs, never visible text."""
from __future__ import annotations

import re
import time as _time
from datetime import date, time, timedelta

import pytest

from .test_accessibility import axe_source, describe, run_axe
from .test_org_registry import assert_pages_had_csp, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

TITLE = "Seminar Öffentlichkeitsarbeit für Vereine"
SEATED = {"email": "sitzt@example.org", "name": "Sina Sitzplatz", "password": "seated-passphrase"}
FIRST = {"email": "erste.warteliste@example.org", "name": "Emre Erster", "password": "first-passphrase"}
SECOND = {"email": "zweite.warteliste@example.org", "name": "Zofia Zweite", "password": "second-passphrase"}
STAFF = {"email": "buero@example.org", "name": "Olga Office", "password": "office-passphrase"}


@pytest.fixture
def offer_world(live_server, make_live_user) -> dict:
    """A seminar in offer mode with one seat (SEATED has it); FIRST, then SECOND wait."""
    from miado_events.events import registration, services
    from miado_events.events.services import EventData, SessionData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot

    for person in (SEATED, FIRST, SECOND, STAFF):
        make_live_user(person["email"], person["name"], person["password"])
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff = users[STAFF["email"]]
        staff.role = Role.STAFF.value
        seminar = services.create_event(staff, EventData(
            kind="seminar", title=TITLE, capacity=1, languages=["de"], waitlist_mode="offer", offer_hours=24))
        services.add_session(staff, seminar, SessionData(day=date.today() + timedelta(days=14), start=time(18),
                                                         end=time(20), online_url="https://meet.example.org/pr"))
        services.publish_event(staff, seminar)
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == seminar.id))
        for person in (SEATED, FIRST, SECOND):
            user = users[person["email"]]
            registration.register_participant(user, user, slot)
        db.session.commit()
        world = {"event_id": seminar.id, "slot_id": slot.id}
        db.session.remove()
    return world


def mails_to(smtp_sink, address: str) -> list:
    return [m for m in list(smtp_sink.messages) if address.lower() in str(m["To"]).lower()]


def wait_for_mail(smtp_sink, address: str, pattern: str, timeout: float = 10.0):
    """The first mail to ``address`` whose text has a link matching ``pattern``."""
    deadline = _time.monotonic() + timeout
    while True:
        for msg in mails_to(smtp_sink, address):
            if re.search(pattern, msg.get_body(("plain",)).get_content()):
                return msg
        if _time.monotonic() > deadline:
            got = [(str(m["To"]), str(m["Subject"])) for m in smtp_sink.messages]
            raise AssertionError(f"no mail to {address} with {pattern!r}; received: {got}")
        _time.sleep(0.05)


def move_time_past_the_deadline(live_server) -> int:
    """What the expiry timer does, with the clock moved past the offer's deadline."""
    from miado_events.events import offers
    from miado_events.extensions import db
    from miado_events.models.offers import WaitlistOffer

    with live_server.app.app_context():
        deadline = db.session.scalar(db.select(db.func.max(WaitlistOffer.expires_at)))
        expired = offers.expire_offers(now=deadline + timedelta(minutes=1))
        db.session.commit()
        db.session.remove()
    return expired


def registration_status(live_server, email: str) -> str:
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    with live_server.app.app_context():
        status = db.session.scalar(db.select(Registration.status).join(User, User.id == Registration.user_id)
                                   .where(User.email == email))
        db.session.remove()
    return status


def fits_the_phone(page) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"the page is {width}px wide on a 320px phone"


def test_an_unanswered_offer_passes_to_the_next_person_who_accepts_from_the_mail(
        browser, page, live_server, smtp_sink, traffic, offer_world):
    # 1. The seated person gives up the seat through the confirmation page.
    log_in(page, live_server, SEATED["email"], SEATED["password"])
    page.goto(f"{live_server.url}/my/registrations")
    page.locator('main a[href^="/registrations/"][href$="/cancel"]').click()
    page.locator('main form[method="post"] button[type=submit]').click()
    expect(page).to_have_url(f"{live_server.url}/my/registrations")
    expect(page.locator(".flash.flash-success")).to_be_visible()

    # 2. The first person waiting is offered the seat by mail; it is not theirs yet.
    first_offer = wait_for_mail(smtp_sink, FIRST["email"], r"/offers/")
    first_link = smtp_sink.link(first_offer, r"/offers/")
    assert registration_status(live_server, FIRST["email"]) == "waitlisted"
    assert not re.search(r"/offers/", "".join(m.get_body(("plain",)).get_content()
                                               for m in mails_to(smtp_sink, SECOND["email"])))

    # 3. They do not answer. Time passes the deadline: the job hands the seat on.
    assert move_time_past_the_deadline(live_server) == 1
    assert registration_status(live_server, FIRST["email"]) == "cancelled"
    second_offer = wait_for_mail(smtp_sink, SECOND["email"], r"/offers/")
    second_link = smtp_sink.link(second_offer, r"/offers/")

    # 4. The first person's link now says the time has passed: no buttons.
    guest = browser.new_context(locale="de-DE")
    try:
        anonymous = guest.new_page()
        anonymous.goto(first_link)
        expect(anonymous.locator('main button[name="action"]')).to_have_count(0)

        # 5. The next person opens the link from the mail, not logged in, and accepts.
        anonymous.goto(second_link)
        expect(anonymous.locator("main")).to_contain_text(TITLE)
        assert registration_status(live_server, SECOND["email"]) == "waitlisted"  # opening accepts nothing
        anonymous.locator('main button[name="action"][value="accept"]').click()
        expect(anonymous).to_have_url(second_link)
        expect(anonymous.locator(".flash.flash-success")).to_be_visible()
        expect(anonymous.locator('main button[name="action"]')).to_have_count(0)
    finally:
        guest.close()
    assert registration_status(live_server, SECOND["email"]) == "confirmed"

    # 6. The confirmation with the ticket and the calendar invite arrives.
    deadline = _time.monotonic() + 10
    while not any("text/calendar" in m.as_string() for m in mails_to(smtp_sink, SECOND["email"])):
        assert _time.monotonic() < deadline, "no confirmation with the invite"
        _time.sleep(0.05)
    assert_pages_had_csp(traffic, live_server)


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_offer_page_passes_axe_and_fits_a_phone(browser, live_server, smtp_sink, offer_world, lang):
    from miado_events.events import registration
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    with live_server.app.app_context():
        seated = db.session.scalar(db.select(Registration).join(User, User.id == Registration.user_id)
                                   .where(User.email == SEATED["email"]))
        registration.cancel_registration(seated.user, seated)
        db.session.commit()
        db.session.remove()
    link = smtp_sink.link(wait_for_mail(smtp_sink, FIRST["email"], r"/offers/"), r"/offers/")
    context = browser.new_context(locale="ar" if lang == "ar" else "de-DE", bypass_csp=True,
                                  viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        page.goto(link)
        assert page.evaluate("() => document.documentElement.lang") == lang
        page.screenshot(path=f"/tmp/h4-offer-{lang}.png", full_page=True)
        violations = run_axe(page, axe_source())
        assert not violations, describe([("offer", link, violations)])
        fits_the_phone(page)
    finally:
        context.close()
