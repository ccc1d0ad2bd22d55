"""The agenda of a networking meeting in a real browser, with CSRF on.

1. A member proposes an agenda item for their MSO on the meeting's page;
   staff accept it on the session's agenda page and publish the agenda; the
   member, who is registered for the meeting, receives the update, and the
   invite's DESCRIPTION (read with the ``icalendar`` parser) holds the agenda
   with a higher SEQUENCE.
2. The agenda pages (session page, proposal form, the staff agenda, the item
   form, an MSO's proposals) pass axe-core in German and Arabic and fit a
   320 px wide screen without sideways scrolling.
"""
from __future__ import annotations

import time
from datetime import timedelta

import icalendar
import pytest

from .conftest import demo_email, log_in_as, new_recorded_context
from .test_accessibility import axe_source, describe, run_axe, set_locale
from .test_org_registry import assert_pages_had_csp, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

ORG = "Kulturbrücke Nordstadt e.V."
MEETING = "Vernetzungstreffen April"
MEMBER = {"email": "mira.agenda@example.org", "name": "Mira Member", "password": "mira-agenda-passphrase"}
STAFF = {"email": "office.agenda@example.org", "name": "Odile Office", "password": "office-agenda-passphrase"}
PROPOSED = "Unser Sprachcafé für Eltern"


@pytest.fixture
def meeting(live_server, make_live_user) -> int:
    """A published networking meeting in ten days taking proposals for three
    more days; MEMBER (of a listed MSO) has a seat. Returns the session id."""
    from miado_events.database import utcnow
    from miado_events.events import registration as reg
    from miado_events.events import services
    from miado_events.extensions import db
    from miado_events.meetings import agenda
    from miado_events.models.accounts import Role, User
    from miado_events.models.orgs import Membership, Organisation
    from miado_events.timeutil import to_local

    for person in (MEMBER, STAFF):
        make_live_user(person["email"], person["name"], person["password"], locale="en")
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff, member = users[STAFF["email"]], users[MEMBER["email"]]
        staff.role = Role.STAFF.value
        org = Organisation(name=ORG, legal_form="ev", status="listed", published_fields=["districts"])
        db.session.add_all([org, Membership(organisation=org, user=member, role="member", status="active")])
        now = utcnow()
        event = services.create_event(staff, services.EventData(kind="networking", title=MEETING, capacity=30,
                                                                 languages=["de"]))
        day = to_local(now + timedelta(days=10)).date()
        from datetime import time as clock

        session = services.add_session(staff, event, services.SessionData(
            day=day, start=clock(18), end=clock(20), online_url="https://meet.example.org/april"))
        services.publish_event(staff, event)
        db.session.flush()
        reg.register_participant(member, member, event.slots[0], org)
        agenda.set_proposal_deadline(staff, session, now + timedelta(days=3))
        db.session.commit()
        session_id = session.id
        db.session.remove()
    return session_id


def invite_with_agenda(smtp_sink, to: str, timeout: float = 10.0):
    """The first mail to ``to`` carrying a calendar part whose DESCRIPTION names PROPOSED."""
    deadline = time.monotonic() + timeout
    while True:
        for msg in list(smtp_sink.messages):
            if to not in str(msg["To"]):
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/calendar":
                    calendar = icalendar.Calendar.from_ical(part.get_content())
                    vevent = calendar.walk("VEVENT")[0]
                    if PROPOSED in str(vevent.get("DESCRIPTION", "")):
                        return msg, calendar, vevent
        if time.monotonic() > deadline:
            got = [(str(m["To"]), str(m["Subject"])) for m in smtp_sink.messages]
            raise AssertionError(f"no invite with the agenda to {to}; received: {got}")
        time.sleep(0.05)


def test_member_proposes_staff_accept_and_publish_member_gets_the_agenda_in_the_invite(
        page, live_server, smtp_sink, traffic, meeting):
    # 1. The member proposes an item on the meeting's page.
    log_in(page, live_server, MEMBER["email"], MEMBER["password"])
    page.goto(f"{live_server.url}/sessions/{meeting}")
    page.get_by_role("link", name="Propose an item").click()
    form = page.locator("main form.form")
    form.get_by_label("Title").fill(PROPOSED)
    form.get_by_label("Kind of item").select_option("project")
    form.get_by_label("Planned duration (minutes)").fill("15")
    form.get_by_label("Who presents?").fill("Mira Member")
    form.get_by_label("Why should it be on the agenda?").fill("Wir suchen Partnervereine.")
    form.get_by_role("button", name="Send proposal").click()
    expect(page.locator(".flash, [role=status], .alert").first).to_contain_text("The office will decide")
    expect(page.locator("main")).to_contain_text(PROPOSED)  # "Your proposals"
    log_out(page, live_server)

    # 2. Staff accept it and publish the agenda.
    log_in(page, live_server, STAFF["email"], STAFF["password"])
    page.goto(f"{live_server.url}/staff/sessions/{meeting}/agenda")
    page.locator("li", has_text=PROPOSED).get_by_role("button", name="Accept").click()
    expect(page.locator("#items-heading + ol")).to_contain_text(PROPOSED)
    page.get_by_role("button", name="Publish the agenda").click()
    expect(page.locator("main")).to_contain_text("Withdraw the agenda")
    log_out(page, live_server)

    # 3. The registered member receives the update with the agenda in the invite.
    msg, calendar, vevent = invite_with_agenda(smtp_sink, MEMBER["email"])
    assert str(calendar["METHOD"]) == "REQUEST"
    assert int(vevent["SEQUENCE"]) >= 1
    description = str(vevent["DESCRIPTION"])
    assert "Agenda" in description and f"1. {PROPOSED} (Project presentation, 15 min.)" in description
    assert "Mira Member" in description and ORG in description
    assert PROPOSED in msg.get_body(("plain",)).get_content()
    # …and the proposer was told of the decision.
    decided = [m for m in smtp_sink.messages if str(m["Subject"]).startswith("Your agenda proposal")]
    assert [str(m["To"]) for m in decided] == [MEMBER["email"]]

    # 4. A visitor sees the published agenda on the event page.
    page.goto(f"{live_server.url}/sessions/{meeting}")
    expect(page.locator("main ol.agenda-list")).to_contain_text(PROPOSED)
    assert_pages_had_csp(traffic, live_server)


# --- the pages on a phone, with axe ------------------------------------------------------


@pytest.fixture(scope="module")
def agenda_ids(demo_server) -> dict:
    from sqlalchemy import select

    from miado_events.extensions import db
    from miado_events.models.meetings import AgendaItem, AgendaProposal, MeetingAgenda
    from miado_events.models.orgs import Organisation
    from miado_events.demo import DEMO_ORGS

    with demo_server.app.app_context():
        proposal = db.session.scalar(select(AgendaProposal))
        open_session = proposal.session_id
        past = next(r.session_id for r in db.session.scalars(select(MeetingAgenda)) if r.proposals_until is None)
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.session_id == open_session))
        org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGS[0][0]))
        ids = {"open": open_session, "past": past, "item": item.id, "org": org.id,
               "event": proposal.session.event_id}
        db.session.remove()
    return ids


def _pages(role: str, i: dict) -> list[str]:
    return {
        "visitor": [f"/sessions/{i['open']}", f"/sessions/{i['past']}", f"/orgs/{i['org']}",
                    f"/events/{i['event']}"],
        "member": [f"/sessions/{i['open']}", f"/sessions/{i['open']}/propose"],
        "representative": [f"/my/organisations/{i['org']}/proposals", f"/orgs/{i['org']}"],
        "staff": [f"/staff/sessions/{i['open']}/agenda", f"/staff/agenda-items/{i['item']}",
                  f"/staff/agenda-items/{i['item']}/delete", f"/staff/sessions/{i['past']}/agenda"],
    }[role]


ACCOUNTS = {"visitor": None, "member": "member", "representative": "rep1", "staff": "staff"}


@pytest.mark.parametrize("role", list(ACCOUNTS))
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_agenda_pages_pass_axe_and_fit_a_phone(browser, demo_server, agenda_ids, lang, role):
    from miado_events.extensions import limiter

    limiter.reset()
    local = ACCOUNTS[role]
    if local:
        set_locale(demo_server, local, lang)
    context = new_recorded_context(browser, demo_server, lang=lang, viewport={"width": 320, "height": 740})
    page = context.new_page()
    source = axe_source()
    found, wide = [], []
    try:
        if local:
            log_in_as(page, demo_server, demo_email(local), "demo-passwort")
        for path in _pages(role, agenda_ids):
            response = page.goto(demo_server.url + path)
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == lang
            violations = run_axe(page, source)
            if violations:
                found.append((role, page.url, violations))
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 320:
                wide.append(f"{path}: {width}px")
    finally:
        context.close()
    assert not found, describe(found)
    assert not wide, f"sideways scrolling at 320 px ({lang}): {wide}"
    assert not context.foreign_requests
