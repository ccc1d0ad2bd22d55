"""The agenda through the test client: staff build and publish a session's
agenda; the event page, the session page, the feeds and the page cache show
only a published one; members propose items, staff decide, representatives
see their MSO's proposals; bad input changes nothing."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from miado_events.database import utcnow
from miado_events.meetings import agenda
from miado_events.models.accounts import Role
from miado_events.models.meetings import AgendaItem, AgendaProposal, MeetingAgenda
from miado_events.models.orgs import Membership, Organisation

from .test_event_views import make_event, make_venue

SECRET = "Geheimer Entwurf zum Haushalt"


@pytest.fixture
def meeting(db):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    return make_event(db, "Vernetzungstreffen März", [start], kind="networking", venue=make_venue(db))


@pytest.fixture
def session(meeting):
    return meeting.sessions[0]


@pytest.fixture
def staff(make_user, login):
    return make_user(Role.STAFF)


@pytest.fixture
def org(db):
    org = Organisation(name="Kulturbrücke Dortmund e.V.", legal_form="ev", status="listed")
    db.session.add(org)
    db.session.commit()
    return org


def member_of(db, make_user, org, role="member", **kwargs):
    person = make_user(**kwargs)
    db.session.add(Membership(organisation=org, user=person, role=role, status="active"))
    db.session.commit()
    return person


def add_item(client, session, title=SECRET, **fields):
    data = {"title": title, "kind": "funding", "minutes": "20", "presenter_name": "", "presenter_org_id": "",
            "description": ""}
    data.update(fields)
    return client.post(f"/staff/sessions/{session.id}/agenda/items", data=data)


def items(db, session) -> list[str]:
    db.session.expire_all()
    return [i.title for i in agenda.items_of(session)]


def descriptions(ics: bytes) -> str:
    calendar = icalendar.Calendar.from_ical(ics)
    return "\n".join(str(v.get("DESCRIPTION", "")) for v in calendar.walk("VEVENT"))


def test_staff_build_and_publish_an_agenda_that_everyone_then_sees(app, db, client, login, staff, session):
    login(staff)
    assert add_item(client, session, "Fördermittel 2027").status_code == 302
    assert add_item(client, session, "Begrüßung", kind="other").status_code == 302
    second = db.session.scalar(select(AgendaItem).where(AgendaItem.title == "Begrüßung"))
    assert client.post(f"/staff/agenda-items/{second.id}/move", data={"direction": "up"}).status_code == 302
    assert items(db, session) == ["Begrüßung", "Fördermittel 2027"]
    page = client.get(f"/staff/sessions/{session.id}/agenda").get_data(as_text=True)
    assert "Publish the agenda" in page
    assert client.post(f"/staff/sessions/{session.id}/agenda/publish").status_code == 302
    client.post("/logout")
    html = client.get(f"/events/{session.event_id}").get_data(as_text=True)
    assert html.index("Begrüßung") < html.index("Fördermittel 2027")
    assert "Fördermittel 2027" in client.get(f"/sessions/{session.id}").get_data(as_text=True)


def test_an_unpublished_agenda_appears_nowhere_public_even_from_the_page_cache(
        app, db, client, login, staff, session, make_user):
    # The anonymous event page is stored first, then staff write an unpublished item.
    assert SECRET not in client.get(f"/events/{session.event_id}").get_data(as_text=True)
    agenda.add_item(staff, session, agenda.ItemData(title=SECRET, kind="other", minutes=5))
    db.session.commit()
    for url in (f"/events/{session.event_id}", f"/sessions/{session.id}", "/feeds/public.ics",
                f"/sessions/{session.id}/calendar.ics", f"/events/{session.event_id}/calendar.ics"):
        assert SECRET not in client.get(url).get_data(as_text=True), url
    member = make_user()
    login(member)
    assert SECRET not in client.get(f"/sessions/{session.id}").get_data(as_text=True)
    client.post("/logout")
    agenda.publish_agenda(staff, session)
    db.session.commit()
    # Published: the stored page is built anew, the feed's DESCRIPTION carries it.
    assert SECRET in client.get(f"/events/{session.event_id}").get_data(as_text=True)
    assert SECRET in descriptions(client.get("/feeds/public.ics").data)


def test_a_withdrawn_agenda_leaves_the_feed(db, client, staff, session):
    agenda.add_item(staff, session, agenda.ItemData(title=SECRET, kind="other", minutes=5))
    agenda.publish_agenda(staff, session)
    db.session.commit()
    assert SECRET in descriptions(client.get(f"/sessions/{session.id}/calendar.ics").data)
    agenda.unpublish_agenda(staff, session)
    db.session.commit()
    assert SECRET not in descriptions(client.get(f"/sessions/{session.id}/calendar.ics").data)


@pytest.mark.parametrize("fields", [{"minutes": "abc"}, {"minutes": "0"}, {"title": ""},
                                    {"kind": "party"}, {"presenter_org_id": "99999999999"}])
def test_a_bad_item_is_answered_with_the_form_and_changes_nothing(db, client, login, staff, session, fields):
    login(staff)
    response = add_item(client, session, **fields)
    assert response.status_code == 200
    assert "Please check your input" in response.get_data(as_text=True)
    assert items(db, session) == []


def test_deleting_asks_first(db, client, login, staff, session):
    login(staff)
    add_item(client, session)
    item = db.session.scalar(select(AgendaItem))
    page = client.get(f"/staff/agenda-items/{item.id}/delete")
    assert "Delete this agenda item?" in page.get_data(as_text=True)
    assert items(db, session) == [SECRET]
    assert client.post(f"/staff/agenda-items/{item.id}/delete").status_code == 302
    assert items(db, session) == []


def test_a_missing_item_is_404(client, login, staff):
    login(staff)
    assert client.get("/staff/agenda-items/424242").status_code == 404


def test_a_member_proposes_staff_accept_and_the_representative_sees_it(
        db, client, login, staff, session, org, make_user, outbox):
    agenda.set_proposal_deadline(staff, session, session.starts_at - timedelta(days=1))
    db.session.commit()
    member = member_of(db, make_user, org)
    login(member)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert f"/sessions/{session.id}/propose" in page
    response = client.post(f"/sessions/{session.id}/propose", data={
        "organisation_id": str(org.id), "title": "Unser Sommerfest", "kind": "project", "minutes": "10",
        "presenter_name": "Ayşe Demir", "why": "Wir suchen Partner."})
    assert response.status_code == 302
    proposal = db.session.scalar(select(AgendaProposal))
    assert (proposal.title, proposal.status, proposal.proposer_id) == ("Unser Sommerfest", "pending", member.id)
    client.post("/logout")

    login(staff)
    assert "Unser Sommerfest" in client.get(f"/staff/sessions/{session.id}/agenda").get_data(as_text=True)
    outbox.clear()
    assert client.post(f"/staff/agenda-proposals/{proposal.id}/accept").status_code == 302
    assert items(db, session) == ["Unser Sommerfest"]
    assert [m["To"] for m in outbox] == [member.email]
    client.post("/logout")

    rep = member_of(db, make_user, org, role="representative")
    login(rep)
    html = client.get(f"/my/organisations/{org.id}/proposals").get_data(as_text=True)
    assert "Unser Sommerfest" in html and "Put on the agenda" in html
    client.post("/logout")
    login(member)  # a member who does not represent the MSO
    assert client.get(f"/my/organisations/{org.id}/proposals").status_code == 403


def test_proposing_for_someone_elses_mso_changes_nothing(db, client, login, staff, session, org, make_user):
    agenda.set_proposal_deadline(staff, session, session.starts_at - timedelta(days=1))
    other = Organisation(name="Andere MSO", legal_form="ev", status="listed")
    db.session.add(other)
    db.session.commit()
    login(member_of(db, make_user, org))
    response = client.post(f"/sessions/{session.id}/propose", data={
        "organisation_id": str(other.id), "title": "X", "kind": "project", "minutes": "10"})
    assert response.status_code == 200  # the form again: not a choice of theirs
    assert db.session.scalar(select(func.count()).select_from(AgendaProposal)) == 0


def test_proposing_after_the_deadline_is_refused_with_a_message(db, client, login, staff, session, org, make_user):
    agenda.set_proposal_deadline(staff, session, utcnow() - timedelta(minutes=1))
    db.session.commit()
    login(member_of(db, make_user, org))
    response = client.get(f"/sessions/{session.id}/propose", follow_redirects=True)
    assert "Proposals for this agenda are closed." in response.get_data(as_text=True)


def test_declining_needs_a_reason(db, client, login, staff, session, org, make_user):
    agenda.set_proposal_deadline(staff, session, session.starts_at - timedelta(days=1))
    db.session.commit()
    from miado_events.meetings import proposals

    made = proposals.propose(member_of(db, make_user, org), session, org,
                             proposals.ProposalData(title="X", kind="other", minutes=5))
    db.session.commit()
    login(staff)
    response = client.post(f"/staff/agenda-proposals/{made.id}/decline", data={"reason": ""},
                           follow_redirects=True)
    assert "Please give a reason" in response.get_data(as_text=True)
    db.session.refresh(made)
    assert made.status == "pending"
    client.post(f"/staff/agenda-proposals/{made.id}/decline", data={"reason": "Passt nicht."})
    db.session.refresh(made)
    assert (made.status, made.decline_reason) == ("declined", "Passt nicht.")


def test_the_mso_page_links_the_items_it_presented(db, client, staff, session, org):
    agenda.add_item(staff, session, agenda.ItemData(title="Unser Projekt", kind="project", minutes=10,
                                                    presenter_org_id=org.id))
    db.session.commit()
    assert "Unser Projekt" not in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    agenda.publish_agenda(staff, session)
    db.session.commit()
    html = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "Unser Projekt" in html and f"/sessions/{session.id}" in html


def test_demo_has_an_open_agenda_and_a_past_published_one(app, db):
    app.test_cli_runner().invoke(args=["demo"])
    from miado_events.demo import PAST_MEETING_TITLE

    rows = db.session.scalars(select(MeetingAgenda)).all()
    now = utcnow()
    assert any(r.proposals_until and r.proposals_until > now for r in rows)
    assert any(r.is_published and r.session.ends_at < now and r.session.event.title == PAST_MEETING_TITLE
               for r in rows)
    assert db.session.scalar(select(func.count()).select_from(AgendaProposal)
                             .where(AgendaProposal.status == "pending")) == 1


def test_two_staff_adding_items_at_the_same_moment_both_succeed(app, db, staff, session):
    """The second waits for the first (the agenda row is locked) and appends
    after it, instead of taking the same position and failing."""
    from miado_events.models.events import EventSession

    from .test_concurrency import Request, wait_until_blocked_or_done

    session_id, staff_id = session.id, staff.id
    agenda.add_item(staff, session, agenda.ItemData(title="Erster", kind="other", minutes=5))

    def second():
        from miado_events.models.accounts import User

        agenda.add_item(db.session.get(User, staff_id), db.session.get(EventSession, session_id),
                        agenda.ItemData(title="Zweiter", kind="other", minutes=5))

    other = Request(app, db, "second-staff", second)
    other.start()
    wait_until_blocked_or_done(db, other)
    db.session.commit()
    other.join(timeout=30)
    assert other.error is None
    assert [(i.position, i.title) for i in agenda.items_of(db.session.get(EventSession, session_id), fresh=True)] \
        == [(1, "Erster"), (2, "Zweiter")]


HOSTILE = ["99999999999999999999", "-1", "0", "abc", "a\x00b", "x" * 100_000]


def test_hostile_values_in_the_agenda_forms_never_give_a_server_error(
        db, client, login, staff, session, org, make_user):
    agenda.set_proposal_deadline(staff, session, session.starts_at - timedelta(days=1))
    first = agenda.add_item(staff, session, agenda.ItemData(title="A", kind="other", minutes=5))
    agenda.add_item(staff, session, agenda.ItemData(title="B", kind="other", minutes=5))
    from miado_events.meetings import proposals

    member = member_of(db, make_user, org)
    made = proposals.propose(member, session, org, proposals.ProposalData(title="X", kind="other", minutes=5))
    db.session.commit()
    proposal_form = {"organisation_id": str(org.id), "title": "T", "kind": "project", "minutes": "10",
                     "presenter_name": "", "why": ""}
    posts = [
        (member, f"/sessions/{session.id}/propose", proposal_form),
        (staff, f"/staff/agenda-items/{first.id}/move", {"direction": "up"}),
        (staff, f"/staff/agenda-proposals/{made.id}/merge", {"item_id": str(first.id)}),
        (staff, f"/staff/agenda-proposals/{made.id}/decline", {"reason": "r"}),
        (staff, f"/staff/agenda-items/{first.id}", {"title": "A", "kind": "other", "minutes": "5",
                                                    "presenter_org_id": ""}),
        (staff, f"/staff/sessions/{session.id}/agenda/deadline", {"proposals_until": "2030-01-01T18:00"}),
    ]
    failures = []
    for user, url, form in posts:
        login(user)
        for name in form:
            for value in HOSTILE:
                response = client.post(url, data={**form, name: value})
                if response.status_code >= 500:
                    failures.append(f"{url} {name}={value[:20]!r}: {response.status_code}")
        client.post("/logout")
    assert not failures, failures
