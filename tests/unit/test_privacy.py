"""The person's rights under the DSGVO (privacy/services.py): the export of
everything held about them, deleting their account, the purge of personal
data that is no longer needed, and the consent to a new privacy notice.

The world of the export and deletion tests (times of events_support:
registrations on 1 March 2027; sessions 18:00–20:00 in Dortmund):

* Kulturbrücke Dortmund e.V. (``org``), represented by the person and by a
  co-representative; the person is also a plain member of Brückenbauer
  Eving e.V. (``other_org``); another participant is a member of ``org``;
* a training series of four Wednesdays (10–31 March): the person, checked in
  three times (certificate claimed), and the other participant, checked in
  twice (certificate issued by staff);
* a seminar on 10 March: the person, registered by staff, checked in;
* a seminar on 12 May with one seat: the person has it, two people wait;
* a topic round: the person proposed a topic, the other participant
  commented on it (``own_comment``: the person commented too);
* the person has a calendar feed link and asked for a new password.

The account is deleted on 15 April 2027 (``DELETE_AT``): the series and the
first seminar are over, the May seminar is still to come.
"""
from __future__ import annotations

import email
import email.policy
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage

import pytest
from sqlalchemy import JSON, LargeBinary, String, func, select
from sqlalchemy.types import TypeDecorator

from miado_events.accounts import services as accounts
from miado_events.calendar import feeds
from miado_events.checkin import certificates
from miado_events.checkin import door_lists
from miado_events.checkin import services as checkin
from miado_events.dashboard import stats
from miado_events.errors import DomainError
from miado_events.events import registration as reg
from miado_events.events import services as events
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role, TokenPurpose, User, UserToken
from miado_events.models.audit import AuditEntry
from miado_events.models.checkin import Attendance, Certificate
from miado_events.models.events import Event, Registration
from miado_events.models.mail import OutboxMessage
from miado_events.models.orgs import Membership
from miado_events.orgs import membership as org_membership
from miado_events.orgs import queries as org_queries
from miado_events.privacy import services as privacy
from miado_events.privacy.scrub import Needle
from miado_events.voting import services as voting

from .checkin_support import minutes
from .events_support import NOW, ONLINE, assert_code, assert_seat_counters_match, register, slot_of
from .voting_support import make_round, topic_data

UTC = timezone.utc
SERIES_DAY = date(2027, 3, 10)
UPCOMING_DAY = date(2027, 5, 12)
AFTER_SERIES = datetime(2027, 4, 1, 10, tzinfo=UTC)
DELETE_AT = datetime(2027, 4, 15, 10, tzinfo=UTC)

NAME = "Zofia Quendelwirth-Kołodziej"
EMAIL = "zofia.quendelwirth@example.org"
OTHER_NAME = "Emre Vorbeckmann"
OTHER_EMAIL = "emre.vorbeckmann@example.org"
OTHER_COMMENT = "Bitte auch am Wochenende anbieten"
OWN_COMMENT = "Ich kann Beispiele mitbringen"


@pytest.fixture
def event_on(db, staff):
    """Factory: a published event with weekly sessions (18:00–20:00 Berlin,
    online) from ``day``, created and published well before NOW, committed."""

    def make(day: date, title: str, *, kind: str = "seminar", capacity: int = 10, sessions: int = 1,
             **fields) -> Event:
        event = events.create_event(staff, EventData(kind=kind, title=title, capacity=capacity, **fields),
                                    now=NOW - timedelta(days=30))
        for week in range(sessions):
            events.add_session(staff, event, SessionData(day=day + timedelta(weeks=week), start=time(18),
                                                         end=time(20), online_url=ONLINE))
        events.publish_event(staff, event, now=NOW - timedelta(days=30))
        db.session.commit()
        return event

    return make


def attend(db, staff, registration, session) -> None:
    """``registration``'s person is scanned in ten minutes after the start."""
    result = checkin.check_in(staff, session, registration, method="scan", now=session.starts_at + minutes(10))
    assert result.ok, result.message
    db.session.commit()


@dataclass
class World:
    person: User
    other: User
    co_rep: User
    waiting: list[User]
    org: object
    other_org: object
    series: Event
    seminar: Event
    upcoming: Event
    topic: object
    registrations: list[Registration]     # the person's
    certificate: Certificate
    other_certificate: Certificate
    feed_token: str


@pytest.fixture
def world(db, staff, make_user, make_member, join, org, other_org, event_on) -> World:
    person = make_member(org, role="representative", name=NAME, email=EMAIL)
    join(person, other_org)
    co_rep = make_member(org, role="representative", name="Kai Mitvertreter")
    other = make_member(org, name=OTHER_NAME, email=OTHER_EMAIL)
    waiting = [make_user(name="Wanda Wartend"), make_user(name="Willi Wartend")]

    series = event_on(SERIES_DAY, "Weiterbildungsreihe Vereinsfinanzen", kind="series", sessions=4,
                      certificate_threshold=75)
    seminar = event_on(SERIES_DAY, "Seminar Vereinsrecht")
    upcoming = event_on(UPCOMING_DAY, "Seminar Fördermittel", capacity=1)

    in_series = register(db, person, slot_of(series), org).registration
    others_series = register(db, other, slot_of(series), org).registration
    in_seminar = register(db, person, slot_of(seminar), org, actor=staff).registration
    in_upcoming = register(db, person, slot_of(upcoming), org).registration
    for someone in waiting:
        assert register(db, someone, slot_of(upcoming)).registration.status == "waitlisted"
    assert in_upcoming.status == "confirmed"

    for week in (0, 1, 3):
        attend(db, staff, in_series, series.sessions[week])
    for week in (0, 1):
        attend(db, staff, others_series, series.sessions[week])
    attend(db, staff, in_seminar, seminar.sessions[0])
    certificate = certificates.claim(person, series, now=AFTER_SERIES)
    other_certificate = certificates.issue_by_hand(staff, series, other, now=AFTER_SERIES)
    db.session.commit()

    round_ = make_round(db, staff, "proposals")
    topic = voting.propose(person, round_, org, topic_data("Vereinsfinanzen für Einsteiger",
                                                           why="Viele Vereine fragen danach"), now=NOW)
    voting.comment(other, topic, OTHER_COMMENT, now=NOW)
    feed_token = feeds.ensure_feed_token(person)
    accounts.request_password_reset(EMAIL)
    db.session.commit()
    return World(person=person, other=other, co_rep=co_rep, waiting=waiting, org=org, other_org=other_org,
                 series=series, seminar=seminar, upcoming=upcoming, topic=topic,
                 registrations=[in_series, in_seminar, in_upcoming], certificate=certificate,
                 other_certificate=other_certificate, feed_token=feed_token)


@pytest.fixture
def own_comment(db, world):
    """The person has also commented on their topic."""
    item = voting.comment(world.person, world.topic, OWN_COMMENT, now=NOW)
    db.session.commit()
    return item


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- export ------------------------------------------------------------------------------------

def test_export_holds_everything_about_the_person(db, world):
    data = json.loads(json.dumps(privacy.export_data(world.person, now=DELETE_AT)))

    assert data["account"]["name"] == NAME
    assert data["account"]["email"] == EMAIL
    assert data["account"]["role"] == "member"
    assert data["account"]["privacy_notice_version"] == "test"
    assert data["account"]["has_calendar_feed"] is True
    assert {(o["organisation"], o["role"], o["status"]) for o in data["organisations"]} == {
        ("Kulturbrücke Dortmund e.V.", "representative", "active"),
        ("Brückenbauer Eving e.V.", "member", "active"),
    }
    assert sorted((r["event"], r["status"], r["organisation"]) for r in data["registrations"]) == [
        ("Seminar Fördermittel", "confirmed", "Kulturbrücke Dortmund e.V."),
        ("Seminar Vereinsrecht", "confirmed", "Kulturbrücke Dortmund e.V."),
        ("Weiterbildungsreihe Vereinsfinanzen", "confirmed", "Kulturbrücke Dortmund e.V."),
    ]
    series = next(r for r in data["registrations"] if r["event"] == "Weiterbildungsreihe Vereinsfinanzen")
    assert len(series["sessions"]) == 4
    codes = {r.ticket_code_display for r in world.registrations}
    assert {r["ticket_code"] for r in data["registrations"]} == codes
    assert sorted(a["event"] for a in data["attendance"]) == (
        ["Seminar Vereinsrecht"] + ["Weiterbildungsreihe Vereinsfinanzen"] * 3)
    assert [(c["event"], c["code"], c["name_printed"]) for c in data["certificates"]] == [
        ("Weiterbildungsreihe Vereinsfinanzen", world.certificate.code_display, NAME)]
    assert [(t["title"], t["why"]) for t in data["topic_proposals"]] == [
        ("Vereinsfinanzen für Einsteiger", "Viele Vereine fragen danach")]
    assert world.topic.id in data["topics_supported"]
    # The mails sent to the person: three confirmations, "proposals open", the password link.
    assert sorted(m["kind"] for m in data["emails"]) == (
        ["registration_confirmed"] * 3 + ["reset_password", "round_proposals_open"])


def test_export_holds_the_persons_comments(db, world, own_comment):
    data = privacy.export_data(world.person, now=DELETE_AT)
    assert [(c["topic"], c["text"], c["hidden"]) for c in data["topic_comments"]] == [
        ("Vereinsfinanzen für Einsteiger", OWN_COMMENT, False)]
    assert OTHER_COMMENT not in json.dumps(data, ensure_ascii=False)


def test_export_holds_nothing_about_anyone_else(db, world):
    text = json.dumps(privacy.export_data(world.person, now=DELETE_AT), ensure_ascii=False)
    others = [world.other, world.co_rep, *world.waiting]
    for someone in others:
        assert someone.name not in text
        assert someone.email not in text
    assert OTHER_COMMENT not in text
    assert world.other_certificate.code_display not in text
    others_tickets = db.session.scalars(select(Registration).where(Registration.user_id != world.person.id))
    for registration in others_tickets:
        assert registration.ticket_code_display not in text
        assert registration.ticket_token not in text
    # The person's own data is in the same text (the check above can fail).
    assert NAME in text and EMAIL in text


# --- deletion ------------------------------------------------------------------------------------

def _text_columns(table):
    for column in table.columns:
        kind = column.type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        if isinstance(kind, LargeBinary):
            continue
        if isinstance(kind, (String, JSON)):        # Text is a String
            yield column


def traces(db, *needles: str) -> list[tuple[str, str, str]]:
    """(table, column, value) of every string, text or JSON value in the
    whole database that contains one of ``needles`` (ignoring case)."""
    wanted = [n.casefold() for n in needles]
    db.session.expire_all()
    found = []
    for table in db.metadata.sorted_tables:
        columns = list(_text_columns(table))
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if any(n in text.casefold() for n in wanted):
                    found.append((table.name, column.name, text[:120]))
    return found


def delete(db, user, now=DELETE_AT) -> dict:
    result = privacy.delete_account(user, now=now)
    db.session.commit()
    db.session.expire_all()
    return result


def test_after_deletion_no_column_of_any_table_holds_the_name_or_address(db, world, own_comment):
    before = traces(db, NAME, EMAIL)
    # The scan sees the person where they are: account, certificate, staff's
    # audit entries, the mails sent to them.
    assert {"users", "certificates", "audit_log", "mail_outbox"} <= {t for t, _, _ in before}, before

    delete(db, world.person)

    assert traces(db, NAME, EMAIL) == []
    assert traces(db, "Quendelwirth") == []


def test_deletion_keeps_registrations_and_attendance_as_anonymous_rows(db, world):
    registrations, attendance = count(db, Registration), count(db, Attendance)
    ids = [r.id for r in world.registrations]

    result = delete(db, world.person)

    assert (count(db, Registration), count(db, Attendance)) == (registrations, attendance) == (6, 6)
    rows = [db.session.get(Registration, i) for i in ids]
    assert all(r.user_id is None and r.ticket_token is None and r.ticket_code is None for r in rows)
    assert all(r.anonymised_at == DELETE_AT for r in rows)
    # One random key for the person's rows (distinct people in the statistics);
    # the rows of people still there have none.
    assert len({r.anonymous_key for r in rows}) == 1 and len(rows[0].anonymous_key) == 32
    assert db.session.scalars(select(Registration.anonymous_key).where(
        Registration.user_id.is_not(None))).all() == [None] * 3
    # The past seats stay confirmed, for the right MSO; the coming one is given back.
    assert [(r.status, r.organisation_id) for r in rows] == [
        ("confirmed", world.org.id), ("confirmed", world.org.id), ("cancelled", world.org.id)]
    assert result == {"cancelled": 1, "anonymised": 3, "organisations_told": 1}


def _numbers(statistics) -> tuple:
    return statistics.by_kind, statistics.total, statistics.reached


def test_deletion_keeps_attendance_and_reach_statistics(db, world):
    before = stats.compute(now=DELETE_AT)
    assert before.total.expected == 4 + 4 + 1 and before.total.attended == 3 + 2 + 1
    assert before.reached.reached == 1

    delete(db, world.person)

    after = stats.compute(now=DELETE_AT)
    assert _numbers(after) == _numbers(before)


def test_deletion_keeps_participants_per_mso(db, world):
    before = stats.compute(now=DELETE_AT).participants_per_org
    assert before == [("Kulturbrücke Dortmund e.V.", 2)]

    delete(db, world.person)

    assert stats.compute(now=DELETE_AT).participants_per_org == before


def test_deleting_during_a_running_series_keeps_the_registration_anonymised(db, staff, make_member, org,
                                                                            event_on):
    """Two of four sessions are over (both attended) when the person goes: a
    series registered as a whole has started, so its registration stays
    (without the person), with its seat and its attendance."""
    person = make_member(org, name=NAME, email=EMAIL)
    series = event_on(SERIES_DAY, "Laufende Reihe", kind="series", sessions=4)
    registration = register(db, person, slot_of(series), org).registration
    for week in (0, 1):
        attend(db, staff, registration, series.sessions[week])
    midway = datetime(2027, 3, 20, 10, tzinfo=UTC)
    before = stats.compute(now=midway)
    assert (before.total.expected, before.total.attended, before.reached.reached) == (2, 2, 1)

    result = delete(db, person, now=midway)

    assert result["cancelled"] == 0
    kept = db.session.get(Registration, registration.id)
    assert (kept.status, kept.user_id, kept.organisation_id) == ("confirmed", None, org.id)
    assert slot_of(series).confirmed_count == 1
    assert count(db, Attendance) == 2
    after = stats.compute(now=midway)
    assert (after.total.expected, after.total.attended, after.reached.reached) == (2, 2, 1)


def test_deleting_before_a_series_starts_gives_its_seat_back(db, staff, make_member, org, event_on):
    person = make_member(org, name=NAME, email=EMAIL)
    series = event_on(SERIES_DAY, "Kommende Reihe", kind="series", sessions=4)
    registration = register(db, person, slot_of(series), org).registration

    result = delete(db, person, now=series.sessions[0].starts_at - minutes(1))

    assert result["cancelled"] == 1
    assert db.session.get(Registration, registration.id).status == "cancelled"
    assert slot_of(series).confirmed_count == 0


@pytest.fixture
def running_seminar(db, staff, make_member, make_user, org, event_on):
    """A seminar with nine seats, all taken; it has begun (18:00), three people
    are in the room, among them the person who will delete their account."""
    seminar = event_on(SERIES_DAY, "Laufendes Seminar", capacity=9)
    person = make_member(org, name=NAME, email=EMAIL)
    mine = register(db, person, slot_of(seminar), org).registration
    others = [register(db, make_user(), slot_of(seminar)).registration for _ in range(8)]
    session = seminar.sessions[0]
    for registration in (mine, *others[:2]):
        attend(db, staff, registration, session)
    return seminar, person, mine


def test_deleting_while_checked_in_at_a_running_session_keeps_the_counts(db, running_seminar):
    seminar, person, mine = running_seminar
    session = seminar.sessions[0]
    during = session.starts_at + minutes(30)
    before = door_lists.counts(session)
    assert (before.checked_in, before.confirmed) == (3, 9)
    staff_before = stats.compute(now=during)

    result = delete(db, person, now=during)

    assert result["cancelled"] == 0
    after = door_lists.counts(session)
    assert (after.checked_in, after.confirmed) == (3, 9)  # the door counter still says 3/9
    assert _numbers(stats.compute(now=during)) == _numbers(staff_before)
    kept = db.session.get(Registration, mine.id)
    assert (kept.status, kept.user_id, kept.ticket_token) == ("confirmed", None, None)
    assert len(db.session.scalars(select(Attendance).where(Attendance.registration_id == mine.id)).all()) == 1
    assert slot_of(seminar).confirmed_count == 9
    assert_seat_counters_match(db)


def test_no_walk_in_takes_the_seat_of_someone_in_the_room(db, staff, running_seminar):
    from miado_events.checkin import walkins

    seminar, person, _mine = running_seminar
    session = seminar.sessions[0]
    during = session.starts_at + minutes(30)
    delete(db, person, now=during)

    with pytest.raises(DomainError) as refused:
        walkins.walk_in(staff, session, name="Spät Dazu", email="spaet@example.org", now=during)
    assert_code(refused, "event_full")
    db.session.rollback()
    assert door_lists.counts(session).confirmed == 9


def test_deleting_leaves_a_waiting_list_of_a_running_session(db, staff, make_user, running_seminar):
    seminar, _person, _mine = running_seminar
    waiting = make_user()
    entry = register(db, waiting, slot_of(seminar)).registration
    assert entry.status == "waitlisted"

    result = delete(db, waiting, now=seminar.sessions[0].starts_at + minutes(30))

    assert result["cancelled"] == 1
    assert db.session.get(Registration, entry.id).status == "cancelled"


def test_deletion_gives_the_coming_seat_to_the_first_waiting_person(db, world, outbox):
    first, second = world.waiting
    outbox.clear()

    delete(db, world.person)

    def status(user):
        return db.session.scalar(select(Registration.status).where(
            Registration.user_id == user.id, Registration.event_id == world.upcoming.id))

    assert (status(first), status(second)) == ("confirmed", "waitlisted")
    assert_seat_counters_match(db)
    promoted = [m for m in outbox if m["To"] == first.email]
    assert [m["Subject"] for m in promoted] == ["You have a seat: Seminar Fördermittel"]
    # The person is not written to (the account is gone), nor is the second in line.
    assert [m for m in outbox if m["To"] in (EMAIL, second.email)] == []


def test_deletion_stops_the_tickets_and_the_feed(db, world):
    tokens = [r.ticket_token for r in world.registrations]
    codes = [r.ticket_code for r in world.registrations]
    assert [checkin.find_by_token(t).user_id for t in tokens] == [world.person.id] * 3
    assert [checkin.find_by_code(c).user_id for c in codes] == [world.person.id] * 3
    assert feeds.feed_owner(world.feed_token).id == world.person.id

    delete(db, world.person)

    assert [checkin.find_by_token(t) for t in tokens] == [None] * 3
    assert [checkin.find_by_code(c) for c in codes] == [None] * 3
    assert feeds.feed_owner(world.feed_token) is None


def test_deletion_removes_account_memberships_and_the_persons_own_records(db, world, own_comment):
    person_id = world.person.id
    assert sorted(c.body for c in voting.visible_comments(world.topic)) == sorted([OTHER_COMMENT, OWN_COMMENT])

    delete(db, world.person)

    assert db.session.get(User, person_id) is None
    assert accounts.get_user_by_email(EMAIL) is None
    assert db.session.scalars(select(Membership).where(Membership.user_id == person_id)).all() == []
    assert [u.id for u in org_queries.representatives(world.org)] == [world.co_rep.id]
    assert db.session.scalar(select(func.count()).select_from(UserToken)
                             .where(UserToken.user_id == person_id)) == 0
    assert db.session.scalars(select(Certificate.holder_name)).all() == [OTHER_NAME]
    # The topic stays (it may get votes), without its proposer; the comment of
    # the other participant stays, the person's goes.
    db.session.refresh(world.topic)
    assert world.topic.proposer_id is None
    assert [c.body for c in voting.visible_comments(world.topic)] == [OTHER_COMMENT]


def test_deleting_a_representative_tells_the_msos_other_representatives_and_the_office(db, app, world,
                                                                                        outbox):
    outbox.clear()

    delete(db, world.person)

    office = app.config["STAFF_NOTIFY_EMAIL"]
    told = [m for m in outbox if m["To"] in (world.co_rep.email, office)]
    assert sorted(m["To"] for m in told) == sorted([world.co_rep.email, office])
    assert [m["Subject"] for m in told if m["To"] == world.co_rep.email] == [
        "A representative of Kulturbrücke Dortmund e.V. has deleted their account"]
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "representative_deleted")).all()
    assert sorted(r.to_address for r in rows) == sorted(m["To"] for m in told)
    for message in told:
        text = " ".join([message["Subject"], message.get_body(("plain",)).get_content(),
                         message.get_body(("html",)).get_content()])
        assert "Kulturbrücke Dortmund e.V." in text      # which MSO
        assert "Quendelwirth" not in text and NAME not in text and EMAIL not in text
        # Brückenbauer Eving, where the person was a plain member, is not concerned.
        assert "Brückenbauer" not in text


def test_a_member_who_represents_nobody_tells_nobody(db, world, outbox):
    outbox.clear()
    result = delete(db, world.other)
    assert result["organisations_told"] == 0
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "representative_deleted")).all() == []


def test_the_last_admin_cannot_delete_their_account(db, make_user):
    admin = make_user(Role.ADMIN, name="Ada Einzig")
    make_user(Role.STAFF)
    with pytest.raises(DomainError) as exc:
        privacy.delete_account(admin, now=DELETE_AT)
    assert_code(exc, "last_admin")
    db.session.rollback()
    assert db.session.get(User, admin.id) is not None

    # With a second administrator, the first may go.
    make_user(Role.ADMIN)
    delete(db, db.session.get(User, admin.id))
    assert db.session.get(User, admin.id) is None


def test_a_disabled_second_admin_does_not_count(db, make_user):
    admin, disabled = make_user(Role.ADMIN), make_user(Role.ADMIN)
    disabled.is_enabled = False
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        privacy.delete_account(admin, now=DELETE_AT)
    assert_code(exc, "last_admin")


def test_the_audit_log_says_that_an_account_went_not_whose(db, world, staff):
    staff_entries = count(db, AuditEntry)

    delete(db, world.person)

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.delete")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.at == DELETE_AT
    assert entry.actor_id is None and entry.object_id is None
    assert entry.details == {"cancelled": 1, "anonymised": 3, "organisations_told": 1}
    for text in (entry.actor_name, entry.summary, json.dumps(entry.details)):
        assert "Quendelwirth" not in text and EMAIL not in text
    # Staff's earlier entries about the person stay, without the name.
    assert count(db, AuditEntry) == staff_entries + 1
    added = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registration.add")).one()
    assert added.summary == f"{privacy.DELETED}: Seminar Vereinsrecht"
    assert (added.actor_id, added.actor_name) == (staff.id, staff.name)


def test_a_join_request_leaves_no_trace_after_deletion(db, world, make_user, outbox):
    """The usual way into an MSO: ask to join, a representative accepts."""
    newcomer = make_user(name="Quirin Zauberfeld", email="quirin.zauberfeld@example.org")
    membership = org_membership.request_membership(newcomer, world.org)
    db.session.commit()
    org_membership.decide_join_request(world.co_rep, membership, True)
    db.session.commit()

    delete(db, db.session.get(User, newcomer.id))

    assert traces(db, "Quirin Zauberfeld", "quirin.zauberfeld@example.org") == []


def _mail_text(raw: bytes) -> str:
    """The subject and every text part of a stored message, decoded."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [p.get_content() for p in message.walk()
             if not p.is_multipart() and p.get_content_maintype() == "text"]
    return "\n".join([str(message["Subject"]), *parts])


def test_mail_to_others_that_names_the_person_stays_without_the_name(db, world, make_user):
    """The representatives' join-request mail stays deliverable (it may still be
    waiting for the mail server), with "[deleted]" for the name, also where the
    HTML part writes it escaped (D&#39;Argent)."""
    newcomer = make_user(name="Ronja D'Argent-Øvrebø", email="ronja.dargent@example.org")
    org_membership.request_membership(newcomer, world.org)
    db.session.commit()
    to_reps = select(OutboxMessage).where(OutboxMessage.template == "org_join_request")
    assert "Ronja D'Argent-Øvrebø" in _mail_text(db.session.scalars(to_reps).first().raw)

    delete(db, db.session.get(User, newcomer.id))

    rows = db.session.scalars(to_reps).all()
    assert sorted(r.to_address for r in rows) == sorted([EMAIL, world.co_rep.email])
    for row in rows:
        assert row.subject == f"{privacy.DELETED} asks to join Kulturbrücke Dortmund e.V."
        text = _mail_text(row.raw)
        assert "Argent" not in text and "ronja" not in text.casefold()
        assert text.count(privacy.DELETED) == 4          # subject, plain text, HTML title and text
        message = email.message_from_bytes(row.raw, policy=email.policy.default)
        assert message["To"] == row.to_address and message["Content-Language"] == "en"
    assert traces(db, "Argent", "ronja") == []


@pytest.mark.parametrize("body", [
    "Kurz: {name} kommt.\n",                                      # 8bit
    "Eine lange Zeile, " * 8 + "und dann {name} am Ende.\n",       # quoted-printable, soft breaks
    "Привет, {name}! " * 12 + "\n",                                # base64
])
def test_the_name_is_found_and_removed_whatever_the_encoding_of_a_mail(body):
    needle = Needle.of(NAME, EMAIL)
    message = EmailMessage()
    message["Subject"] = "Betreff"
    message.set_content(body.format(name=NAME))
    message.add_alternative(f"<p>{body.format(name=NAME)}</p>", subtype="html")
    raw = bytes(message)
    assert NAME.encode() not in raw or "Kurz" in body     # only the 8bit one shows it as it is

    assert needle.may_be_in(raw)
    scrubbed = _mail_text(needle.scrub_message(raw))
    assert "Quendelwirth" not in scrubbed and scrubbed.count(privacy.DELETED) == body.count("{name}") * 2
    # A mail that does not name the person is left alone.
    assert needle.scrub_message(bytes(EmailMessage())) is None
    other = Needle.of("Somebody Else", "somebody@example.org")
    assert other.scrub_message(raw) is None
    if "Привет" not in body:     # base64 text is always decoded to be looked at
        assert not other.may_be_in(raw)


def test_join_request_mail_names_the_person_before_deletion(db, world, make_user):
    """The other half of the test above: the mail does reach the representatives."""
    newcomer = make_user(name="Quirin Zauberfeld")
    org_membership.request_membership(newcomer, world.org)
    db.session.commit()
    assert {t for t, _, _ in traces(db, "Quirin Zauberfeld")} == {"users", "mail_outbox"}


# --- purge ---------------------------------------------------------------------------------------

# The purge runs on 1 June 2027 and keeps two months (61 days): events that
# ended before 1 April are "old".
PURGE_AT = datetime(2027, 6, 1, 10, tzinfo=UTC)
RETENTION = 2
CUTOFF = PURGE_AT - timedelta(days=61)


@dataclass
class PurgeWorld:
    old: list[Registration]
    recent_seat: Registration
    recent_waiting: Registration
    coming: list[Registration]
    outbox: dict[str, int]
    tokens: dict[str, int]


def _mail(db, status: str, created_at: datetime) -> int:
    message = OutboxMessage(to_address="someone@example.org", subject="Betreff", template="broadcast",
                            raw=b"...", status=status, created_at=created_at, next_attempt_at=created_at,
                            sent_at=created_at if status == "sent" else None)
    db.session.add(message)
    db.session.flush()
    return message.id


def _token(db, user, expires_at: datetime) -> int:
    token = UserToken(user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD.value,
                      token_hash=f"{expires_at:%Y%m%d%H}".ljust(64, "0"), expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token.id


@pytest.fixture
def purge_world(db, staff, make_member, make_user, org, event_on) -> PurgeWorld:
    """Old: a series (10–31 March; a and b, b cancelled her seat) and a
    seminar on 10 March (a). Recent: a seminar on 12 May with one seat (c;
    d waited in vain). Coming: a seminar on 16 June with one seat (a; c waits)."""
    a, b, c = (make_member(org, name=n) for n in ("Anna Alt", "Berta Bald", "Cem Neu"))
    d = make_user(name="Dora Wartend")
    series = event_on(SERIES_DAY, "Reihe im März", kind="series", sessions=4)
    march = event_on(SERIES_DAY, "Seminar im März")
    may = event_on(date(2027, 5, 12), "Seminar im Mai", capacity=1)
    june = event_on(date(2027, 6, 16), "Seminar im Juni", capacity=1)

    a_series = register(db, a, slot_of(series), org).registration
    b_series = register(db, b, slot_of(series), org).registration
    reg.cancel_registration(b, b_series, now=NOW)
    db.session.commit()
    a_march = register(db, a, slot_of(march), org).registration
    for week in (0, 1):
        attend(db, staff, a_series, series.sessions[week])
    attend(db, staff, a_march, march.sessions[0])
    c_may = register(db, c, slot_of(may), org).registration
    d_may = register(db, d, slot_of(may)).registration
    attend(db, staff, c_may, may.sessions[0])
    a_june = register(db, a, slot_of(june), org).registration
    c_june = register(db, c, slot_of(june), org).registration
    assert (d_may.status, c_june.status) == ("waitlisted", "waitlisted")

    db.session.execute(OutboxMessage.__table__.delete())   # the set-up's own mails
    mails = {"old_sent": _mail(db, "sent", CUTOFF - timedelta(days=1)),
             "old_failed": _mail(db, "failed", CUTOFF - timedelta(days=1)),
             "old_queued": _mail(db, "queued", CUTOFF - timedelta(days=1)),
             "recent_sent": _mail(db, "sent", CUTOFF + timedelta(days=1))}
    tokens = {"expired": _token(db, a, PURGE_AT - timedelta(hours=1)),
              "valid": _token(db, b, PURGE_AT + timedelta(hours=1))}
    db.session.commit()
    return PurgeWorld(old=[a_series, b_series, a_march], recent_seat=c_may, recent_waiting=d_may,
                      coming=[a_june, c_june], outbox=mails, tokens=tokens)


def _personal(registration: Registration) -> tuple:
    return registration.user_id, registration.ticket_token, registration.ticket_code, registration.anonymised_at


#: Not compared: ``data_versions`` holds no user data, only the version of the
#: public page cache (pagecache.py), which grows by a random step in every
#: transaction that touches what public pages show, even when nothing changed.
NOT_COMPARED = {"data_versions"}


def snapshot(db) -> dict:
    """Every row of every table (to see that nothing changed)."""
    db.session.expire_all()
    return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables if table.name not in NOT_COMPARED}


def test_purge_anonymises_registrations_of_events_that_ended_before_the_cutoff(db, purge_world):
    w = purge_world
    recent = {r.id: _personal(r) for r in [w.recent_seat, *w.coming]}
    counts = (count(db, Registration), count(db, Attendance))
    statuses = {r.id: r.status for r in db.session.scalars(select(Registration))}

    report = privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    db.session.expire_all()

    assert report.cutoff == CUTOFF
    assert (report.registrations, report.waiting_list) == (3, 1)
    for registration in w.old:
        db.session.refresh(registration)
        assert _personal(registration) == (None, None, None, PURGE_AT)
    # A past waiting-list entry goes even when the event is recent…
    db.session.refresh(w.recent_waiting)
    assert _personal(w.recent_waiting) == (None, None, None, PURGE_AT)
    # One random key per person purged: Anna's two rows share one, Berta and Dora have their own.
    a_series, b_series, a_march = (r.anonymous_key for r in w.old)
    assert a_series == a_march
    assert len({a_series, b_series, w.recent_waiting.anonymous_key}) == 3
    assert None not in {a_series, b_series, w.recent_waiting.anonymous_key}
    # …a recent seat and everything to come stay as they were.
    assert {r.id: _personal(db.session.get(Registration, r.id)) for r in [w.recent_seat, *w.coming]} == recent
    assert (count(db, Registration), count(db, Attendance)) == counts
    assert {r.id: r.status for r in db.session.scalars(select(Registration))} == statuses
    assert checkin.find_by_token(w.recent_seat.ticket_token).id == w.recent_seat.id


def test_purge_keeps_attendance_and_reach_statistics(db, purge_world):
    before = stats.compute(now=PURGE_AT)
    assert before.total.expected == 4 + 1 + 1 and before.total.attended == 2 + 1 + 1
    privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    assert _numbers(stats.compute(now=PURGE_AT)) == _numbers(before)


def test_purge_keeps_participants_per_mso(db, purge_world):
    before = stats.compute(now=PURGE_AT).participants_per_org
    assert before == [("Kulturbrücke Dortmund e.V.", 2)]
    privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    assert stats.compute(now=PURGE_AT).participants_per_org == before


def test_purge_removes_old_sent_mail_and_expired_links(db, purge_world):
    w = purge_world
    report = privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    assert (report.emails, report.tokens) == (2, 1)
    assert set(db.session.scalars(select(OutboxMessage.id))) == {w.outbox["old_queued"], w.outbox["recent_sent"]}
    assert set(db.session.scalars(select(UserToken.id))) == {w.tokens["valid"]}


def test_purge_removes_old_calendar_replies_with_their_senders_address(db, purge_world):
    from miado_events.models.replies import CalendarReply

    cutoff = PURGE_AT - timedelta(days=round(RETENTION * 30.44))
    db.session.add_all([
        CalendarReply(message_key="<old@example.org>", from_address="old@example.org",
                      received_at=cutoff - timedelta(days=1), outcome="unusable", problem="no_calendar"),
        CalendarReply(message_key="<new@example.org>", from_address="new@example.org",
                      received_at=cutoff + timedelta(days=1), outcome="unusable", problem="no_calendar"),
    ])
    db.session.commit()
    report = privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    assert report.calendar_replies == 1
    assert list(db.session.scalars(select(CalendarReply.from_address))) == ["new@example.org"]


def test_purge_is_recorded_once_in_the_audit_log(db, purge_world):
    privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purge")).one()
    assert entry.details == {"registrations": 3, "waiting_list": 1, "emails": 2, "tokens": 1,
                             "calendar_replies": 0}
    assert entry.at == PURGE_AT and entry.actor_id is None


def test_a_second_purge_finds_nothing_and_changes_nothing(db, purge_world):
    first = privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()
    assert first.changed
    before = snapshot(db)

    second = privacy.purge(months=RETENTION, now=PURGE_AT)
    db.session.commit()

    assert (second.registrations, second.waiting_list, second.emails, second.tokens) == (0, 0, 0, 0)
    assert not second.changed
    assert snapshot(db) == before


def test_purge_with_nothing_old_changes_nothing(db, purge_world):
    before = snapshot(db)
    report = privacy.purge(months=RETENTION, now=datetime(2027, 3, 1, tzinfo=UTC))
    db.session.commit()
    assert not report.changed
    assert snapshot(db) == before


def test_purge_uses_the_configured_retention(db, app, purge_world):
    app.config["PRIVACY_RETENTION_MONTHS"] = 24
    report = privacy.purge(now=PURGE_AT)
    assert report.cutoff == PURGE_AT - timedelta(days=round(24 * 30.44))
    assert report.registrations == 0          # nothing ended two years ago
    assert report.waiting_list == 1           # the past waiting list goes all the same


# --- consent -------------------------------------------------------------------------------------

def test_a_new_privacy_notice_needs_consent_again(db, app, make_user):
    user = make_user()
    assert not privacy.needs_consent(user)

    app.config["PRIVACY_NOTICE_VERSION"] = "2027-01"
    assert privacy.needs_consent(user)

    privacy.record_consent(user, now=NOW)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert not privacy.needs_consent(stored)
    assert (stored.privacy_consent_version, stored.privacy_consent_at) == ("2027-01", NOW)


def test_someone_who_never_consented_is_asked(db, make_user):
    user = make_user()
    user.privacy_consent_version = None
    assert privacy.needs_consent(user)


def test_an_anonymised_seat_of_a_series_under_way_gets_no_mail_and_breaks_nothing(db, staff, make_member,
                                                                                   org, event_on, outbox):
    """The series goes on after the person left: reminders, a changed session
    and a mail to all participants reach the others and skip the kept seat."""
    from miado_events.events import broadcast, reminders

    person = make_member(org, name=NAME, email=EMAIL)
    other = make_member(org, name=OTHER_NAME, email=OTHER_EMAIL)
    series = event_on(SERIES_DAY, "Laufende Reihe", kind="series", sessions=4)
    for someone in (person, other):
        register(db, someone, slot_of(series), org)
    midway = datetime(2027, 3, 20, 10, tzinfo=UTC)
    delete(db, person, now=midway)
    outbox.clear()

    assert reminders.send_reminders(now=series.sessions[2].starts_at - timedelta(hours=2)) == 1
    events.update_session(staff, series.sessions[3], SessionData(
        day=SERIES_DAY + timedelta(weeks=3), start=time(17), end=time(19), online_url=ONLINE))
    assert broadcast.broadcast(staff, series, subject="Raum", body="Neuer Raum", audience=["confirmed"]) == 1
    db.session.commit()
    assert {m["To"] for m in outbox} == {OTHER_EMAIL}
