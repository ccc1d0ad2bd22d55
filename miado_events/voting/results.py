"""Counting a round: points and supporting MSOs per topic, ranks with ties,
turnout. The sums are computed in SQL."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models.voting import Ballot, BallotPoints, Phase, Topic, TopicRound, TopicStatus
from ..tables import csv_text
from ..permissions import is_staff
from . import services


@dataclass
class Row:
    rank: int
    tied: bool
    topic: Topic
    points: int
    organisations: int  # MSOs that gave the topic points


@dataclass
class Results:
    rows: list[Row]
    voted: int       # MSOs whose ballot gives at least one point
    eligible: int    # MSOs that could vote

    @property
    def turnout_percent(self) -> int:
        return round(100 * self.voted / self.eligible) if self.eligible else 0

    @property
    def max_points(self) -> int:
        return max((r.points for r in self.rows), default=0)


def count(round_: TopicRound) -> Results:
    sums = {topic_id: (points, orgs) for topic_id, points, orgs in db.session.execute(
        select(BallotPoints.topic_id, func.sum(BallotPoints.points), func.count(BallotPoints.ballot_id))
        .join(Ballot, Ballot.id == BallotPoints.ballot_id)
        .where(Ballot.round_id == round_.id)
        .group_by(BallotPoints.topic_id))}
    topics = services.topics_of(round_, statuses=(TopicStatus.APPROVED.value,))
    ordered = sorted(topics, key=lambda t: (-(sums.get(t.id, (0, 0))[0] or 0), t.title.casefold(), t.id))
    rows: list[Row] = []
    for index, topic in enumerate(ordered):
        points, orgs = sums.get(topic.id, (0, 0))
        points = int(points or 0)
        # Competition ranking: equal points share a rank ("1, 2, 2, 4").
        rank = rows[-1].rank if rows and rows[-1].points == points else index + 1
        rows.append(Row(rank=rank, tied=False, topic=topic, points=points, organisations=int(orgs or 0)))
    counts: dict[int, int] = {}
    for row in rows:
        counts[row.rank] = counts.get(row.rank, 0) + 1
    for row in rows:
        row.tied = counts[row.rank] > 1
    voted = db.session.scalar(select(func.count(Ballot.id)).where(
        Ballot.round_id == round_.id, Ballot.total_points > 0)) or 0
    return Results(rows=rows, voted=voted, eligible=len(services.eligible_organisations(round_)))


def can_see_results(user, round_: TopicRound) -> bool:
    """Staff once voting has closed; everyone else once results are
    published (the public if the round says so, else signed-in members of
    an MSO); live totals during voting if the round shows them."""
    if is_staff(user) and round_.phase_reached(Phase.CLOSED.value):
        return True
    if round_.phase == Phase.VOTING.value and round_.live_totals:
        return _audience(user, round_)
    if round_.phase == Phase.PUBLISHED.value:
        return _audience(user, round_)
    return False


def _audience(user, round_: TopicRound) -> bool:
    if round_.results_public:
        return True
    from ..events.registration import active_organisations

    return bool(getattr(user, "is_authenticated", False) and (is_staff(user) or active_organisations(user)))


def results_csv(round_: TopicRound, results: Results) -> str:
    rows = [[row.rank, "yes" if row.tied else "no", row.topic.title,
             row.topic.organisation.name if row.topic.organisation else "",
             row.points, row.organisations] for row in results.rows]
    rows += [[], ["msos_voted", results.voted], ["msos_eligible", results.eligible]]
    return csv_text(["rank", "tied", "topic", "proposed_by", "points", "supporting_msos"], rows)
