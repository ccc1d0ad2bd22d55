"""What one door sync costs in SQL statements, and how that grows with the
batch: the scanner sends one ticket at a time when online and its whole
queue (up to 500 items) after working offline. Counted for the whole
request: log-in, the session, every item, the counter.

Before the sync was made lean (issue #21, point 2) one item cost 14
statements and each further item 9 more (a savepoint per item and another
around the check-in, a ledger lookup per item, the session and its event
in two statements, the counter in two COUNTs)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from miado_events.checkin import tickets
from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.checkin import Attendance, CheckinScan, DoorAssignment
from miado_events.models.events import Registration

from ..conftest import count_statements
from .test_event_views import add_member, add_registration, make_event, make_org, slot_of

#: Statements of a sync request with one fresh check-in, and per further item.
ONE_ITEM = 10
PER_ITEM = 3


@pytest.fixture
def event(db):
    return make_event(db, "Vernetzungscafé heute", [utcnow() - timedelta(minutes=30)], capacity=100)


@pytest.fixture
def door(db, make_user, event):
    user = make_user(Role.DOOR, name="Doris Door")
    db.session.add(DoorAssignment(event_id=event.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def tickets_for(db, make_user, event):
    """``n`` confirmed registrations (with an MSO each), as ticket URLs."""
    org = make_org(db, "Kulturbrücke Dortmund e.V.")
    made = []

    def make(n: int) -> list[str]:
        urls = []
        for _ in range(n):
            person = make_user(name=f"Gast {len(made) + 1:02d}")
            add_member(db, person, org)
            add_registration(db, person, slot_of(db, event), org=org)
            registration = db.session.scalar(select(Registration).where(Registration.user_id == person.id))
            made.append(registration.id)
            urls.append(tickets.ticket_url(registration))
        return urls

    return make


def statements_of_sync(client, db, session_id: int, items: list[dict]) -> tuple[int, dict]:
    db.session.remove()  # nothing cached in the test's session: count what a fresh request costs
    with count_statements(db.engine) as statements:
        response = client.post(f"/door/api/sessions/{session_id}/sync", json={"items": items})
    assert response.status_code == 200
    return len(statements), response.get_json()


def test_a_sync_of_one_and_of_twenty_fresh_check_ins_costs_a_pinned_number_of_statements(
        db, client, login, door, event, tickets_for):
    session_id = event.sessions[0].id
    login(door)
    one = tickets_for(1)
    twenty = tickets_for(20)

    single, body = statements_of_sync(client, db, session_id, [{"ref": "one", "scan": one[0]}])
    assert [r["outcome"] for r in body["results"]] == ["checked_in"]
    assert body["counts"] == {"checked_in": 1, "confirmed": 21}

    batch, body = statements_of_sync(client, db, session_id,
                                     [{"ref": f"b{n}", "scan": url} for n, url in enumerate(twenty)])
    assert [r["outcome"] for r in body["results"]] == ["checked_in"] * 20
    assert body["counts"] == {"checked_in": 21, "confirmed": 21}
    print(f"\ndoor sync statements: 1 item {single}, 20 items {batch}")
    assert single == ONE_ITEM
    assert batch == ONE_ITEM + 19 * PER_ITEM
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Attendance.id))) == 21
    assert db.session.scalar(select(func.count(CheckinScan.id))) == 21


def test_a_replayed_batch_costs_no_more_than_a_fresh_one(db, client, login, door, event, tickets_for):
    session_id = event.sessions[0].id
    login(door)
    items = [{"ref": f"r{n}", "scan": url} for n, url in enumerate(tickets_for(20))]
    fresh, _body = statements_of_sync(client, db, session_id, items)
    again, body = statements_of_sync(client, db, session_id, items)
    assert [(r["outcome"], r["replayed"]) for r in body["results"]] == [("checked_in", True)] * 20
    assert body["counts"] == {"checked_in": 20, "confirmed": 20}
    print(f"\ndoor sync statements, 20 items: fresh {fresh}, replayed {again}")
    assert again <= fresh


# --- two scanners at the same moment (no savepoint per item: the index decides) ----------------

def _sync_in_thread(app, db, name: str, user_id: int, session_id: int, items: list[dict], answers: dict,
                    hold: tuple | None = None):
    """A sync request in its own thread, app context and transaction; with
    ``hold`` (done, go_on) it waits after the sync, before its commit."""
    from miado_events.checkin import ledger
    from miado_events.models.accounts import User
    from miado_events.models.events import EventSession

    from .test_concurrency import Request

    def work():
        answers[name] = ledger.sync(db.session.get(User, user_id), db.session.get(EventSession, session_id),
                                    items)
        if hold is not None:
            hold[0].set()
            hold[1].wait(timeout=30)

    return Request(app, db, name, work)


@pytest.mark.parametrize("second_ref", ["same", "other"], ids=["same-item", "same-person"])
def test_two_scanners_at_the_same_moment_record_one_check_in(app, db, door, event, tickets_for, second_ref):
    """The first scanner's transaction is still open when the second sends the
    same item (a queue sent twice) or another scan of the same ticket. The
    second waits for the first and then answers from what it recorded: the
    stored answer (same ref) or "already checked in"; one check-in either way."""
    import threading

    from .test_concurrency import finish, wait_until_blocked_or_done

    [url] = tickets_for(1)
    session_id, door_id = event.sessions[0].id, door.id
    answers: dict = {}
    done, go_on = threading.Event(), threading.Event()
    first = _sync_in_thread(app, db, "first", door_id, session_id, [{"ref": "same", "scan": url}], answers,
                            hold=(done, go_on))
    second = _sync_in_thread(app, db, "second", door_id, session_id, [{"ref": second_ref, "scan": url}], answers)
    first.start()
    assert done.wait(timeout=30)
    second.start()
    wait_until_blocked_or_done(db, second)
    go_on.set()
    finish(first, second)

    assert answers["first"][0]["outcome"] == "checked_in"
    [answer] = answers["second"]
    if second_ref == "same":
        assert (answer["outcome"], answer.get("replayed")) == ("checked_in", True)
    else:
        assert answer["outcome"] == "already_checked_in" and "replayed" not in answer
    assert answer["checked_in_at"] == answers["first"][0]["checked_in_at"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Attendance.id))) == 1
    assert db.session.scalar(select(func.count(CheckinScan.id))) == (1 if second_ref == "same" else 2)
