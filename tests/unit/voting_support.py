"""Shared set-up for the topic-voting unit tests: a round whose dates lie
around the frozen ``NOW`` of the events tests, a helper that moves a round
to a phase by hand, and helpers that put topics on a round.

Default round (all times UTC):

* proposals open  NOW - 1 day
* moderation      NOW + 7 days   (proposals close)
* voting opens    NOW + 14 days
* voting closes   NOW + 21 days
* results         NOW + 28 days
* 5 points per MSO, at most 3 on one topic.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, update

from miado_events.models.voting import (
    Ballot,
    BallotChange,
    BallotPoints,
    Topic,
    TopicRound,
    TopicStatus,
)
from miado_events.voting import ballots, services
from miado_events.voting.services import RoundData, TopicData

from .events_support import NOW

PROPOSALS_OPEN = NOW - timedelta(days=1)
MODERATION = NOW + timedelta(days=7)
VOTING_OPENS = NOW + timedelta(days=14)
VOTING_CLOSES = NOW + timedelta(days=21)
RESULTS = NOW + timedelta(days=28)
DURING_VOTING = VOTING_OPENS + timedelta(days=1)

BUDGET = 5
MAX_PER_TOPIC = 3


def round_data(**overrides) -> RoundData:
    data = RoundData(title="Themenrunde Herbst 2027", proposals_open_at=PROPOSALS_OPEN,
                     moderation_at=MODERATION, voting_opens_at=VOTING_OPENS,
                     voting_closes_at=VOTING_CLOSES, results_at=RESULTS,
                     points_budget=BUDGET, max_per_topic=MAX_PER_TOPIC)
    return replace(data, **overrides)


def make_round(db, staff, phase: str | None = None, *, now=NOW, **overrides) -> TopicRound:
    """A committed round (draft, or moved to ``phase`` by hand)."""
    round_ = services.create_round(staff, round_data(**overrides), now=now - timedelta(days=10))
    db.session.commit()
    if phase is not None:
        move_to(db, staff, round_, phase, now=now)
    return round_


def move_to(db, staff, round_: TopicRound, phase: str, *, now=NOW) -> None:
    """Staff set the phase by hand (its mails go out once), committed."""
    services.set_phase(staff, round_, phase, now=now)
    db.session.commit()


def add_topic(db, round_: TopicRound, title: str = "Topic", *, status: str = TopicStatus.APPROVED.value,
              org=None, proposer=None, merged_into: Topic | None = None, description: str = "About it",
              why: str | None = None, languages=(), commit: bool = True) -> Topic:
    """A topic written straight into the round (any phase, any status)."""
    topic = Topic(round_id=round_.id, organisation_id=org.id if org else None,
                  proposer_id=proposer.id if proposer else None, title=title, description=description,
                  why=why, languages=list(languages), format="evening", status=status,
                  merged_into_id=merged_into.id if merged_into else None, created_at=NOW)
    db.session.add(topic)
    db.session.flush()
    if commit:
        db.session.commit()
    return topic


def approved_topics(db, round_: TopicRound, *titles: str, org=None, proposer=None) -> list[Topic]:
    """Approved topics with these titles (default: four, "Topic A" … "Topic D")."""
    titles = titles or ("Topic A", "Topic B", "Topic C", "Topic D")
    return [add_topic(db, round_, title, org=org, proposer=proposer) for title in titles]


def topic_data(title: str = "Vereinsfinanzen", **overrides) -> TopicData:
    return replace(TopicData(title=title, description="Förderanträge und Buchhaltung",
                             why="Wir brauchen Geld", languages=["de", "tr"], format="evening"),
                   **overrides)


def cast(db, rep, round_, org, points: dict, *, now=DURING_VOTING, expected_version=None) -> Ballot:
    """Set-up helper: cast and commit."""
    ballot = ballots.cast(rep, round_, org, points, expected_version=expected_version, now=now)
    db.session.commit()
    return ballot


# --- reading back what is stored ------------------------------------------------------

def stored_ballot(db, round_: TopicRound, org) -> Ballot | None:
    db.session.expire_all()
    return db.session.scalar(select(Ballot).where(Ballot.round_id == round_.id,
                                                  Ballot.organisation_id == org.id))


def stored_points(db, round_: TopicRound, org) -> dict[int, int]:
    return ballots.points_of(stored_ballot(db, round_, org))


def row_count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def nothing_stored(db) -> bool:
    return row_count(db, Ballot) == row_count(db, BallotPoints) == row_count(db, BallotChange) == 0


def unmerge_all(db) -> None:
    """Teardown helper. A merged topic points at the topic it was merged into
    (``merged_into_id``, ON DELETE SET NULL) and the CHECK ``merged_has_target``
    forbids that pointer to become NULL: so on SQLite the suite's per-test
    ``DELETE FROM topics`` fails once a merged topic exists. Turn merged
    topics into rejected ones before the next test empties the tables."""
    db.session.rollback()
    db.session.execute(update(Topic).where(Topic.status == TopicStatus.MERGED.value)
                       .values(status=TopicStatus.REJECTED.value, merged_into_id=None))
    db.session.commit()


def recipients(outbox) -> list[str]:
    return sorted(m["To"] for m in outbox)


def subjects(outbox) -> list[str]:
    return [m["Subject"] for m in outbox]
