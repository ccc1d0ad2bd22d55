"""The audit log: every action type in ``audit.ACTIONS`` is recorded by the
real service (or, for exports, the real view) that performs it — exactly one
entry, with the actor's id and name and the object acted on — in the same
transaction as the change, and it stays readable when the account is gone.
The system's own entries (an account deleted by its owner, the privacy
purge) have no actor ("system") and no object: they say what happened, not
to whom.

Each case below sets up what its action needs (which may itself write
entries of other types), then acts; the test compares the entries before
and after the act.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Callable

import pytest
from sqlalchemy import func, select, update

from miado_events import audit
from miado_events.accounts import services as accounts
from miado_events.checkin import certificates
from miado_events.checkin import ledger
from miado_events.checkin import services as checkin
from miado_events.checkin.walkins import walk_in
from miado_events.events import broadcast, seats
from miado_events.events import registration as reg
from miado_events.events import services as events
from miado_events.events.services import EventData, RecurrenceData, SessionData, VenueData
from miado_events.models.accounts import Role, User
from miado_events.models.audit import AuditEntry
from miado_events.models.events import Event, Registration
from miado_events.models.mail import Mailing
from miado_events.models.voting import Topic, TopicComment
from miado_events.orgs import services as orgs
from miado_events.orgs.services import OrgProfile
from miado_events.privacy import services as privacy
from miado_events.voting import services as voting
from miado_events.voting.services import RoundData, TopicData

from .events_support import NOW, ONLINE, SESSION_DAY, SESSION_START, register, slot_of

AFTER_SERIES = SESSION_START + timedelta(weeks=4)


@dataclass
class Ctx:
    db: object
    staff: User
    admin: User
    make_user: Callable
    make_org: Callable
    make_member: Callable
    make_event: Callable
    client: object
    login: Callable


@pytest.fixture(autouse=True)
def no_merged_topics_left(db):
    """A merged topic points at the one it was merged into (ON DELETE SET NULL)
    while a CHECK wants that link, so the next test's ``DELETE FROM topics``
    would fail: un-merge them after each test."""
    yield
    db.session.rollback()
    db.session.execute(update(Topic).where(Topic.status == "merged")
                       .values(status="rejected", merged_into_id=None))
    db.session.commit()


@pytest.fixture
def ctx(db, staff, make_user, make_org, make_member, make_event, client, login) -> Ctx:
    return Ctx(db, staff, make_user(Role.ADMIN, name="Ada Admin"), make_user, make_org, make_member,
               make_event, client, login)


#: case id → set-up function(ctx) → (actor, act); ``act()`` performs the
#: action and returns the object the entry must name (None for none). The
#: actor is None for what the system records without a person (see above).
CASES: dict[str, Callable] = {}


def case(case_id: str):
    def register_case(func):
        CASES[case_id] = func
        return func
    return register_case


# --- MSOs -------------------------------------------------------------------------------------

@case("org.decision")
def _org_decision(c: Ctx):
    org = c.make_org("Neu e.V.", status="pending")
    return c.staff, lambda: (orgs.decide_application(c.staff, org, "approve", now=NOW), org)[1]


@case("org.active")
def _org_active(c: Ctx):
    org = c.make_org()
    return c.staff, lambda: (orgs.set_active(c.staff, org, False, "Verein aufgelöst", now=NOW), org)[1]


@case("org.name_decision")
def _org_name_decision(c: Ctx):
    org = c.make_org("Alt e.V.")
    org.requested_name = "Neu e.V."
    c.db.session.commit()
    return c.staff, lambda: (orgs.decide_name_change(c.staff, org, True, now=NOW), org)[1]


@case("org.profile")
def _org_profile(c: Ctx):
    org = c.make_org()
    profile = OrgProfile.of(org)
    profile.description = "Kulturarbeit in der Nordstadt"
    return c.staff, lambda: (orgs.update_profile(c.staff, org, profile, now=NOW), org)[1]


# --- events, sessions, venues ------------------------------------------------------------------

def event_data(**changes) -> EventData:
    fields = {"kind": "seminar", "title": "Vereinsrecht", "capacity": 10}
    fields.update(changes)
    return EventData(**fields)


@case("event.create")
def _event_create(c: Ctx):
    return c.staff, lambda: events.create_event(c.staff, event_data(), now=NOW)


@case("event.update")
def _event_update(c: Ctx):
    event = c.make_event()
    return c.staff, lambda: (events.update_event(c.staff, event, event_data(capacity=2, title="Neu"), now=NOW),
                             event)[1]


@case("event.publish")
def _event_publish(c: Ctx):
    event = c.make_event(publish=False)
    return c.staff, lambda: (events.publish_event(c.staff, event, now=NOW), event)[1]


@case("event.cancel")
def _event_cancel(c: Ctx):
    event = c.make_event()
    register(c.db, c.make_user(), slot_of(event))
    return c.staff, lambda: (events.cancel_event(c.staff, event, now=NOW), event)[1]


@case("event.questions")
def _event_questions(c: Ctx):
    from miado_events.events import question_editor

    event = c.make_event()
    data = question_editor.QuestionData(kind="yes_no", text={"de": "Brauchen Sie Kinderbetreuung?"})
    return c.staff, lambda: (question_editor.add_question(c.staff, event, data), event)[1]


@case("session.add")
def _session_add(c: Ctx):
    event = c.make_event()
    return c.staff, lambda: events.add_session(c.staff, event, SessionData(
        day=SESSION_DAY + timedelta(days=1), start=time(10), end=time(12), online_url=ONLINE))


@case("session.add:recurring")
def _session_add_recurring(c: Ctx):
    """Several sessions from one rule: one entry, for the event."""
    event = c.make_event(kind="networking", publish=False, sessions=0)
    return c.staff, lambda: (events.create_recurring_sessions(c.staff, event, RecurrenceData(
        frequency="weekly", first_day=SESSION_DAY, start=time(18), end=time(20), weekday=2, count=4,
        online_url=ONLINE)), event)[1]


@case("session.update")
def _session_update(c: Ctx):
    event = c.make_event()
    session = event.sessions[0]
    return c.staff, lambda: (events.update_session(c.staff, session, SessionData(
        day=SESSION_DAY, start=time(19), end=time(21), online_url=ONLINE)), session)[1]


@case("session.cancel")
def _session_cancel(c: Ctx):
    session = c.make_event(sessions=2).sessions[1]
    return c.staff, lambda: (events.cancel_session(c.staff, session, now=NOW), session)[1]


@case("venue.save")
def _venue_save(c: Ctx):
    return c.staff, lambda: events.save_venue(c.staff, VenueData(
        name="Dietrich-Keuning-Haus", address="Leopoldstraße 50-58, 44147 Dortmund", district="Innenstadt-Nord"))


# --- registrations and check-in -----------------------------------------------------------------

@case("registration.add")
def _registration_add(c: Ctx):
    org = c.make_org()
    member = c.make_member(org)
    slot = slot_of(c.make_event())
    return c.staff, lambda: reg.register_participant(c.staff, member, slot, org, now=NOW).registration


@case("registration.add_by_representative")
def _registration_add_by_representative(c: Ctx):
    from miado_events.events import on_behalf

    org = c.make_org()
    rep = c.make_member(org, role="representative")
    slot = slot_of(c.make_event())
    return rep, lambda: on_behalf.register_on_behalf(
        rep, slot, on_behalf.PersonEntry(name="Nachbarin ohne Konto"), org, now=NOW).registration


@case("registration.cancel")
def _registration_cancel(c: Ctx):
    registration = register(c.db, c.make_user(), slot_of(c.make_event())).registration
    return c.staff, lambda: (reg.cancel_registration(c.staff, registration, now=NOW), registration)[1]


@case("registration.promote")
def _registration_promote(c: Ctx):
    slot = slot_of(c.make_event(capacity=1))
    register(c.db, c.make_user(), slot)
    waiting = register(c.db, c.make_user(), slot).registration
    assert waiting.status == "waitlisted"
    assert seats.set_capacity(slot, 2)        # a seat appears without filling the list
    c.db.session.commit()
    return c.staff, lambda: (reg.promote_by_hand(c.staff, waiting, now=NOW), waiting)[1]


@case("registration.new_link")
def _registration_new_link(c: Ctx):
    from miado_events.events import guests

    registration = guests.register_guest(slot_of(c.make_event()), name="Gast ohne Konto", email="gast@example.org",
                                         locale="de", privacy_consent=True, now=NOW).registration
    return c.staff, lambda: (guests.send_new_link(c.staff, registration, now=NOW), registration)[1]


@case("checkin.override")
def _checkin_override(c: Ctx):
    event = c.make_event()
    registration = register(c.db, c.make_user(), slot_of(event)).registration

    def act():
        result = checkin.check_in(c.staff, event.sessions[0], registration, method="manual",
                                  now=SESSION_START - timedelta(hours=5), override=True)
        assert result.ok, result.message
        return result.attendance
    return c.staff, act


@case("checkin.walk_in")
def _checkin_walk_in(c: Ctx):
    session = c.make_event().sessions[0]

    def act():
        result = walk_in(c.staff, session, name="Mehmet Kaya", email="mehmet@example.org",
                         now=SESSION_START + timedelta(minutes=10))
        assert result.ok, result.message
        return result.registration
    return c.staff, act


def _held(c: Ctx):
    """An offline check-in that reaches the server five weeks late (writes checkin.held)."""
    event = c.make_event()
    registration = register(c.db, c.make_user(), slot_of(event)).registration
    result = checkin.check_in(c.staff, event.sessions[0], registration, method="sync", at=SESSION_START,
                              now=SESSION_START + timedelta(weeks=5))
    assert result.outcome == "held_for_review", result.message
    return event, result


@case("checkin.held")
def _checkin_held(c: Ctx):
    return c.staff, lambda: _held(c)[1].registration


@case("checkin.review")
def _checkin_review(c: Ctx):
    event, _result = _held(c)
    [scan] = ledger.pending_reviews(event)

    def act():
        ledger.review_held_scan(c.staff, scan, accept=False, now=SESSION_START + timedelta(weeks=5))
        return scan.registration
    return c.staff, act


@case("door.assign")
def _door_assign(c: Ctx):
    event, door = c.make_event(), c.make_user(Role.DOOR)
    return c.staff, lambda: (checkin.assign_door_staff(c.staff, event, door), event)[1]


@case("door.unassign")
def _door_unassign(c: Ctx):
    event, door = c.make_event(), c.make_user(Role.DOOR)
    checkin.assign_door_staff(c.staff, event, door)
    return c.staff, lambda: (checkin.unassign_door_staff(c.staff, event, door), event)[1]


def _series_with_participant(c: Ctx):
    series = c.make_event(kind="series", sessions=2, certificate_threshold=50)
    person = c.make_user(name="Leyla Demir")
    register(c.db, person, slot_of(series))
    return series, person


@case("certificate.issue")
def _certificate_issue(c: Ctx):
    series, person = _series_with_participant(c)
    return c.staff, lambda: certificates.issue_by_hand(c.staff, series, person, now=AFTER_SERIES)


@case("certificate.revoke")
def _certificate_revoke(c: Ctx):
    series, person = _series_with_participant(c)
    certificate = certificates.issue_by_hand(c.staff, series, person, now=AFTER_SERIES)
    return c.staff, lambda: (certificates.revoke(c.staff, certificate, "Falsche Person", now=AFTER_SERIES),
                             certificate)[1]


# --- accounts -------------------------------------------------------------------------------------

@case("user.invite")
def _user_invite(c: Ctx):
    return c.admin, lambda: accounts.invite_staff(c.admin, email="neu@example.org", name="Neue Kollegin",
                                                  role="door", now=NOW)


@case("user.role")
def _user_role(c: Ctx):
    target = c.make_user()
    return c.admin, lambda: (accounts.change_role(c.admin, target, "staff"), target)[1]


@case("user.role:invite_existing")
def _user_role_by_invitation(c: Ctx):
    """Inviting an address that has an account changes its role."""
    c.make_user(email="schon-da@example.org")
    return c.admin, lambda: accounts.invite_staff(c.admin, email="Schon-Da@example.org", name="x",
                                                  role="staff", now=NOW)


# --- topic rounds ----------------------------------------------------------------------------------

def round_data(**changes) -> RoundData:
    fields = dict(title="Themenrunde 2027", proposals_open_at=NOW - timedelta(days=1),
                  moderation_at=NOW + timedelta(days=7), voting_opens_at=NOW + timedelta(days=14),
                  voting_closes_at=NOW + timedelta(days=21))
    fields.update(changes)
    return RoundData(**fields)


def make_round(c: Ctx, phase: str | None = None):
    round_ = voting.create_round(c.staff, round_data(), now=NOW)
    if phase:
        voting.set_phase(c.staff, round_, phase, now=NOW)
    c.db.session.commit()
    return round_


def add_topic(c: Ctx, round_, title: str = "Vereinsfinanzen", status: str = "pending") -> Topic:
    topic = Topic(round_id=round_.id, title=title, description="Förderanträge", format="evening",
                  status=status, languages=[])
    c.db.session.add(topic)
    c.db.session.commit()
    return topic


@case("round.create")
def _round_create(c: Ctx):
    return c.staff, lambda: voting.create_round(c.staff, round_data(), now=NOW)


@case("round.update")
def _round_update(c: Ctx):
    round_ = make_round(c)
    return c.staff, lambda: (voting.update_round(c.staff, round_, round_data(title="Neuer Titel")), round_)[1]


@case("round.phase")
def _round_phase(c: Ctx):
    round_ = make_round(c)
    return c.staff, lambda: (voting.set_phase(c.staff, round_, "proposals", now=NOW), round_)[1]


@case("topic.moderate:approve")
def _topic_approve(c: Ctx):
    topic = add_topic(c, make_round(c, "moderation"))
    return c.staff, lambda: (voting.approve(c.staff, topic), topic)[1]


@case("topic.moderate:edit")
def _topic_edit(c: Ctx):
    topic = add_topic(c, make_round(c, "moderation"))
    data = TopicData(title="Vereinsfinanzen und Förderung", description="Förderanträge stellen")
    return c.staff, lambda: (voting.edit(c.staff, topic, data, "Titel ergänzt"), topic)[1]


@case("topic.moderate:reject")
def _topic_reject(c: Ctx):
    topic = add_topic(c, make_round(c, "moderation"))
    return c.staff, lambda: (voting.reject(c.staff, topic, "Kein Seminarthema"), topic)[1]


@case("topic.moderate:merge")
def _topic_merge(c: Ctx):
    round_ = make_round(c, "moderation")
    kept, duplicate = add_topic(c, round_, "Finanzen"), add_topic(c, round_, "Geld für Vereine")
    return c.staff, lambda: (voting.merge(c.staff, duplicate, kept), duplicate)[1]


@case("topic.series")
def _topic_series(c: Ctx):
    topic = add_topic(c, make_round(c, "closed"), status="approved")
    return c.staff, lambda: (voting.create_series(c.staff, topic, now=NOW), topic)[1]


@case("comment.hide")
def _comment_hide(c: Ctx):
    topic = add_topic(c, make_round(c, "proposals"))
    item = TopicComment(topic_id=topic.id, user_id=c.make_user().id, body="Unfreundlicher Kommentar")
    c.db.session.add(item)
    c.db.session.commit()
    return c.staff, lambda: (voting.hide_comment(c.staff, item, now=NOW), item)[1]


# --- agenda (H5) -------------------------------------------------------------------------------

def _agenda_session(c: Ctx, *items: str):
    from miado_events.meetings import agenda

    session = c.make_event(kind="networking").sessions[0]
    made = [agenda.add_item(c.staff, session, agenda.ItemData(title=t, kind="other", minutes=10), now=NOW)
            for t in items]
    c.db.session.commit()
    return session, made


def _agenda_proposal(c: Ctx):
    from miado_events.meetings import agenda, proposals

    session, made = _agenda_session(c, "Aktuelles")
    agenda.set_proposal_deadline(c.staff, session, NOW + timedelta(days=2), now=NOW)
    org = c.make_org("Agenda-Verein e.V.")
    proposal = proposals.propose(c.make_member(org), session, org, proposals.ProposalData(
        title="Unser Projekt", kind="project", minutes=10), now=NOW)
    c.db.session.commit()
    return proposal, made[0]


@case("agenda.change:add")
def _agenda_add(c: Ctx):
    from miado_events.meetings import agenda

    session, _ = _agenda_session(c)
    return c.staff, lambda: agenda.add_item(c.staff, session, agenda.ItemData(
        title="Fördermittel", kind="funding", minutes=15), now=NOW)


@case("agenda.change:move")
def _agenda_move(c: Ctx):
    from miado_events.meetings import agenda

    _, (first, _second) = _agenda_session(c, "A", "B")
    return c.staff, lambda: (agenda.move_item(c.staff, first, "down", now=NOW), first)[1]


@case("agenda.publish")
def _agenda_publish(c: Ctx):
    from miado_events.meetings import agenda

    session, _ = _agenda_session(c, "A")
    return c.staff, lambda: (agenda.publish_agenda(c.staff, session, now=NOW), session)[1]


@case("agenda.deadline")
def _agenda_deadline(c: Ctx):
    from miado_events.meetings import agenda

    session, _ = _agenda_session(c)
    return c.staff, lambda: (agenda.set_proposal_deadline(c.staff, session, NOW + timedelta(days=2),
                                                          now=NOW), session)[1]


@case("agenda.proposal:accept")
def _agenda_accept(c: Ctx):
    from miado_events.meetings import proposals

    proposal, _ = _agenda_proposal(c)
    return c.staff, lambda: (proposals.accept(c.staff, proposal, now=NOW), proposal)[1]


@case("agenda.proposal:decline")
def _agenda_decline(c: Ctx):
    from miado_events.meetings import proposals

    proposal, _ = _agenda_proposal(c)
    return c.staff, lambda: (proposals.decline(c.staff, proposal, "Schon im Juni", now=NOW), proposal)[1]


@case("agenda.proposal:merge")
def _agenda_merge(c: Ctx):
    from miado_events.meetings import proposals

    proposal, item = _agenda_proposal(c)
    return c.staff, lambda: (proposals.merge(c.staff, proposal, item, now=NOW), proposal)[1]


# --- mailings and exports ------------------------------------------------------------------------

@case("mailing.send")
def _mailing_send(c: Ctx):
    event = c.make_event()
    register(c.db, c.make_user(), slot_of(event))

    def act():
        assert broadcast.broadcast(c.staff, event, subject="Raumänderung", body="Wir treffen uns in Raum 2.",
                                   audience=["confirmed"]) == 1
        return c.db.session.scalar(select(Mailing))
    return c.staff, act


@case("office_news.stop")
def _office_news_stop(c: Ctx):
    from miado_events.outreach import services as outreach

    person = c.make_user(email="asked-by-mail@example.org")
    return c.staff, lambda: outreach.stop_news_for_address(c.staff, person.email)


@case("export")
def _export(c: Ctx):
    event = c.make_event()
    c.login(c.staff)

    def act():
        assert c.client.get(f"/staff/events/{event.id}/participants.csv").status_code == 200
        return event
    return c.staff, act


# --- privacy (no actor, no object) -----------------------------------------------------------------

@case("account.delete")
def _account_delete(c: Ctx):
    person = c.make_user(name="Zofia Quendelwirth")
    register(c.db, person, slot_of(c.make_event()))
    return None, lambda: (privacy.delete_account(person, now=NOW), None)[1]


@case("privacy.purge")
def _privacy_purge(c: Ctx):
    """A registration of an event that ended two months ago is anonymised."""
    register(c.db, c.make_user(), slot_of(c.make_event()))
    return None, lambda: (privacy.purge(months=1, now=SESSION_START + timedelta(days=60)), None)[1]


# --- the tests -------------------------------------------------------------------------------------

# --- minutes and materials (H6) ----------------------------------------------------------------

MATERIAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _material(c: Ctx):
    import io

    from miado_events.meetings import materials

    session = c.make_event(kind="networking").sessions[0]
    material = materials.upload_material(c.staff, session, stream=io.BytesIO(MATERIAL_PDF),
                                         filename="Foerderaufruf.pdf")
    c.db.session.commit()
    return session, material


@case("material.upload")
def _material_upload(c: Ctx):
    import io

    from miado_events.meetings import materials

    session = c.make_event(kind="networking").sessions[0]
    return c.staff, lambda: materials.upload_material(c.staff, session, stream=io.BytesIO(MATERIAL_PDF),
                                                      filename="Folien.pdf")


@case("material.visibility")
def _material_visibility(c: Ctx):
    from miado_events.meetings import materials

    _, material = _material(c)
    return c.staff, lambda: (materials.set_visibility(c.staff, material, "public"), material)[1]


@case("material.delete")
def _material_delete(c: Ctx):
    from miado_events.meetings import materials

    _, material = _material(c)
    return c.staff, lambda: (materials.delete_material(c.staff, material), material)[1]


@case("material.publish")
def _material_publish(c: Ctx):
    from miado_events.meetings import materials

    session, _ = _material(c)
    return c.staff, lambda: (materials.publish(c.staff, session, now=NOW), session.event)[1]


@case("minutes.save")
def _minutes_save(c: Ctx):
    from miado_events.meetings import minutes

    session = c.make_event(kind="networking").sessions[0]
    return c.staff, lambda: (minutes.save_minutes(c.staff, session, "# Protokoll\n\nBericht.", now=NOW),
                             session.event)[1]


def test_every_action_type_has_a_case():
    assert {case_id.split(":")[0] for case_id in CASES} == set(audit.ACTIONS)


def entry_ids(db) -> set[int]:
    return set(db.session.scalars(select(AuditEntry.id)))


@pytest.mark.parametrize("case_id", list(CASES))
def test_action_writes_exactly_one_entry(db, ctx, case_id):
    action = case_id.split(":")[0]
    actor, act = CASES[case_id](ctx)
    db.session.commit()
    actor_id, actor_name = (actor.id, actor.name) if actor is not None else (None, "system")
    before = entry_ids(db)

    obj = act()
    db.session.commit()

    db.session.expire_all()
    new = [e for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)) if e.id not in before]
    mine = [e for e in new if e.action == action]
    assert len(mine) == 1, [(e.action, e.object_type) for e in new]
    entry = mine[0]
    assert (entry.actor_id, entry.actor_name) == (actor_id, actor_name)
    if actor is None:
        assert obj is None and (entry.object_type, entry.object_id) == (None, None)
    else:
        assert obj is not None and obj.id is not None
        assert (entry.object_type, entry.object_id) == (obj.__tablename__, obj.id)
    assert entry.summary.strip()
    assert entry.at is not None
    assert "@" not in entry.summary


def test_entry_names_what_it_is_about(db, ctx):
    """Details carry the specifics (a sample of the services)."""
    event = ctx.make_event()
    registration = register(db, ctx.make_user(), slot_of(event)).registration
    events.cancel_event(ctx.staff, event, now=NOW)
    org = ctx.make_org("Kulturbrücke e.V.", status="pending")
    orgs.decide_application(ctx.staff, org, "reject", "Kein Verein aus Dortmund", now=NOW)
    db.session.commit()
    by_action = {e.action: e for e in db.session.scalars(select(AuditEntry))}
    assert by_action["event.cancel"].details == {"registrations": 1}
    assert by_action["event.cancel"].summary == event.title
    assert by_action["event.cancel"].at == NOW
    assert by_action["org.decision"].details == {"decision": "reject"}
    assert by_action["org.decision"].summary == "Kulturbrücke e.V."
    assert registration.status == "cancelled"


def test_the_phase_entry_names_old_and_new_phase(db, ctx):
    round_ = make_round(ctx)
    voting.set_phase(ctx.staff, round_, "proposals", now=NOW)
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "round.phase")).one()
    assert entry.details == {"old": "draft", "new": "proposals"}


def test_members_own_actions_are_not_staff_actions(db, ctx):
    """A member registering and cancelling for themselves leaves no entry."""
    event = ctx.make_event()
    member = ctx.make_user()
    before = entry_ids(db)
    registration = register(db, member, slot_of(event)).registration
    reg.cancel_registration(member, registration, now=NOW)
    db.session.commit()
    assert entry_ids(db) == before


def test_unknown_action_is_refused(db, ctx):
    with pytest.raises(ValueError):
        audit.record(ctx.staff, "event.delete", None, "x")


# --- transactions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["event.create", "event.cancel", "org.decision"])
def test_a_rolled_back_action_leaves_no_entry(db, ctx, action):
    if action == "event.create":
        events.create_event(ctx.staff, event_data(title="Verworfen"), now=NOW)
    elif action == "event.cancel":
        event = ctx.make_event()
        events.cancel_event(ctx.staff, event, now=NOW)
    else:
        org = ctx.make_org("Neu e.V.", status="pending")
        orgs.decide_application(ctx.staff, org, "approve", now=NOW)
    count_before_rollback = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))
    assert count_before_rollback == 1            # visible inside the transaction
    db.session.rollback()
    assert db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) == 0
    if action == "event.create":
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.title == "Verworfen")) == 0


def test_a_refused_export_leaves_no_entry(db, ctx):
    ctx.login(ctx.make_user(Role.DOOR))
    event = ctx.make_event()
    assert ctx.client.get(f"/staff/events/{event.id}/participants.csv").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")) == 0


def test_entry_keeps_the_actor_name_after_the_account_is_deleted(db, ctx):
    colleague = ctx.make_user(Role.STAFF, name="Gül Yılmaz")
    event = events.create_event(colleague, event_data(), now=NOW)
    db.session.commit()
    entry_id = db.session.scalar(select(AuditEntry.id).where(AuditEntry.actor_id == colleague.id))

    db.session.delete(colleague)
    db.session.commit()
    db.session.expire_all()

    entry = db.session.get(AuditEntry, entry_id)
    assert entry.actor_id is None and entry.actor is None
    assert entry.actor_name == "Gül Yılmaz"
    assert (entry.action, entry.object_type, entry.object_id) == ("event.create", "events", event.id)
    # …and the audit page still shows who it was.
    ctx.login(ctx.staff)
    html = ctx.client.get("/staff/audit?action=event.create").get_data(as_text=True)
    assert "Gül Yılmaz" in html


def test_registrations_made_by_a_deleted_staff_member_stay(db, ctx):
    colleague = ctx.make_user(Role.STAFF, name="Gül Yılmaz")
    member = ctx.make_user()
    registration = reg.register_participant(colleague, member, slot_of(ctx.make_event()), now=NOW).registration
    db.session.commit()
    db.session.delete(colleague)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).registered_by_id is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registration.add")).one()
    assert (entry.actor_id, entry.actor_name) == (None, "Gül Yılmaz")

