"""Registrations taken on someone's behalf (events.on_behalf): staff by name
alone, a representative for their MSO, with or without an account; who made
the entry is recorded; the seat rules are those of everyone. Frozen time."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from miado_events.errors import DomainError
from miado_events.events import on_behalf
from miado_events.events.on_behalf import PersonEntry
from miado_events.models.accounts import User
from miado_events.models.audit import AuditEntry
from miado_events.models.events import Registration

from .events_support import NOW, SESSION_START, assert_code, assert_seat_counters_match, slot_of


def _enter(db, actor, slot, org=None, *, now=NOW, **person):
    outcome = on_behalf.register_on_behalf(actor, slot, PersonEntry(**person), org, now=now)
    db.session.commit()
    return outcome


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audit(db) -> list[tuple[str, int, str]]:
    return [(e.action, e.actor_id, e.summary) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("registration.%")).order_by(AuditEntry.id))]


@pytest.fixture
def representative(rep, org, join):
    join(rep, org, "representative")
    return rep


def test_staff_register_a_person_by_name_alone(db, staff, make_event, outbox):
    slot = slot_of(make_event(capacity=3))
    outcome = _enter(db, staff, slot, name="  Hatice   Yıldız ", phone="0231 123456")
    registration = outcome.registration
    person = registration.user
    assert registration.is_confirmed and outcome.waitlist_reason is None
    assert (person.name, person.email, person.phone, person.has_account) == (
        "Hatice Yıldız", None, "0231 123456", False)
    assert registration.registered_by_id == staff.id and registration.organisation_id is None
    assert _audit(db) == [("registration.add", staff.id, "Hatice Yıldız: Test seminar")]
    assert outbox == []  # nobody to mail: the ticket is printed
    assert_seat_counters_match(db)


def test_an_address_of_an_account_registers_that_account_without_a_name(db, staff, make_user, make_event,
                                                                       outbox):
    slot = slot_of(make_event())
    member = make_user(email="ayse@example.org", name="Ayşe Demir")
    users = _count(db, User)
    outcome = _enter(db, staff, slot, name="", email=" AYSE@example.org ")
    assert outcome.registration.user_id == member.id
    assert _count(db, User) == users
    assert [m["To"] for m in outbox] == ["ayse@example.org"]


def test_a_new_address_makes_a_person_without_an_account_who_gets_the_mail(db, staff, make_event, outbox):
    slot = slot_of(make_event())
    outcome = _enter(db, staff, slot, name="Olena Kovalenko", email="olena@example.org", locale="uk")
    person = outcome.registration.user
    assert (person.email, person.locale, person.has_account) == ("olena@example.org", "uk", False)
    assert [m["To"] for m in outbox] == ["olena@example.org"]


def test_staff_count_a_person_without_an_account_against_the_chosen_mso(db, staff, org, make_event):
    slot = slot_of(make_event(capacity=5, org_seat_limit=1))
    first = _enter(db, staff, slot, org, name="Erste Person")
    second = _enter(db, staff, slot, org, name="Zweite Person")
    assert first.registration.is_confirmed and first.registration.organisation_id == org.id
    assert second.waitlist_reason == "org_quota_reached"
    assert_seat_counters_match(db)


def test_representative_registers_a_person_without_an_account_against_the_mso_limit(
        db, representative, org, make_event, make_member):
    slot = slot_of(make_event(capacity=5, org_seat_limit=2))
    member = make_member(org)
    first = _enter(db, representative, slot, org, name="Nachbarin ohne Konto")
    assert first.registration.is_confirmed
    assert first.registration.registered_by_id == representative.id
    # A colleague with an account, by their address, takes the MSO's second seat.
    second = _enter(db, representative, slot, org, name="", email=member.email)
    assert second.registration.user_id == member.id and second.registration.is_confirmed
    third = _enter(db, representative, slot, org, name="Dritte Person")
    assert third.waitlist_reason == "org_quota_reached"
    assert [a[0] for a in _audit(db)] == ["registration.add_by_representative"] * 3
    assert {a[1] for a in _audit(db)} == {representative.id}
    assert_seat_counters_match(db)


def test_representative_only_for_their_own_mso(db, representative, org, other_org, make_event):
    slot = slot_of(make_event())
    for chosen in (other_org, None):
        with pytest.raises(DomainError) as exc:
            on_behalf.register_on_behalf(representative, slot, PersonEntry(name="Jemand"), chosen, now=NOW)
        assert_code(exc, "forbidden")
        db.session.rollback()
    assert _count(db, Registration) == 0


def test_member_who_is_no_representative_cannot_register_others(db, make_member, org, make_event):
    slot = slot_of(make_event())
    member = make_member(org)
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(member, slot, PersonEntry(name="Jemand"), org, now=NOW)
    assert_code(exc, "forbidden")


def test_representative_cannot_register_an_account_of_someone_outside_the_mso(
        db, representative, org, make_user, make_event):
    slot = slot_of(make_event())
    stranger = make_user(email="fremd@example.org")
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(representative, slot, PersonEntry(name="X", email=stranger.email), org,
                                     now=NOW)
    assert_code(exc, "not_a_member")
    db.session.rollback()
    assert _count(db, Registration) == 0


def test_the_same_name_entered_twice_by_the_same_hand_registers_once(db, staff, make_event):
    slot = slot_of(make_event(capacity=5))
    _enter(db, staff, slot, name="Ali Kaya")
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(staff, slot, PersonEntry(name=" Ali  Kaya"), now=NOW)
    assert_code(exc, "already_registered")
    db.session.rollback()
    # Another Ali Kaya, told apart by the phone number, is a second person.
    _enter(db, staff, slot, name="Ali Kaya", phone="0176 555")
    assert _count(db, Registration) == 2
    assert_seat_counters_match(db)


def test_a_person_already_registered_is_named_in_the_refusal(db, staff, make_user, make_event):
    slot = slot_of(make_event(capacity=5))
    member = make_user(email="ayse@example.org", name="Ayşe Demir")
    _enter(db, staff, slot, name="", email=member.email)
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(staff, slot, PersonEntry(name="", email=member.email), now=NOW)
    assert_code(exc, "already_registered")
    assert "Ayşe Demir" in str(exc.value.message)
    db.session.rollback()
    assert _count(db, Registration) == 1


@pytest.mark.parametrize(("person", "code"), [
    ({"name": "   "}, "name_required"),
    ({"name": "Ali", "phone": "call me"}, "phone_invalid"),
    ({"name": "Ali", "email": "not an address"}, "email_invalid"),
])
def test_bad_input_is_refused_and_changes_nothing(db, staff, make_event, person, code):
    slot = slot_of(make_event())
    users = _count(db, User)
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(staff, slot, PersonEntry(**person), now=NOW)
    assert_code(exc, code)
    db.session.rollback()
    assert _count(db, User) == users and _count(db, Registration) == 0


def test_closed_registration_refuses_a_representative_before_anyone_is_created(
        db, representative, org, staff, make_event):
    event = make_event(registration_closes_at=NOW - timedelta(days=1))
    slot = slot_of(event)
    users = _count(db, User)
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(representative, slot, PersonEntry(name="Zu spät"), org, now=NOW)
    assert_code(exc, "registration_closed")
    db.session.rollback()
    assert _count(db, User) == users
    # Staff still may, until the start; not after it.
    assert _enter(db, staff, slot, name="Telefonanmeldung").registration.is_confirmed
    with pytest.raises(DomainError) as exc:
        on_behalf.register_on_behalf(staff, slot, PersonEntry(name="Nach Beginn"),
                                     now=SESSION_START + timedelta(minutes=1))
    assert_code(exc, "registration_closed")


def test_the_ticket_can_be_printed_by_staff_the_person_and_the_representative_who_entered_it(
        db, staff, representative, org, make_member, make_event):
    slot = slot_of(make_event())
    registration = _enter(db, representative, slot, org, name="Ohne E-Mail").registration
    other_rep = make_member(org, role="representative")
    member = make_member(org)
    assert on_behalf.can_print_ticket(staff, registration)
    assert on_behalf.can_print_ticket(representative, registration)
    assert not on_behalf.can_print_ticket(other_rep, registration)
    assert not on_behalf.can_print_ticket(member, registration)


# --- a double click: two requests with the same name at once -----------------------------------

class Entry(threading.Thread):
    """One request entering ``name`` for the slot, in its own app context (own
    session and transaction); ``hold`` runs after the entry, before the commit."""

    def __init__(self, app, db, *, actor_id, slot_id, name, hold=None, start_line=None):
        super().__init__(daemon=True)
        self.app, self.db, self.actor_id, self.slot_id, self.name = app, db, actor_id, slot_id, name
        self.hold, self.start_line = hold, start_line
        self.code: str | None = None
        self.error: str | None = None
        self.saved = False

    def run(self):
        from miado_events.models.events import Slot

        db = self.db
        with self.app.app_context():
            try:
                actor, slot = db.session.get(User, self.actor_id), db.session.get(Slot, self.slot_id)
                if self.start_line is not None:
                    self.start_line.wait(timeout=30)
                on_behalf.register_on_behalf(actor, slot, PersonEntry(name=self.name), now=NOW)
                if self.hold is not None:
                    self.hold()
                db.session.commit()
                self.saved = True
            except DomainError as exc:
                db.session.rollback()
                self.code = exc.code
            except Exception as exc:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                self.error = f"{type(exc).__name__}: {exc}"


def test_the_same_name_sent_twice_at_the_same_moment_registers_once(app, db, staff, make_event):
    from .test_voting_concurrency import wait_until_blocked_or_done

    slot = slot_of(make_event(capacity=5))
    db.session.commit()
    second_started = threading.Event()
    second: list[Entry] = []

    def let_the_second_one_try():
        # The first has entered the person and holds the slot's lock: the
        # second request arrives now and must wait for the commit.
        second.append(Entry(app, db, actor_id=staff.id, slot_id=slot.id, name="Ali Kaya"))
        second[0].start()
        second_started.set()
        wait_until_blocked_or_done(db, second[0])

    first = Entry(app, db, actor_id=staff.id, slot_id=slot.id, name="Ali Kaya", hold=let_the_second_one_try)
    first.start()
    first.join(timeout=60)
    assert second_started.wait(timeout=10)
    second[0].join(timeout=60)
    assert (first.error, second[0].error) == (None, None)
    assert first.saved and second[0].code == "already_registered"
    db.session.remove()
    assert _count(db, Registration) == 1
    assert_seat_counters_match(db)


def test_the_same_name_at_the_same_moment_many_times_registers_once_each(app, db, staff, make_event):
    event = make_event(capacity=50)
    slot = slot_of(event)
    db.session.commit()
    for n in range(5):
        start_line = threading.Barrier(2)
        entries = [Entry(app, db, actor_id=staff.id, slot_id=slot.id, name=f"Person {n}", start_line=start_line)
                   for _ in range(2)]
        for entry in entries:
            entry.start()
        for entry in entries:
            entry.join(timeout=60)
        assert [e.error for e in entries] == [None, None]
        assert sorted((e.saved, e.code or "") for e in entries) == [(False, "already_registered"), (True, "")]
    db.session.remove()
    assert _count(db, Registration) == 5
    assert_seat_counters_match(db)
