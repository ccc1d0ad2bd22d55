"""The MSO's ballot (``voting.ballots.cast``): budget and per-topic limits,
which topics can get points, who may cast it and when, whole-ballot edits,
the version check, and the database constraints behind the rules. Called
on the service directly with frozen time; a refused ballot stores nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from miado_events.errors import DomainError, PermissionDenied
from miado_events.models.voting import Ballot, BallotChange, BallotPoints, TopicStatus
from miado_events.voting import ballots

from .events_support import assert_code
from .voting_support import (
    BUDGET,
    DURING_VOTING,
    MAX_PER_TOPIC,
    VOTING_CLOSES,
    add_topic,
    approved_topics,
    cast,
    make_round,
    move_to,
    nothing_stored,
    stored_ballot,
    stored_points,
    unmerge_all,
)


@pytest.fixture(autouse=True)
def _unmerge_at_teardown(db):
    yield
    unmerge_all(db)


@pytest.fixture
def voting(db, staff):
    """A round in its voting phase (5 points, at most 3 on one topic)."""
    return make_round(db, staff, "voting")


@pytest.fixture
def topics(db, voting):
    return approved_topics(db, voting)


@pytest.fixture
def representative(make_member, org):
    return make_member(org, role="representative")


def _refused(exc_type, rep, round_, org, points, **kwargs):
    with pytest.raises(exc_type) as exc:
        ballots.cast(rep, round_, org, points, now=DURING_VOTING, **kwargs)
    return exc


# --- budget and per-topic limits ---------------------------------------------------------

def test_ballot_using_the_whole_budget_is_saved(db, voting, topics, representative, org):
    a, b, c, _ = topics
    ballot = cast(db, representative, voting, org, {a.id: 3, b.id: 1, c.id: 1})
    assert ballot.total_points == BUDGET
    assert stored_points(db, voting, org) == {a.id: 3, b.id: 1, c.id: 1}


def test_over_budget_is_refused_and_nothing_is_stored(db, voting, topics, representative, org):
    a, b, _, _ = topics
    exc = _refused(DomainError, representative, voting, org, {a.id: 3, b.id: 3})
    assert_code(exc, "over_budget")
    db.session.commit()  # whatever the service left in the session
    assert nothing_stored(db)


def test_over_the_per_topic_maximum_is_refused(db, voting, topics, representative, org):
    exc = _refused(DomainError, representative, voting, org, {topics[0].id: MAX_PER_TOPIC + 1})
    assert_code(exc, "over_topic_max")
    db.session.commit()
    assert nothing_stored(db)


def test_negative_points_are_refused(db, voting, topics, representative, org):
    a, b, _, _ = topics
    exc = _refused(DomainError, representative, voting, org, {a.id: 3, b.id: -1})
    assert_code(exc, "points_negative")
    db.session.commit()
    assert nothing_stored(db)


@pytest.mark.parametrize("value", ["drei", "", " ", None, "2.5", "1e1", [1], {}])
def test_points_that_are_not_whole_numbers_are_refused(db, voting, topics, representative, org, value):
    exc = _refused(DomainError, representative, voting, org, {topics[0].id: value})
    assert_code(exc, "points_invalid")
    db.session.commit()
    assert nothing_stored(db)


@pytest.mark.parametrize("value", [2.5, 1.9])
def test_fractional_points_are_refused_not_rounded(db, voting, topics, representative, org, value):
    """A script passing a float must not have 2.5 silently stored as 2."""
    exc = _refused(DomainError, representative, voting, org, {topics[0].id: value})
    assert_code(exc, "points_invalid")
    db.session.commit()
    assert nothing_stored(db)


def test_topic_key_that_is_not_a_number_is_refused(db, voting, topics, representative, org):
    exc = _refused(DomainError, representative, voting, org, {"topic-a": 1})
    assert_code(exc, "points_invalid")
    db.session.commit()
    assert nothing_stored(db)


def test_numbers_given_as_text_are_accepted(db, voting, topics, representative, org):
    """The form sends text: "3" counts as 3, "0" as nothing."""
    a, b, _, _ = topics
    cast(db, representative, voting, org, {str(a.id): "3", str(b.id): "0"})
    assert stored_points(db, voting, org) == {a.id: 3}


def test_zero_points_store_no_row(db, voting, topics, representative, org):
    a, b, c, d = topics
    ballot = cast(db, representative, voting, org, {a.id: 2, b.id: 0, c.id: 0, d.id: 0})
    assert stored_points(db, voting, org) == {a.id: 2}
    assert ballot.total_points == 2


# --- which topics can get points -----------------------------------------------------------

def test_topic_of_another_round_is_refused(db, staff, voting, topics, representative, org):
    other_round = make_round(db, staff, "voting", title="Andere Runde")
    foreign = add_topic(db, other_round, "Foreign topic")
    exc = _refused(DomainError, representative, voting, org, {topics[0].id: 1, foreign.id: 1})
    assert_code(exc, "topic_invalid")
    db.session.commit()
    assert nothing_stored(db)


@pytest.mark.parametrize("status", [TopicStatus.PENDING.value, TopicStatus.REJECTED.value,
                                    TopicStatus.MERGED.value])
def test_topic_that_is_not_approved_is_refused(db, voting, topics, representative, org, status):
    topic = add_topic(db, voting, f"A {status} topic", status=status,
                      merged_into=topics[0] if status == TopicStatus.MERGED.value else None)
    exc = _refused(DomainError, representative, voting, org, {topic.id: 1})
    assert_code(exc, "topic_invalid")
    db.session.commit()
    assert nothing_stored(db)


def test_unknown_topic_is_refused(db, voting, topics, representative, org):
    exc = _refused(DomainError, representative, voting, org, {max(t.id for t in topics) + 100: 1})
    assert_code(exc, "topic_invalid")
    db.session.commit()
    assert nothing_stored(db)


def test_refused_edit_keeps_the_saved_ballot(db, voting, topics, representative, org):
    a, b, _, _ = topics
    cast(db, representative, voting, org, {a.id: 2})
    exc = _refused(DomainError, representative, voting, org, {a.id: 3, b.id: 3})
    assert_code(exc, "over_budget")
    db.session.commit()
    ballot = stored_ballot(db, voting, org)
    assert (ballot.version, ballot.total_points) == (1, 2)
    assert stored_points(db, voting, org) == {a.id: 2}
    assert len(ballots.history(ballot)) == 1


# --- a valid ballot and its record ---------------------------------------------------------

def test_valid_ballot_stores_points_total_and_a_change_record(db, voting, topics, representative, org):
    a, b, _, _ = topics
    ballot = cast(db, representative, voting, org, {a.id: 3, b.id: 2}, now=DURING_VOTING)
    ballot = stored_ballot(db, voting, org)
    assert ballot.total_points == 5
    assert ballot.budget == BUDGET
    assert ballot.version == 1
    assert ballot.updated_by_id == representative.id
    assert ballot.updated_at == DURING_VOTING
    rows = db.session.scalars(select(BallotPoints).where(BallotPoints.ballot_id == ballot.id)).all()
    assert {(r.topic_id, r.points, r.max_points) for r in rows} == {
        (a.id, 3, MAX_PER_TOPIC), (b.id, 2, MAX_PER_TOPIC)}
    [change] = ballots.history(ballot)
    assert change.user_id == representative.id
    assert change.changed_at == DURING_VOTING
    assert change.points == {str(a.id): 3, str(b.id): 2}


def test_edit_replaces_the_whole_ballot(db, voting, topics, representative, org):
    """Topics left out of the new ballot drop to zero (no row)."""
    a, b, c, _ = topics
    cast(db, representative, voting, org, {a.id: 3, b.id: 2})
    later = DURING_VOTING + timedelta(days=2)
    ballot = cast(db, representative, voting, org, {c.id: 1}, now=later)
    assert stored_points(db, voting, org) == {c.id: 1}
    ballot = stored_ballot(db, voting, org)
    assert (ballot.total_points, ballot.version, ballot.updated_at) == (1, 2, later)
    newest, first = ballots.history(ballot)
    assert newest.points == {str(c.id): 1} and newest.changed_at == later
    assert first.points == {str(a.id): 3, str(b.id): 2}


def test_other_representative_can_change_the_ballot_and_is_recorded(
        db, voting, topics, representative, make_member, org):
    a, b, _, _ = topics
    colleague = make_member(org, role="representative")
    cast(db, representative, voting, org, {a.id: 3})
    cast(db, colleague, voting, org, {b.id: 3}, expected_version=1)
    ballot = stored_ballot(db, voting, org)
    assert ballot.updated_by_id == colleague.id
    assert [c.user_id for c in ballots.history(ballot)] == [colleague.id, representative.id]


def test_empty_ballot_is_saved_with_total_zero(db, voting, topics, representative, org):
    a, _, _, _ = topics
    cast(db, representative, voting, org, {a.id: 2})
    ballot = cast(db, representative, voting, org, {})
    assert ballot.total_points == 0
    assert stored_points(db, voting, org) == {}


def test_ballot_can_be_changed_until_voting_closes(db, staff, voting, topics, representative, org):
    a, b, _, _ = topics
    cast(db, representative, voting, org, {a.id: 1}, now=VOTING_CLOSES - timedelta(seconds=1))
    move_to(db, staff, voting, "closed", now=VOTING_CLOSES)
    with pytest.raises(DomainError) as exc:
        ballots.cast(representative, voting, org, {b.id: 1}, now=VOTING_CLOSES)
    assert_code(exc, "voting_closed")
    db.session.commit()
    assert stored_points(db, voting, org) == {a.id: 1}
    assert stored_ballot(db, voting, org).version == 1


# --- when ------------------------------------------------------------------------------------

@pytest.mark.parametrize("phase", ["draft", "proposals", "moderation"])
def test_no_ballot_before_voting(db, staff, voting, topics, representative, org, phase):
    move_to(db, staff, voting, phase)
    exc = _refused(DomainError, representative, voting, org, {topics[0].id: 1})
    assert_code(exc, "voting_closed")
    db.session.commit()
    assert nothing_stored(db)


@pytest.mark.parametrize("phase", ["closed", "published"])
def test_no_ballot_after_voting(db, staff, voting, topics, representative, org, phase):
    move_to(db, staff, voting, phase)
    exc = _refused(DomainError, representative, voting, org, {topics[0].id: 1})
    assert_code(exc, "voting_closed")
    db.session.commit()
    assert nothing_stored(db)


def test_can_vote_only_during_voting(db, staff, voting, representative, org):
    assert ballots.can_vote(representative, voting, org)
    move_to(db, staff, voting, "closed")
    assert not ballots.can_vote(representative, voting, org)


# --- who ------------------------------------------------------------------------------------

def test_plain_member_cannot_cast_the_ballot(db, voting, topics, make_member, org):
    member = make_member(org)
    exc = _refused(PermissionDenied, member, voting, org, {topics[0].id: 1})
    assert_code(exc, "not_representative")
    assert not ballots.can_vote(member, voting, org)
    db.session.commit()
    assert nothing_stored(db)


def test_representative_of_another_mso_cannot_cast_this_msos_ballot(
        db, voting, topics, make_member, org, other_org):
    stranger = make_member(other_org, role="representative")
    exc = _refused(PermissionDenied, stranger, voting, org, {topics[0].id: 1})
    assert_code(exc, "not_representative")
    db.session.commit()
    assert nothing_stored(db)


def test_staff_cannot_cast_an_msos_ballot(db, staff, voting, topics, org):
    exc = _refused(PermissionDenied, staff, voting, org, {topics[0].id: 1})
    assert_code(exc, "not_representative")


def test_representative_whose_membership_is_only_requested_cannot_vote(
        db, voting, topics, make_user, join, org):
    applicant = make_user()
    join(applicant, org, role="representative", status="requested")
    exc = _refused(PermissionDenied, applicant, voting, org, {topics[0].id: 1})
    assert_code(exc, "not_representative")


def test_mso_left_out_of_a_restricted_round_cannot_vote(db, staff, make_member, org, other_org):
    restricted = make_round(db, staff, "voting", organisation_ids=[org.id])
    topic = add_topic(db, restricted, "Only for some")
    outsider = make_member(other_org, role="representative")
    exc = _refused(PermissionDenied, outsider, restricted, other_org, {topic.id: 1})
    assert_code(exc, "not_eligible")
    assert not ballots.can_vote(outsider, restricted, other_org)
    db.session.commit()
    assert nothing_stored(db)
    insider = make_member(org, role="representative")
    cast(db, insider, restricted, org, {topic.id: 1})
    assert stored_points(db, restricted, org) == {topic.id: 1}


def test_mso_that_is_not_listed_cannot_vote(db, voting, topics, make_org, make_member):
    pending = make_org("Noch nicht gelistet e.V.", status="pending")
    rep = make_member(pending, role="representative")
    exc = _refused(PermissionDenied, rep, voting, pending, {topics[0].id: 1})
    assert_code(exc, "not_eligible")


# --- the version a form was based on ---------------------------------------------------------

def test_first_save_from_version_zero(db, voting, topics, representative, org):
    cast(db, representative, voting, org, {topics[0].id: 1}, expected_version=0)
    assert stored_ballot(db, voting, org).version == 1


def test_stale_version_is_refused_and_nothing_changes(
        db, voting, topics, representative, make_member, org):
    a, b, _, _ = topics
    colleague = make_member(org, role="representative")
    cast(db, representative, voting, org, {a.id: 3}, expected_version=0)
    with pytest.raises(DomainError) as exc:
        ballots.cast(colleague, voting, org, {b.id: 2}, expected_version=0, now=DURING_VOTING)
    assert_code(exc, "ballot_changed")
    db.session.commit()
    ballot = stored_ballot(db, voting, org)
    assert (ballot.version, ballot.total_points, ballot.updated_by_id) == (1, 3, representative.id)
    assert stored_points(db, voting, org) == {a.id: 3}
    assert len(ballots.history(ballot)) == 1


def test_same_form_sent_twice_is_saved_once(db, voting, topics, representative, org):
    a, _, _, _ = topics
    cast(db, representative, voting, org, {a.id: 2}, expected_version=0)
    with pytest.raises(DomainError) as exc:
        ballots.cast(representative, voting, org, {a.id: 2}, expected_version=0, now=DURING_VOTING)
    assert_code(exc, "ballot_changed")
    db.session.rollback()
    assert len(ballots.history(stored_ballot(db, voting, org))) == 1


def test_version_from_the_future_is_refused_and_no_ballot_appears(db, voting, topics, representative, org):
    with pytest.raises(DomainError) as exc:
        ballots.cast(representative, voting, org, {topics[0].id: 1}, expected_version=3, now=DURING_VOTING)
    assert_code(exc, "ballot_changed")
    db.session.rollback()  # as the view does on a DomainError
    assert nothing_stored(db)


def test_current_version_is_accepted(db, voting, topics, representative, org):
    a, b, _, _ = topics
    cast(db, representative, voting, org, {a.id: 3}, expected_version=0)
    cast(db, representative, voting, org, {b.id: 3}, expected_version=1)
    assert stored_ballot(db, voting, org).version == 2
    assert stored_points(db, voting, org) == {b.id: 3}


# --- the database keeps the rules too ---------------------------------------------------------

def _ballot_row(db, round_, org, **fields) -> Ballot:
    values = {"round_id": round_.id, "organisation_id": org.id, "budget": BUDGET, "total_points": 0, "version": 0}
    values.update(fields)
    ballot = Ballot(**values)
    db.session.add(ballot)
    db.session.flush()
    return ballot


def test_database_refuses_a_ballot_total_over_its_budget(db, voting, org):
    with pytest.raises(IntegrityError):
        _ballot_row(db, voting, org, total_points=BUDGET + 1)
    db.session.rollback()
    assert nothing_stored(db)


def test_database_refuses_a_negative_ballot_total(db, voting, org):
    with pytest.raises(IntegrityError):
        _ballot_row(db, voting, org, total_points=-1)
    db.session.rollback()


def test_database_refuses_points_above_the_maximum(db, voting, topics, org):
    ballot = _ballot_row(db, voting, org, total_points=4)
    db.session.commit()
    db.session.add(BallotPoints(ballot_id=ballot.id, topic_id=topics[0].id, points=MAX_PER_TOPIC + 1,
                                max_points=MAX_PER_TOPIC))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(BallotPoints)).all() == []


@pytest.mark.parametrize("points", [0, -1])
def test_database_refuses_points_below_one(db, voting, topics, org, points):
    ballot = _ballot_row(db, voting, org)
    db.session.commit()
    db.session.add(BallotPoints(ballot_id=ballot.id, topic_id=topics[0].id, points=points,
                                max_points=MAX_PER_TOPIC))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_a_second_ballot_of_the_same_mso(db, voting, org):
    _ballot_row(db, voting, org)
    db.session.commit()
    with pytest.raises(IntegrityError):
        _ballot_row(db, voting, org)
    db.session.rollback()
    assert len(db.session.scalars(select(Ballot)).all()) == 1


def test_points_of_no_ballot_is_empty():
    assert ballots.points_of(None) == {}


def test_history_is_newest_first(db, voting, topics, representative, org):
    a, b, c, _ = topics
    for n, topic in enumerate((a, b, c)):
        cast(db, representative, voting, org, {topic.id: 1}, now=DURING_VOTING + timedelta(hours=n))
    history = ballots.history(stored_ballot(db, voting, org))
    assert [h.points for h in history] == [{str(c.id): 1}, {str(b.id): 1}, {str(a.id): 1}]
    assert db.session.query(BallotChange).count() == 3
