"""Mails of a topic round, each sent once per round (a timestamp on the
round records it): proposals open (members of the participating MSOs),
voting opens (representatives), voting closes in two days (representatives
of MSOs that have not voted), results published (representatives and
proposers). Plus: a proposal rejected or merged (its proposer), and the
registration of a training series made from a topic opens (representatives of
the MSOs that gave it points)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from .. import signals
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User
from ..models.orgs import Membership, MembershipRole, MembershipStatus
from ..models.events import Event
from ..models.voting import Ballot, BallotPoints, Phase, Topic, TopicRound
from ..urls import external_url

REMINDER_BEFORE_CLOSE = timedelta(days=2)


def _people(org_ids: list[int], *, representatives_only: bool) -> list[User]:
    if not org_ids:
        return []
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.organisation_id.in_(org_ids),
                    Membership.status == MembershipStatus.ACTIVE.value, User.is_enabled.is_(True))
             .distinct().order_by(User.id))
    if representatives_only:
        query = query.where(Membership.role == MembershipRole.REPRESENTATIVE.value)
    return list(db.session.scalars(query))


def _send_all(users, template: str, round_: TopicRound, **context) -> int:
    url = external_url("voting.round_detail", round_id=round_.id)
    for user in users:
        send_message(user.email, template, user.locale, user=user, round=round_, round_url=url, **context)
    return len(users)


def send_due(round_: TopicRound, now: datetime) -> bool:
    """Send whichever of the round's mails are due and not yet sent."""
    from .services import eligible_organisations

    sent = False
    org_ids = None

    def orgs():
        nonlocal org_ids
        if org_ids is None:
            org_ids = [o.id for o in eligible_organisations(round_)]
        return org_ids

    if round_.phase == Phase.PROPOSALS.value and round_.notified_proposals_at is None:
        _send_all(_people(orgs(), representatives_only=False), "round_proposals_open", round_)
        round_.notified_proposals_at = now
        sent = True
    if round_.phase == Phase.VOTING.value and round_.notified_voting_at is None:
        _send_all(_people(orgs(), representatives_only=True), "round_voting_open", round_,
                  ballot_url=external_url("voting.round_detail", round_id=round_.id))
        round_.notified_voting_at = now
        sent = True
    if (round_.phase == Phase.VOTING.value and round_.notified_reminder_at is None
            and now >= round_.voting_closes_at - REMINDER_BEFORE_CLOSE):
        voted = set(db.session.scalars(select(Ballot.organisation_id).where(
            Ballot.round_id == round_.id, Ballot.total_points > 0)))
        _send_all(_people([o for o in orgs() if o not in voted], representatives_only=True),
                  "round_voting_closes", round_)
        round_.notified_reminder_at = now
        sent = True
    if round_.phase == Phase.PUBLISHED.value and round_.notified_results_at is None:
        proposers = list(db.session.scalars(select(User).join(Topic, Topic.proposer_id == User.id)
                                            .where(Topic.round_id == round_.id, User.is_enabled.is_(True))
                                            .distinct()))
        people = {u.id: u for u in _people(orgs(), representatives_only=True) + proposers}
        _send_all(list(people.values()), "round_results", round_,
                  results_url=external_url("voting.results_page", round_id=round_.id))
        round_.notified_results_at = now
        sent = True
    return sent


def topic_rejected(topic: Topic) -> None:
    if topic.proposer is not None:
        user = topic.proposer
        send_message(user.email, "topic_rejected", user.locale, user=user, topic=topic,
                     round_url=external_url("voting.round_detail", round_id=topic.round_id))


def topic_merged(duplicate: Topic, kept: Topic) -> None:
    if duplicate.proposer is not None:
        user = duplicate.proposer
        send_message(user.email, "topic_merged", user.locale, user=user, topic=duplicate, kept=kept,
                     topic_url=external_url("voting.topic_detail", round_id=kept.round_id, topic_id=kept.id))


def series_registration_open(now: datetime, *, series: Event | None = None) -> int:
    """Tell the representatives of every MSO that gave a topic points when
    registration for the training series made from it opens (once): for
    ``series`` only (it was just published), or for every series."""
    from .services import series_open_for_registration

    told = 0
    pending = select(Topic).where(Topic.series_event_id.is_not(None), Topic.series_notified_at.is_(None))
    if series is not None:
        pending = pending.where(Topic.series_event_id == series.id)
    for topic in db.session.scalars(pending):
        event = topic.series_event
        if event is None or not series_open_for_registration(event, now):
            continue
        org_ids = list(db.session.scalars(
            select(Ballot.organisation_id).join(BallotPoints, BallotPoints.ballot_id == Ballot.id)
            .where(BallotPoints.topic_id == topic.id).distinct()))
        for user in _people(org_ids, representatives_only=True):
            send_message(user.email, "topic_series_open", user.locale, user=user, topic=topic, event=event,
                         event_url=external_url("events.detail", event_id=event.id))
        topic.series_notified_at = now
        told += 1
    return told


def _on_event_published(event: Event, *, now: datetime) -> None:
    series_registration_open(now, series=event)


def connect_receivers() -> None:
    signals.event_published.connect(_on_event_published)
