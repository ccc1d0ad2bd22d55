"""The agenda of a session and the MSOs' agenda proposals, called on the
services directly with frozen time (one behaviour per test)."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from miado_events.errors import DomainError, PermissionDenied
from miado_events.meetings import agenda, proposals
from miado_events.meetings.agenda import ItemData
from miado_events.meetings.proposals import ProposalData
from miado_events.models.meetings import AgendaProposal

from .events_support import NOW, SESSION_START, assert_code, body, register, slot_of


def item(title="Masterplan Integration: Stand 2027", kind="masterplan", minutes=20, **fields) -> ItemData:
    return ItemData(title=title, kind=kind, minutes=minutes, **fields)


def proposal(title="Unser Sommerfest im Nordmarkt", kind="project", minutes=10, **fields) -> ProposalData:
    return ProposalData(title=title, kind=kind, minutes=minutes, **fields)


@pytest.fixture
def meeting(make_event):
    return make_event(kind="networking", capacity=10)


@pytest.fixture
def session(meeting):
    return meeting.sessions[0]


def titles(items) -> list[str]:
    return [i.title for i in items]


def add(db, staff, session, *names):
    items = [agenda.add_item(staff, session, item(title=name), now=NOW) for name in names]
    db.session.commit()
    return items


def calendar_part(msg) -> icalendar.Calendar:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_content())


# --- order ------------------------------------------------------------------------------------

def test_items_are_appended_in_order(db, staff, session):
    add(db, staff, session, "Begrüßung", "Fördermittel 2027", "Aktuelles")
    assert titles(agenda.items_of(session)) == ["Begrüßung", "Fördermittel 2027", "Aktuelles"]
    assert [i.position for i in agenda.items_of(session)] == [1, 2, 3]


def test_moving_an_item_down_swaps_it_with_the_next(db, staff, session):
    first, _, _ = add(db, staff, session, "A", "B", "C")
    assert agenda.move_item(staff, first, "down", now=NOW)
    db.session.commit()
    assert titles(agenda.items_of(session)) == ["B", "A", "C"]


def test_moving_the_first_item_up_changes_nothing(db, staff, session):
    first, _ = add(db, staff, session, "A", "B")
    assert not agenda.move_item(staff, first, "up", now=NOW)
    assert titles(agenda.items_of(session)) == ["A", "B"]


def test_deleting_an_item_closes_the_gap(db, staff, session):
    _, second, _ = add(db, staff, session, "A", "B", "C")
    agenda.delete_item(staff, second, now=NOW)
    db.session.commit()
    assert [(i.position, i.title) for i in agenda.items_of(session)] == [(1, "A"), (2, "C")]


@pytest.mark.parametrize("overrides", [
    {"title": "  "}, {"kind": "party"}, {"minutes": 0}, {"minutes": 100000}, {"languages": ["xx"]},
])
def test_invalid_item_is_refused(db, staff, session, overrides):
    values = dict(title="Projekt", kind="project", minutes=15)
    values.update(overrides)
    with pytest.raises(DomainError) as excinfo:
        agenda.add_item(staff, session, ItemData(**values), now=NOW)
    assert_code(excinfo, "agenda_invalid")


def test_member_cannot_edit_an_agenda(make_user, session):
    with pytest.raises(PermissionDenied):
        agenda.add_item(make_user(), session, item(), now=NOW)


# --- visibility -------------------------------------------------------------------------------

def test_an_unpublished_agenda_is_seen_by_staff_only(db, staff, make_user, session):
    add(db, staff, session, "Geheimer Entwurf")
    assert titles(agenda.visible_items(staff, session)) == ["Geheimer Entwurf"]
    assert agenda.visible_items(make_user(), session) == []
    assert agenda.published_agendas([session]) == {}
    assert agenda.agenda_text(session, "de") == ""


def test_a_published_agenda_is_seen_by_everyone(db, staff, make_user, session):
    add(db, staff, session, "Fördermittel 2027")
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert titles(agenda.visible_items(make_user(), session)) == ["Fördermittel 2027"]


def test_agenda_text_lists_the_items_in_the_readers_language(db, staff, session, org):
    agenda.add_item(staff, session, item(title="Stand der Dinge"), now=NOW)
    agenda.add_item(staff, session, item(title="Offene Runde", kind="other", minutes=15,
                                         presenter_name="Ayşe Demir", presenter_org_id=org.id), now=NOW)
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert agenda.agenda_text(session, "en").splitlines() == [
        "Agenda", "1. Stand der Dinge (Masterplan Integration, 20 min.)",
        "2. Offene Runde (Other, 15 min.) – Ayşe Demir – Kulturbrücke Dortmund e.V."]
    assert "(Sonstiges," in agenda.agenda_text(session, "de")


def test_publishing_an_empty_agenda_is_refused(staff, session):
    with pytest.raises(DomainError) as excinfo:
        agenda.publish_agenda(staff, session, now=NOW)
    assert_code(excinfo, "agenda_empty")


def test_withdrawn_agenda_disappears(db, staff, make_user, session):
    add(db, staff, session, "A")
    agenda.publish_agenda(staff, session, now=NOW)
    agenda.unpublish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert agenda.visible_items(make_user(), session) == []


def test_items_presented_by_an_mso_are_only_published_ones(db, staff, session, org, make_event):
    agenda.add_item(staff, session, item(title="Unser Projekt", presenter_org_id=org.id), now=NOW)
    db.session.commit()
    assert agenda.items_presented_by(org) == []
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert titles(agenda.items_presented_by(org)) == ["Unser Projekt"]


# --- the update to registered people -----------------------------------------------------------

def test_publishing_raises_the_sequence(db, staff, session):
    add(db, staff, session, "A")
    before = session.sequence
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert session.sequence == before + 1


def test_editing_an_unpublished_agenda_keeps_the_sequence_and_sends_nothing(
        db, staff, make_user, session, outbox):
    register(db, make_user(), slot_of(session.event))
    outbox.clear()
    before = session.sequence
    add(db, staff, session, "A", "B")
    assert session.sequence == before
    assert outbox == []


def test_publishing_sends_each_registered_person_one_update_with_the_agenda(
        db, staff, make_user, session, outbox):
    people = [make_user(locale="de"), make_user(locale="en")]
    for person in people:
        register(db, person, slot_of(session.event))
    add(db, staff, session, "Fördermittel 2027", "Aktuelles")
    outbox.clear()
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert sorted(m["To"] for m in outbox) == sorted(p.email for p in people)
    german = next(m for m in outbox if m["To"] == people[0].email)
    assert "Fördermittel 2027" in body(german)
    vevent = calendar_part(german).walk("VEVENT")[0]
    assert int(vevent["SEQUENCE"]) == session.sequence
    description = str(vevent["DESCRIPTION"])
    assert "1. Fördermittel 2027" in description and "2. Aktuelles" in description
    english = next(m for m in outbox if m["To"] == people[1].email)
    assert "Agenda\n1. Fördermittel 2027" in str(calendar_part(english).walk("VEVENT")[0]["DESCRIPTION"])


def test_changing_a_published_agenda_sends_an_update_with_a_higher_sequence(
        db, staff, make_user, session, outbox):
    person = make_user()
    register(db, person, slot_of(session.event))
    first, = add(db, staff, session, "Alt")
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    sequence = session.sequence
    outbox.clear()
    agenda.update_item(staff, first, item(title="Neu"), now=NOW)
    db.session.commit()
    assert session.sequence == sequence + 1
    assert [m["To"] for m in outbox] == [person.email]
    assert "Neu" in str(calendar_part(outbox[0]).walk("VEVENT")[0]["DESCRIPTION"])


def test_a_draft_events_agenda_mails_nobody(db, staff, make_user, make_event, outbox):
    draft = make_event(kind="networking", publish=False)
    session = draft.sessions[0]
    add(db, staff, session, "A")
    outbox.clear()
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()
    assert outbox == []


# --- proposals --------------------------------------------------------------------------------

@pytest.fixture
def open_session(db, staff, session):
    agenda.set_proposal_deadline(staff, session, NOW + timedelta(days=3), now=NOW)
    db.session.commit()
    return session


def test_a_member_proposes_an_item_for_their_mso_and_the_office_is_told(
        app, db, make_member, org, open_session, outbox):
    member = make_member(org)
    outbox.clear()
    made = proposals.propose(member, open_session, org, proposal(), now=NOW)
    db.session.commit()
    assert made.is_pending and made.organisation_id == org.id
    assert proposals.proposals_of(open_session) == [made]
    assert [m["To"] for m in outbox] == [app.config["STAFF_NOTIFY_EMAIL"]]
    assert f"/staff/sessions/{open_session.id}/agenda" in body(outbox[0])


def test_no_proposals_without_a_deadline(make_member, org, session):
    with pytest.raises(DomainError) as excinfo:
        proposals.propose(make_member(org), session, org, proposal(), now=NOW)
    assert_code(excinfo, "proposals_closed")


def test_no_proposals_after_the_deadline(make_member, org, open_session):
    with pytest.raises(DomainError) as excinfo:
        proposals.propose(make_member(org), open_session, org, proposal(), now=NOW + timedelta(days=3))
    assert_code(excinfo, "proposals_closed")


def test_the_deadline_cannot_be_after_the_start(staff, session):
    with pytest.raises(DomainError) as excinfo:
        agenda.set_proposal_deadline(staff, session, SESSION_START + timedelta(minutes=1), now=NOW)
    assert_code(excinfo, "agenda_invalid")


def test_nobody_proposes_for_an_mso_they_do_not_belong_to(make_member, org, other_org, open_session):
    with pytest.raises(PermissionDenied):
        proposals.propose(make_member(other_org), open_session, org, proposal(), now=NOW)


def test_a_membership_request_is_not_enough(make_member, org, join, make_user, open_session):
    person = make_user()
    join(person, org, status="requested")
    with pytest.raises(PermissionDenied):
        proposals.propose(person, open_session, org, proposal(), now=NOW)


def _pending(db, make_member, org, session, **fields) -> AgendaProposal:
    made = proposals.propose(make_member(org, locale="de"), session, org, proposal(**fields), now=NOW)
    db.session.commit()
    return made


def test_accepting_appends_the_item_and_tells_the_proposer(db, staff, make_member, org, open_session, outbox):
    add(db, staff, open_session, "Begrüßung")
    pending = _pending(db, make_member, org, open_session, presenter_name="Ayşe Demir")
    outbox.clear()
    new = proposals.accept(staff, pending, now=NOW)
    db.session.commit()
    assert titles(agenda.items_of(open_session)) == ["Begrüßung", "Unser Sommerfest im Nordmarkt"]
    assert (new.presenter_org_id, new.presenter_name, new.kind) == (org.id, "Ayşe Demir", "project")
    assert pending.status == "accepted" and pending.item_id == new.id
    assert [m["To"] for m in outbox] == [pending.proposer.email]
    assert "Unser Sommerfest im Nordmarkt" in body(outbox[0])
    assert outbox[0]["Content-Language"] == "de"  # the proposer's language


def test_declining_needs_a_reason_that_the_proposer_receives(db, staff, make_member, org, open_session, outbox):
    pending = _pending(db, make_member, org, open_session)
    with pytest.raises(DomainError) as excinfo:
        proposals.decline(staff, pending, "  ", now=NOW)
    assert_code(excinfo, "reason_required")
    outbox.clear()
    proposals.decline(staff, pending, "Das Thema kommt im Juni dran.", now=NOW)
    db.session.commit()
    assert pending.status == "declined"
    assert "Das Thema kommt im Juni dran." in body(outbox[0])
    assert agenda.items_of(open_session) == []


def test_merging_links_the_proposal_to_an_item_of_the_same_agenda(
        db, staff, make_member, org, open_session, make_event, outbox):
    existing, = add(db, staff, open_session, "Sommerfeste der Vereine")
    elsewhere = make_event(kind="networking").sessions[0]
    foreign, = add(db, staff, elsewhere, "Anderes Treffen")
    pending = _pending(db, make_member, org, open_session)
    with pytest.raises(DomainError) as excinfo:
        proposals.merge(staff, pending, foreign, now=NOW)
    assert_code(excinfo, "merge_invalid")
    outbox.clear()
    proposals.merge(staff, pending, existing, now=NOW)
    db.session.commit()
    assert (pending.status, pending.item_id) == ("merged", existing.id)
    assert "Sommerfeste der Vereine" in body(outbox[0])
    assert titles(agenda.items_of(open_session)) == ["Sommerfeste der Vereine"]


def test_a_decided_proposal_cannot_be_decided_again(db, staff, make_member, org, open_session):
    pending = _pending(db, make_member, org, open_session)
    proposals.accept(staff, pending, now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as excinfo:
        proposals.decline(staff, pending, "doch nicht", now=NOW)
    assert_code(excinfo, "proposal_decided")


def test_a_member_cannot_decide_proposals(db, make_member, org, open_session):
    pending = _pending(db, make_member, org, open_session)
    with pytest.raises(PermissionDenied):
        proposals.accept(make_member(org), pending, now=NOW)


def test_representatives_see_their_msos_proposals(db, make_member, org, other_org, open_session):
    pending = _pending(db, make_member, org, open_session)
    rep = make_member(org, role="representative")
    assert proposals.can_view_org_proposals(rep, org)
    assert not proposals.can_view_org_proposals(rep, other_org)
    assert not proposals.can_view_org_proposals(make_member(org), org)
    assert proposals.proposals_of_organisation(org) == [pending]


# --- privacy ----------------------------------------------------------------------------------

def test_a_deleted_accounts_proposals_stay_without_the_person(db, make_member, org, open_session):
    from miado_events.privacy import services as privacy

    member = make_member(org, name="Ayşe Demir")
    made = proposals.propose(member, open_session, org, proposal(
        presenter_name="Ayşe Demir", why="Ayşe Demir stellt das Projekt vor."), now=NOW)
    db.session.commit()
    privacy.delete_account(member, now=NOW)
    db.session.commit()
    db.session.refresh(made)
    assert made.proposer_id is None and made.title == "Unser Sommerfest im Nordmarkt"
    assert "Ayşe" not in (made.presenter_name or "") and "Demir" not in (made.why or "")


def test_the_data_export_lists_ones_agenda_proposals(db, make_member, org, open_session):
    from miado_events.privacy import services as privacy

    member = make_member(org)
    proposals.propose(member, open_session, org, proposal(why="Weil es wichtig ist."), now=NOW)
    db.session.commit()
    exported = privacy.export_data(member, now=NOW)["agenda_proposals"]
    assert [(p["title"], p["why"], p["status"]) for p in exported] == [
        ("Unser Sommerfest im Nordmarkt", "Weil es wichtig ist.", "pending")]
