"""An offered seat under concurrency: the person accepts at the very moment
the expiry job runs (two transactions, each in its own thread and session,
in a chosen order). Exactly one wins: either the person is confirmed and
the job passes nothing on, or the job passes the seat on and the acceptance
is refused. Never both, never a seat counted twice. Runs on SQLite and, with
DATABASE_URL, on PostgreSQL (where the second transaction waits on the
offer's row lock; the test checks that it really waited)."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from miado_events.errors import DomainError
from miado_events.events import offers
from miado_events.events import registration as reg
from miado_events.models.events import Registration, Slot
from miado_events.models.offers import WaitlistOffer

from ..integration.test_concurrency import Request, finish, wait_until_blocked_or_done
from .events_support import NOW, slot_of


def _world(db, make_user, make_event):
    """One seat (offered to ``first``), ``second`` waiting behind them."""
    event = make_event(capacity=1, waitlist_mode="offer", offer_hours=24)
    slot = slot_of(event)
    people = [make_user() for _ in range(3)]
    registrations = []
    for person in people:
        registrations.append(reg.register_participant(person, person, slot, now=NOW).registration)
        db.session.commit()
    seated, first, second = registrations
    reg.cancel_registration(seated.user, seated, now=NOW)
    db.session.commit()
    offer = offers.open_offer(first)
    assert offer is not None
    return slot.id, offer.id, offer.expires_at, first.id, second.id


def _state(db, slot_id):
    db.session.rollback()
    confirmed = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.slot_id == slot_id, Registration.status == "confirmed"))
    open_offers = db.session.scalar(select(func.count()).select_from(WaitlistOffer).where(
        WaitlistOffer.slot_id == slot_id, WaitlistOffer.state == "open"))
    counter = db.session.get(Slot, slot_id).confirmed_count
    return confirmed, open_offers, counter


class Held(Request):
    """A request that does its work, then waits (transaction open) until released."""

    def __init__(self, app, db, name, work):
        self.done, self.go_on = threading.Event(), threading.Event()

        def held():
            try:
                work()
            finally:
                self.done.set()
            self.go_on.wait(timeout=30)

        super().__init__(app, db, name, held)


def test_accepting_while_the_expiry_job_runs_confirms_once(app, db, make_user, make_event):
    slot_id, offer_id, deadline, first_id, second_id = _world(db, make_user, make_event)
    accept = Held(app, db, "accept", lambda: offers.accept(db.session.get(WaitlistOffer, offer_id),
                                                            now=deadline - timedelta(seconds=1)))
    expired = []
    expire = Request(app, db, "expire", lambda: expired.append(
        offers.expire_offers(now=deadline + timedelta(seconds=1))))
    accept.start()
    assert accept.done.wait(timeout=30)
    expire.start()
    wait_until_blocked_or_done(db, expire)
    if db.engine.dialect.name == "postgresql":
        assert expire.is_alive(), "the expiry job should wait for the acceptance's lock"
    accept.go_on.set()
    finish(accept, expire)

    assert expired == [0]
    assert db.session.get(Registration, first_id).status == "confirmed"
    assert db.session.get(Registration, second_id).status == "waitlisted"
    assert _state(db, slot_id) == (1, 0, 1)


def test_the_expiry_job_winning_refuses_the_late_acceptance(app, db, make_user, make_event):
    slot_id, offer_id, deadline, first_id, second_id = _world(db, make_user, make_event)
    expired = []
    expire = Held(app, db, "expire", lambda: expired.append(
        offers.expire_offers(now=deadline + timedelta(seconds=1))))
    refused = []

    def try_accept():
        try:
            offers.accept(db.session.get(WaitlistOffer, offer_id), now=deadline - timedelta(seconds=1))
        except DomainError as err:
            refused.append(err.code)
            db.session.rollback()

    accept = Request(app, db, "accept", try_accept)
    expire.start()
    assert expire.done.wait(timeout=30)
    accept.start()
    wait_until_blocked_or_done(db, accept)
    if db.engine.dialect.name == "postgresql":
        assert accept.is_alive(), "the acceptance should wait for the expiry job's lock"
    expire.go_on.set()
    finish(expire, accept)

    assert expired == [1]
    assert refused == ["offer_expired"]
    assert db.session.get(Registration, first_id).status == "cancelled"
    second = db.session.get(Registration, second_id)
    assert second.status == "waitlisted" and offers.open_offer(second) is not None
    assert _state(db, slot_id) == (0, 1, 1)  # the seat is held once, for the next person
