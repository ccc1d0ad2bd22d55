"""Factory fixtures shared by the unit tests (registry and events)."""
from __future__ import annotations

from datetime import time, timedelta
from itertools import count

import pytest

from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role
from miado_events.models.events import Event
from miado_events.models.orgs import Membership, Organisation

from .events_support import NOW, ONLINE, SESSION_DAY


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF)



@pytest.fixture
def rep(make_user):
    """A member who will speak for an MSO (the tests make them representative)."""
    return make_user(email="rep@example.org")


@pytest.fixture
def make_org(db):
    """Factory: an MSO (listed unless told otherwise), committed."""
    numbers = count(1)

    def make(name: str | None = None, status: str = "listed") -> Organisation:
        org = Organisation(name=name or f"MSO {next(numbers)} e.V.", legal_form="ev", status=status)
        db.session.add(org)
        db.session.commit()
        return org

    return make



@pytest.fixture
def join(db):
    """Factory: ``user`` joins ``org`` (active member unless told otherwise)."""

    def do_join(user, org, role: str = "member", status: str = "active") -> Membership:
        membership = Membership(organisation=org, user=user, role=role, status=status)
        db.session.add(membership)
        db.session.commit()
        return membership

    return do_join



@pytest.fixture
def make_member(make_user, join):
    """Factory: a new user who is an active member (or representative) of ``org``."""

    def make(org, role: str = "member", **user_kwargs):
        user = make_user(**user_kwargs)
        join(user, org, role)
        return user

    return make



@pytest.fixture
def make_event(db, staff):
    """Factory: an event with weekly sessions from SESSION_DAY (18:00–20:00
    Berlin, online), published unless told otherwise, committed."""

    def make(kind: str = "seminar", capacity: int = 2, sessions: int = 1, publish: bool = True,
             **fields) -> Event:
        data = EventData(kind=kind, title=f"Test {kind}", capacity=capacity, **fields)
        event = services.create_event(staff, data, now=NOW - timedelta(days=30))
        for week in range(sessions):
            services.add_session(staff, event, SessionData(
                day=SESSION_DAY + timedelta(weeks=week), start=time(18), end=time(20),
                online_url=ONLINE))
        if publish:
            services.publish_event(staff, event, now=NOW - timedelta(days=30))
        db.session.commit()
        return event

    return make



@pytest.fixture
def org(make_org):
    return make_org("Kulturbrücke Dortmund e.V.")



@pytest.fixture
def other_org(make_org):
    return make_org("Brückenbauer Eving e.V.")

