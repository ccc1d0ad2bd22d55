"""Taking part without an account, in a real browser with CSRF on and the mail
going through SMTP (issue #17, points 1 and 3):

- a visitor registers for a seminar as a guest from the event page, gets the
  ticket and a personal link by e-mail, opens the link (ticket with QR code,
  calendar, cancel) and cancels through it; the link stops working;
- a person opens an MSO invitation while logged out, signs up, verifies the
  address and is a member of that MSO without opening the invitation again.

The pages pass axe-core and fit a 320 px wide screen. Selectors use names,
URLs and form actions, never visible text (the interface is German).
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest

from .test_accessibility import axe_source, describe, run_axe
from .test_org_registry import assert_pages_had_csp

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

SEMINAR_TITLE = "Seminar Vereinsrecht für Einsteiger"
ORG_NAME = "Polnischer Kulturverein Dortmund e.V."
GUEST = {"name": "Halina Gość", "email": "halina.gast@example.org", "phone": "0231 123 45 67"}
SCREENSHOTS = "/tmp"
JOINER = {"name": "Jan Neumitglied", "email": "jan.neu@example.org", "password": "jan-neu-passphrase"}


@pytest.fixture
def guest_world(live_server, make_live_user) -> dict:
    """A listed MSO with a representative and a published seminar (two seats)."""
    from miado_events.events import services
    from miado_events.events.services import EventData, SessionData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot
    from miado_events.models.orgs import Membership, Organisation

    make_live_user("office@example.org", "Olga Office")
    make_live_user("rep@example.org", "Renata Rep")
    day = date.today() + timedelta(days=14)
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff = users["office@example.org"]
        staff.role = Role.STAFF.value
        org = Organisation(name=ORG_NAME, legal_form="ev", status="listed", published_fields=["districts"])
        db.session.add(org)
        db.session.add(Membership(organisation=org, user=users["rep@example.org"], role="representative",
                                  status="active"))
        seminar = services.create_event(staff, EventData(kind="seminar", title=SEMINAR_TITLE, capacity=2,
                                                         languages=["de", "pl"]))
        services.add_session(staff, seminar, SessionData(day=day, start=time(18), end=time(20),
                                                         online_url="https://meet.example.org/verein"))
        services.publish_event(staff, seminar)
        db.session.commit()
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == seminar.id))
        world = {"seminar": seminar.id, "slot": slot.id, "org": org.id, "rep": users["rep@example.org"].id}
        db.session.remove()
    return world


def assert_fits_a_phone(page) -> None:
    """No sideways scrolling at 320 px."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), page.url
    finally:
        page.set_viewport_size(size)


def screenshot(page, name: str) -> None:
    """A phone-sized picture for people to look at (kept out of git)."""
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 740})
    try:
        page.screenshot(path=f"{SCREENSHOTS}/guest-{name}.png", full_page=True)
    finally:
        page.set_viewport_size(size)


def assert_no_axe_violations(page) -> None:
    violations = run_axe(page, axe_source())
    assert not violations, describe([("guest", page.url, violations)])


def test_a_guest_registers_and_later_cancels_through_the_personal_link(page, live_server, smtp_sink,
                                                                       traffic, guest_world):
    world = guest_world
    event_url = f"{live_server.url}/events/{world['seminar']}"
    guest_path = f"/events/{world['seminar']}/slots/{world['slot']}/guest"

    # 1. A visitor opens the seminar and chooses to register without an account.
    page.goto(event_url)
    screenshot(page, "event-de")
    page.locator(f'main a[href="{guest_path}"]').click()
    expect(page).to_have_url(live_server.url + guest_path)
    assert_no_axe_violations(page)
    assert_fits_a_phone(page)
    screenshot(page, "form-de")

    # 2. Without consent nothing happens and the page says why.
    form = page.locator("main form.form")
    form.locator('input[name="name"]').fill(GUEST["name"])
    form.locator('input[name="email"]').fill(GUEST["email"])
    form.locator('input[name="phone"]').fill(GUEST["phone"])
    form.locator('select[name="organisation_id"]').select_option(str(world["org"]))
    form.locator("button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator('input[name="privacy_consent"][aria-invalid="true"]')).to_have_count(1)
    assert smtp_sink.messages == []

    # 3. With consent: registered, back on the event page with a message.
    form.locator('input[name="privacy_consent"]').check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(event_url)
    expect(page.locator(".flash.flash-success")).to_be_visible()

    # 4. The mail has the ticket and the personal link.
    mail = smtp_sink.wait_for(GUEST["email"])
    body = mail.get_body(("plain",)).get_content()
    assert SEMINAR_TITLE in body
    assert "/my/registrations" not in body
    link = smtp_sink.link(mail, "/manage/")
    assert any(part.get_content_type() == "text/calendar" for part in mail.walk())

    # 5. The link shows the ticket with its QR code, the calendar and the way to cancel.
    page.goto(link)
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main article.ticket")).to_contain_text(GUEST["name"])
    expect(page.locator("main article.ticket")).to_contain_text(ORG_NAME)
    qr = page.locator("main img.ticket-qr")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    expect(page.locator('main a[href$="/calendar.ics"]')).to_have_count(1)
    assert_no_axe_violations(page)
    assert_fits_a_phone(page)
    screenshot(page, "manage-de")

    # 6. Cancelling asks first, then frees the seat; the link stops working.
    page.locator('main a[href$="/cancel"]').click()
    expect(page).to_have_url(link + "/cancel")
    assert_no_axe_violations(page)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(event_url)
    expect(page.locator(".flash.flash-success")).to_be_visible()
    response = page.goto(link)
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("nicht")  # "nicht (mehr) gültig"

    from miado_events.extensions import db
    from miado_events.models.events import Registration, Slot

    with live_server.app.app_context():
        [registration] = db.session.scalars(db.select(Registration)).all()
        assert registration.status == "cancelled"
        assert registration.organisation_id == world["org"]
        assert db.session.get(Slot, world["slot"]).confirmed_count == 0
        db.session.remove()
    assert len([m for m in list(smtp_sink.messages) if GUEST["email"] in str(m["To"])]) == 2
    assert_pages_had_csp(traffic, live_server)


def test_an_invitation_opened_while_logged_out_survives_sign_up_and_verification(
        page, live_server, smtp_sink, traffic, guest_world):
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.orgs import Membership, Organisation
    from miado_events.orgs import membership as membership_services

    world = guest_world
    with live_server.app.app_context():
        rep = db.session.get(User, world["rep"])
        _invitation, join_url = membership_services.create_share_link(
            rep, db.session.get(Organisation, world["org"]), 7)
        db.session.commit()
        db.session.remove()

    # 1. The link opened while logged out: the page offers to sign up.
    page.goto(join_url)
    expect(page.locator("main h1")).to_contain_text(ORG_NAME)
    page.locator('main a[href="/signup"]').click()
    expect(page).to_have_url(f"{live_server.url}/signup")

    # 2. Sign up (nothing about the invitation to carry by hand).
    form = page.locator("main form.form")
    form.locator('input[name="name"]').fill(JOINER["name"])
    form.locator('input[name="email"]').fill(JOINER["email"])
    form.locator('input[name="password"]').fill(JOINER["password"])
    form.locator('input[name="privacy_consent"]').check()
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/signup/check-your-mail"))

    # 3. The verification link, opened in another browser (the phone's mail
    # app): the invitation travelled with it.
    verify = smtp_sink.link(smtp_sink.wait_for(JOINER["email"]), "/verify/")
    other = page.context.browser.new_context(locale="de-DE")
    try:
        other_page = other.new_page()
        other_page.goto(verify)
        expect(other_page).to_have_url(re.compile(re.escape(live_server.url) + r"/login"))
        # Two messages: the address is confirmed, and the person is a member now.
        expect(other_page.locator(".flash.flash-success")).to_have_count(2)
        expect(other_page.locator(".flash.flash-success").first).to_contain_text(ORG_NAME)
        other_page.locator('main input[name="email"]').fill(JOINER["email"])
        other_page.locator('main input[name="password"]').fill(JOINER["password"])
        other_page.locator("main form.form button[type=submit]").click()
        expect(other_page.locator('header form[action="/logout"]')).to_have_count(1)

        # 4. "My organisations" lists the MSO: a member, without opening the link again.
        other_page.goto(f"{live_server.url}/my/organisations")
        expect(other_page.locator("main")).to_contain_text(ORG_NAME)
    finally:
        other.close()

    with live_server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == JOINER["email"]))
        membership = db.session.scalar(db.select(Membership).where(Membership.user_id == user.id))
        assert membership is not None and membership.organisation_id == world["org"] and membership.is_active
        db.session.remove()
    assert_pages_had_csp(traffic, live_server)


def test_the_guest_pages_read_right_to_left_and_fit_a_phone(browser, live_server, smtp_sink, guest_world):
    """In Arabic: the form, the personal page and its cancel and delete pages."""
    from miado_events.events import guests
    from miado_events.extensions import db
    from miado_events.models.events import Slot

    from .conftest import new_recorded_context

    world = guest_world
    with live_server.app.test_request_context():
        guests.register_guest(db.session.get(Slot, world["slot"]), name="فاطمة الزهراء",
                              email="fatima@example.org", locale="ar", privacy_consent=True)
        db.session.commit()
        db.session.remove()
    link = smtp_sink.link(smtp_sink.wait_for("fatima@example.org"), "/manage/")
    context = new_recorded_context(browser, live_server, lang="ar")
    try:
        page = context.new_page()
        for name, url in (("form-ar", f"/events/{world['seminar']}/slots/{world['slot']}/guest"),
                          ("manage-ar", link), ("cancel-ar", link + "/cancel"), ("delete-ar", link + "/delete")):
            response = page.goto(url if url.startswith("http") else live_server.url + url)
            assert response.status == 200, url
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            assert_no_axe_violations(page)
            assert_fits_a_phone(page)
            screenshot(page, name)
        assert context.foreign_requests == []
    finally:
        context.close()
