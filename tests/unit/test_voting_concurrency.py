"""Two representatives of the same MSO save conflicting ballots at the same
moment. Each save runs in its own thread with its own app context, so its
own database session and transaction (as two requests would), on the test
database of the ``app`` fixture (SQLite file or PostgreSQL).

Whatever the timing, the stored ballot is exactly one of the two
submissions as a whole, its total equals the sum of its rows and stays
within the budget, and the other submission was either refused with
``ballot_changed`` or saved first and then replaced whole. With a version
check (both forms showed the same version) exactly one of them is saved.

The stress tests fire both saves behind a barrier, many times; the replay
tests force the bad interleaving: the first save has written everything
but not committed when the second one starts.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from miado_events.errors import DomainError
from miado_events.models.accounts import User
from miado_events.models.orgs import Organisation
from miado_events.models.voting import TopicRound
from miado_events.voting import ballots

from .voting_support import (
    BUDGET,
    DURING_VOTING,
    approved_topics,
    cast,
    make_round,
    stored_ballot,
    stored_points,
)

REPEATS = 20


@pytest.fixture
def voting(db, staff):
    return make_round(db, staff, "voting")


@pytest.fixture
def topics(db, voting):
    return approved_topics(db, voting)


def _submissions(topics) -> tuple[dict[int, int], dict[int, int]]:
    """Two different whole ballots, each within the rules; mixing their rows
    would show (and go over the budget)."""
    a, b, c, d = topics
    return {a.id: 3, b.id: 2}, {b.id: 1, c.id: 3, d.id: 1}


class Save(threading.Thread):
    """One representative's save in its own app context (own session),
    committed at the end. Waits at ``start_line`` (if given) right before
    casting; ``hold`` runs after casting, before the commit."""

    def __init__(self, app, db, name, *, user_id, round_id, org_id, points, expected_version,
                 start_line: threading.Barrier | None = None, hold=None):
        super().__init__(name=name, daemon=True)
        self.app, self.db = app, db
        self.user_id, self.round_id, self.org_id = user_id, round_id, org_id
        self.points, self.expected_version = points, expected_version
        self.start_line, self.hold = start_line, hold
        self.saved = False
        self.code: str | None = None
        self.error: str | None = None

    def run(self):
        db = self.db
        with self.app.app_context():
            try:
                user = db.session.get(User, self.user_id)
                round_ = db.session.get(TopicRound, self.round_id)
                organisation = db.session.get(Organisation, self.org_id)
                if self.start_line is not None:
                    self.start_line.wait(timeout=30)
                ballots.cast(user, round_, organisation, self.points,
                             expected_version=self.expected_version, now=DURING_VOTING)
                if self.hold is not None:
                    self.hold()
                db.session.commit()
                self.saved = True
            except DomainError as exc:
                db.session.rollback()
                self.code = exc.code
            except Exception as exc:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def finish(*saves: Save) -> None:
    for save in saves:
        save.join(timeout=60)
        assert not save.is_alive(), f"{save.name} still running"
    errors = {s.name: s.error for s in saves if s.error}
    assert not errors, errors
    codes = {s.name: s.code for s in saves if s.code}
    assert set(codes.values()) <= {"ballot_changed"}, codes


def wait_until_blocked_or_done(db, save: Save, timeout: float = 10.0) -> None:
    """Until ``save`` waits for a lock held by another transaction, or has
    finished. PostgreSQL shows lock waits in pg_stat_activity; an SQLite
    writer waits invisibly in its busy handler, so there we give it time."""
    if db.engine.dialect.name != "postgresql":
        save.join(timeout=0.5)
        return
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while save.is_alive() and time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)


def assert_one_whole_submission(db, round_, org, saves: list[Save], *, previous_version: int = 0):
    """The stored ballot is one submission whole; its record matches the saves."""
    stored = stored_points(db, round_, org)
    ballot = stored_ballot(db, round_, org)
    assert stored in [s.points for s in saves], stored
    assert ballot.total_points == sum(stored.values()) <= BUDGET
    assert ballot.budget == BUDGET
    saved = [s for s in saves if s.saved]
    assert saved, "neither save went through"
    assert ballot.version == previous_version + len(saved)
    new_changes = ballots.history(ballot)[:len(saved)]
    assert len(ballots.history(ballot)) == previous_version + len(saved)
    # The newest record is what is stored, saved by one of those who saved.
    assert new_changes[0].points == {str(k): v for k, v in stored.items()}
    assert new_changes[0].user_id == ballot.updated_by_id
    assert ballot.updated_by_id in {s.user_id for s in saved}
    assert {c.user_id for c in new_changes} == {s.user_id for s in saved}
    for save in saves:
        assert save.saved or save.code == "ballot_changed"
    return stored, saved


def _mso_with_two_representatives(make_org, make_member, n: int):
    org = make_org(f"Zwei Stimmen {n} e.V.")
    return org, make_member(org, role="representative"), make_member(org, role="representative")


def _race(app, db, round_, org, first, second, points, expected_version) -> list[Save]:
    db.session.commit()  # nothing of the test's own transaction may hold a lock
    start_line = threading.Barrier(2)
    saves = [Save(app, db, f"save-{n}", user_id=user.id, round_id=round_.id, org_id=org.id,
                  points=subm, expected_version=expected_version, start_line=start_line)
             for n, (user, subm) in enumerate(zip((first, second), points))]
    for save in saves:
        save.start()
    finish(*saves)
    return saves


# --- at the same moment, many times --------------------------------------------------------

def test_simultaneous_saves_from_version_zero_store_exactly_one(
        app, db, voting, topics, make_org, make_member):
    submissions = _submissions(topics)
    for n in range(REPEATS):
        org, first, second = _mso_with_two_representatives(make_org, make_member, n)
        saves = _race(app, db, voting, org, first, second, submissions, expected_version=0)
        stored, saved = assert_one_whole_submission(db, voting, org, saves)
        assert len(saved) == 1, [(s.name, s.saved, s.code) for s in saves]
        assert stored == saved[0].points
        assert [s.code for s in saves if not s.saved] == ["ballot_changed"]


def test_simultaneous_saves_without_version_check_leave_one_whole_ballot(
        app, db, voting, topics, make_org, make_member):
    submissions = _submissions(topics)
    for n in range(REPEATS):
        org, first, second = _mso_with_two_representatives(make_org, make_member, n)
        saves = _race(app, db, voting, org, first, second, submissions, expected_version=None)
        assert_one_whole_submission(db, voting, org, saves)


def test_simultaneous_edits_of_an_existing_ballot_store_exactly_one(
        app, db, voting, topics, make_org, make_member):
    submissions = _submissions(topics)
    a, _, _, d = topics
    for n in range(REPEATS // 2):
        org, first, second = _mso_with_two_representatives(make_org, make_member, n)
        cast(db, first, voting, org, {a.id: 1, d.id: 1}, now=DURING_VOTING - timedelta(hours=1))
        saves = _race(app, db, voting, org, first, second, submissions, expected_version=1)
        stored, saved = assert_one_whole_submission(db, voting, org, saves, previous_version=1)
        assert len(saved) == 1
        assert stored == saved[0].points


def test_simultaneous_edits_of_an_existing_ballot_without_version_check(
        app, db, voting, topics, make_org, make_member):
    submissions = _submissions(topics)
    a, _, _, d = topics
    for n in range(REPEATS // 2):
        org, first, second = _mso_with_two_representatives(make_org, make_member, n)
        cast(db, first, voting, org, {a.id: 1, d.id: 1}, now=DURING_VOTING - timedelta(hours=1))
        saves = _race(app, db, voting, org, first, second, submissions, expected_version=None)
        assert_one_whole_submission(db, voting, org, saves, previous_version=1)


# --- the bad interleaving, forced ------------------------------------------------------------

def _replay(app, db, round_, org, first, second, points, expected_version) -> tuple[Save, Save]:
    """``first`` has cast (rows written, not committed) when ``second`` starts."""
    db.session.commit()
    written, go_on = threading.Event(), threading.Event()

    def hold():
        written.set()
        go_on.wait(timeout=30)

    early = Save(app, db, "early", user_id=first.id, round_id=round_.id, org_id=org.id,
                 points=points[0], expected_version=expected_version, hold=hold)
    late = Save(app, db, "late", user_id=second.id, round_id=round_.id, org_id=org.id,
                points=points[1], expected_version=expected_version)
    early.start()
    assert written.wait(timeout=30)
    late.start()
    wait_until_blocked_or_done(db, late)
    go_on.set()
    finish(early, late)
    return early, late


@pytest.mark.parametrize("existing", [False, True], ids=["new-ballot", "existing-ballot"])
def test_second_save_from_the_same_version_is_refused_while_the_first_is_in_flight(
        app, db, voting, topics, make_org, make_member, existing):
    org, first, second = _mso_with_two_representatives(make_org, make_member, 0)
    version = 0
    if existing:
        cast(db, first, voting, org, {topics[0].id: 1}, now=DURING_VOTING - timedelta(hours=1))
        version = 1
    early, late = _replay(app, db, voting, org, first, second, _submissions(topics), version)
    assert early.saved and late.code == "ballot_changed"
    stored, _ = assert_one_whole_submission(db, voting, org, [early, late], previous_version=version)
    assert stored == early.points


@pytest.mark.parametrize("existing", [False, True], ids=["new-ballot", "existing-ballot"])
def test_second_save_without_version_check_replaces_the_first_whole(
        app, db, voting, topics, make_org, make_member, existing):
    org, first, second = _mso_with_two_representatives(make_org, make_member, 0)
    version = 0
    if existing:
        cast(db, first, voting, org, {topics[0].id: 1}, now=DURING_VOTING - timedelta(hours=1))
        version = 1
    early, late = _replay(app, db, voting, org, first, second, _submissions(topics), None)
    assert early.saved and late.saved
    stored, _ = assert_one_whole_submission(db, voting, org, [early, late], previous_version=version)
    assert stored == late.points
    assert stored_ballot(db, voting, org).updated_by_id == second.id
