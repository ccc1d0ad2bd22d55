"""Rules with one home: active registration, the registration window, the
forbidden check and the insert that tolerates a row already there."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden

from miado_events.database import insert_or_ignore
from miado_events.errors import DomainError, PermissionDenied
from miado_events.events import queries
from miado_events.events import registration as reg
from miado_events.models.accounts import Role
from miado_events.models.events import (ACTIVE_REGISTRATION, Registration, RegistrationStatus,
                                        RegistrationWindow)
from miado_events.models.pagecache import DataVersion
from miado_events.permissions import FORBIDDEN_MESSAGE, can_cast_ballot, ensure, ensure_page, is_staff

from .events_support import NOW, SESSION_START, register, slot_of
from .voting_support import make_round

# --- active registration --------------------------------------------------------------


def test_active_registration_is_the_same_in_python_and_in_sql(db, make_user, make_event):
    event = make_event(capacity=10)
    slot = slot_of(event)
    by_status = {}
    for status in RegistrationStatus:
        registration = register(db, make_user(), slot).registration
        registration.status = status.value
        by_status[status.value] = registration
    db.session.commit()

    in_sql = set(db.session.scalars(select(Registration.status).where(Registration.is_active)))
    in_python = {status for status, r in by_status.items() if r.is_active}
    assert in_sql == in_python == set(ACTIVE_REGISTRATION) == {"confirmed", "waitlisted"}


@pytest.mark.parametrize("status", list(RegistrationStatus), ids=lambda s: s.value)
def test_one_active_registration_per_person_and_slot_in_the_database(db, make_user, make_event, status):
    """The partial unique index counts exactly the active statuses."""
    user = make_user()
    slot = slot_of(make_event(capacity=10))
    first = register(db, user, slot).registration
    first.status = status.value
    db.session.commit()
    active = first.is_active
    second = Registration(slot_id=slot.id, event_id=slot.event_id, user_id=user.id,
                          status=RegistrationStatus.WAITLISTED.value)
    db.session.add(second)
    if active:
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    else:
        db.session.flush()


# --- the registration window ----------------------------------------------------------


def test_window_opens_and_closes_at_the_events_moments(make_event):
    opens, closes = NOW + timedelta(hours=1), NOW + timedelta(days=2)
    event = make_event(registration_opens_at=opens, registration_closes_at=closes)
    slot = slot_of(event)
    assert event.registration_window(opens - timedelta(seconds=1)) is RegistrationWindow.NOT_YET_OPEN
    assert event.registration_window(opens) is RegistrationWindow.OPEN
    assert event.registration_window(closes) is RegistrationWindow.CLOSED
    assert slot.registration_moments == (opens, closes, SESSION_START)
    assert slot.registration_closes_at == closes


def test_a_slot_closes_when_it_starts_even_without_a_closing_time(make_event):
    slot = slot_of(make_event())
    assert slot.registration_window(SESSION_START - timedelta(seconds=1)) is RegistrationWindow.OPEN
    assert slot.registration_window(SESSION_START) is RegistrationWindow.CLOSED
    assert slot.event.registration_window(SESSION_START) is RegistrationWindow.OPEN  # the event's own window
    assert slot.registration_closes_at == SESSION_START


@pytest.mark.parametrize("hours, code, error", [
    (-1, "opens", "registration_not_open"),   # before it opens
    (1, "register", None),                    # open
    (49, "closed", "registration_closed"),    # after it closed
    (24 * 9 + 8, "closed", "registration_closed"),  # the session has started
])
def test_the_button_and_the_registration_service_agree_with_the_window(make_user, make_event, hours, code, error):
    event = make_event(registration_opens_at=NOW, registration_closes_at=NOW + timedelta(days=2))
    slot = slot_of(event)
    now = NOW + timedelta(hours=hours)
    assert queries.slot_state(slot, now).code == code
    if error is None:
        reg.check_slot_open(slot, now)
    else:
        with pytest.raises(DomainError) as refused:
            reg.check_slot_open(slot, now)
        assert refused.value.code == error


def test_a_cached_page_is_valid_until_the_next_moment_of_the_window(make_event):
    opens = NOW + timedelta(hours=3)
    event = make_event(registration_opens_at=opens, registration_closes_at=NOW + timedelta(days=2))
    assert queries.valid_until(NOW, event.sessions) == opens
    assert queries.valid_until(opens, event.sessions) > opens  # the next midnight
    assert queries.valid_until(NOW + timedelta(days=9), event.sessions) == SESSION_START


# --- the forbidden check --------------------------------------------------------------


def test_ensure_refuses_with_the_forbidden_error(make_user):
    member, staff = make_user(), make_user(Role.STAFF)
    ensure(is_staff, staff)
    ensure("staff", staff)
    with pytest.raises(PermissionDenied) as refused:
        ensure(is_staff, member)
    assert refused.value.code == "forbidden" and refused.value.message is FORBIDDEN_MESSAGE
    with pytest.raises(PermissionDenied) as refused:
        ensure("edit_org", member, None, message="no")
    assert refused.value.message == "no"


def test_only_a_representative_of_a_taking_part_mso_may_cast_a_ballot(
        db, staff, make_org, make_member, make_user):
    listed, chosen, unlisted = make_org(), make_org(), make_org(status="pending")
    everyone = make_round(db, staff)
    some = make_round(db, staff)
    some.all_organisations = False
    some.allowed_organisations = [chosen]
    db.session.commit()
    rep = make_member(listed, role="representative")
    member = make_member(listed)
    assert can_cast_ballot(rep, everyone, listed)
    assert not can_cast_ballot(member, everyone, listed)
    assert not can_cast_ballot(make_member(unlisted, role="representative"), everyone, unlisted)
    assert not can_cast_ballot(rep, some, listed)
    assert can_cast_ballot(make_member(chosen, role="representative"), some, chosen)


def test_ensure_page_answers_403_for_the_current_user(app):
    with app.test_request_context():  # nobody signed in
        with pytest.raises(Forbidden):
            ensure_page(is_staff)
        ensure_page(lambda user: True)


# --- insert, or nothing if the row is there -------------------------------------------


def test_insert_or_ignore_leaves_an_existing_row_alone(db):
    db.session.execute(insert_or_ignore(DataVersion, key=["name"], name="probe", version=1))
    db.session.execute(insert_or_ignore(DataVersion, key=["name"], name="probe", version=2))
    db.session.commit()
    assert db.session.scalars(select(DataVersion.version).where(DataVersion.name == "probe")).all() == [1]
