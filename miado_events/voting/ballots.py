"""The ballot: one per MSO and round, cast by a representative, saved whole.

Rules (here and in the database, see models/voting.py):

* only during voting, only a representative of an MSO taking part;
* points only on approved topics of the round, each from 0 to the round's
  maximum, in all no more than the budget;
* a save replaces the whole ballot and is recorded (who, when, what);
* a form carries the ballot version it started from: if someone else saved
  in between (the MSO's other representative, or the same form sent twice),
  nothing changes and the person is told to look again.

Two saves at the same moment are serialised by a lock on the ballot row
(PostgreSQL ``SELECT … FOR UPDATE``; SQLite allows one writer at a time), so
the stored ballot is always one of them whole.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from ..database import insert_or_ignore, utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..models.accounts import User
from ..models.orgs import Organisation
from ..models.voting import Ballot, BallotChange, BallotPoints, Phase, TopicRound, TopicStatus
from ..permissions import is_representative_of
from . import services


def can_vote(user, round_: TopicRound, organisation: Organisation) -> bool:
    return (round_.phase == Phase.VOTING.value and services.is_eligible(round_, organisation)
            and is_representative_of(user, organisation))


def ballot_of(round_: TopicRound, organisation: Organisation) -> Ballot | None:
    return db.session.scalar(select(Ballot).where(Ballot.round_id == round_.id,
                                                  Ballot.organisation_id == organisation.id))


def points_of(ballot: Ballot | None) -> dict[int, int]:
    if ballot is None:
        return {}
    return dict(db.session.execute(select(BallotPoints.topic_id, BallotPoints.points)
                                   .where(BallotPoints.ballot_id == ballot.id)).all())


def _whole_number(value) -> int | None:
    """An int, or a string of digits (with an optional minus sign, so that
    negative points get their own message); 2.5 or "1.9" are not rounded."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    digits = text[1:] if text.startswith("-") else text
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:
        return int(text)
    return None


def _validate(round_: TopicRound, points: dict) -> dict[int, int]:
    """Clean ``{topic_id: points}`` or raise why not (nothing is saved)."""
    approved = {t.id for t in services.topics_of(round_, statuses=(TopicStatus.APPROVED.value,))}
    clean: dict[int, int] = {}
    for raw_topic, raw_points in (points or {}).items():
        topic_id, value = _whole_number(raw_topic), _whole_number(raw_points)
        if topic_id is None or value is None:
            raise DomainError("points_invalid", _l("Please enter whole numbers of points."))
        if topic_id not in approved:
            raise DomainError("topic_invalid", _l("One of the topics is not on this ballot."))
        if value < 0:
            raise DomainError("points_negative", _l("Points cannot be negative."))
        if value > round_.max_per_topic:
            raise DomainError("over_topic_max", _l("At most %(n)d points can go to one topic.",
                                                   n=round_.max_per_topic))
        if value:
            clean[topic_id] = value
    if sum(clean.values()) > round_.points_budget:
        raise DomainError("over_budget", _l("You have %(budget)d points in all; this ballot uses %(used)d.",
                                            budget=round_.points_budget, used=sum(clean.values())))
    return clean


def cast(actor: User, round_: TopicRound, organisation: Organisation, points: dict,
         *, expected_version: int | None = None, now: datetime | None = None) -> Ballot:
    """Save the MSO's whole ballot. ``expected_version`` is the version the
    form showed (None: don't check, e.g. the first save from a script)."""
    now = now or utcnow()
    if not is_representative_of(actor, organisation):
        raise PermissionDenied("not_representative",
                               _l("Only a representative of the organisation can cast its ballot."))
    if not services.is_eligible(round_, organisation):
        raise PermissionDenied("not_eligible", _l("This organisation does not take part in this round."))
    if round_.phase != Phase.VOTING.value:
        raise DomainError("voting_closed", _l("Voting is not open in this round."))
    clean = _validate(round_, points)

    # The ballot row exists once per MSO and round (unique constraint); lock it.
    db.session.execute(insert_or_ignore(
        Ballot, key=["round_id", "organisation_id"], round_id=round_.id, organisation_id=organisation.id,
        budget=round_.points_budget, total_points=0, version=0, updated_at=now))
    ballot_id, version = db.session.execute(
        select(Ballot.id, Ballot.version).where(Ballot.round_id == round_.id,
                                                Ballot.organisation_id == organisation.id)
        .with_for_update()).one()
    if expected_version is not None and version != expected_version:
        raise DomainError("ballot_changed", _l(
            "The ballot was changed in the meantime (perhaps by another representative). "
            "Please look at the points now saved and save again."))
    # Replace the rows and the total together; a concurrent save of the same
    # version loses the race at the conditional UPDATE below.
    result = db.session.execute(
        update(Ballot).where(Ballot.id == ballot_id, Ballot.version == version)
        .values(version=version + 1, total_points=sum(clean.values()), updated_at=now,
                updated_by_id=actor.id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError("ballot_changed", _l(
            "The ballot was changed in the meantime (perhaps by another representative). "
            "Please look at the points now saved and save again."))
    db.session.execute(delete(BallotPoints).where(BallotPoints.ballot_id == ballot_id))
    for topic_id, value in clean.items():
        db.session.add(BallotPoints(ballot_id=ballot_id, topic_id=topic_id, points=value,
                                    max_points=round_.max_per_topic))
    db.session.add(BallotChange(ballot_id=ballot_id, user_id=actor.id, changed_at=now,
                                points={str(k): v for k, v in clean.items()}))
    db.session.flush()
    ballot = db.session.get(Ballot, ballot_id)
    db.session.refresh(ballot)
    return ballot


def history(ballot: Ballot) -> list[BallotChange]:
    return list(db.session.scalars(select(BallotChange).where(BallotChange.ballot_id == ballot.id)
                                   .order_by(BallotChange.id.desc())))
