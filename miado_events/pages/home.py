"""What the home page shows: what is on, and for a signed-in person what is theirs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..events import queries as event_queries
from ..extensions import db
from ..models.events import Registration
from ..models.orgs import Membership, MembershipStatus
from ..models.voting import Phase, TopicRound
from ..orgs import queries as org_queries
from ..permissions import is_representative_of
from ..voting import ballots

NEXT_EVENTS = 4   # events on the home page
NEXT_DATES = 3    # dates shown per event (a recurring meeting once)


@dataclass
class WhatIsOn:
    events: list  # (event, [its next sessions]) soonest first
    states: dict  # session id -> SlotState of its first session


@dataclass
class Personal:
    next_ticket: Registration | None = None
    waiting: list = field(default_factory=list)  # (registration, position)
    ballots: list = field(default_factory=list)  # (round, organisation) without a ballot yet
    join_requests: list = field(default_factory=list)  # (organisation, number of open requests)

    @property
    def anything(self) -> bool:
        return bool(self.next_ticket or self.waiting or self.ballots or self.join_requests)


def what_is_on(now: datetime, viewer) -> WhatIsOn:
    events = event_queries.next_events(now, limit=NEXT_EVENTS, dates=NEXT_DATES)
    return WhatIsOn(events=events, states=event_queries.seat_states(
        [sessions[0] for _event, sessions in events], now, viewer))


def valid_until(now: datetime, on: WhatIsOn) -> datetime | None:
    """Until when the list stays true by time alone (see ``events.queries.valid_until``)."""
    return event_queries.valid_until(now, [s for _event, sessions in on.events for s in sessions])


def personal(user, now: datetime) -> Personal:
    """The next ticket, waiting-list places and what waits for ``user``'s answer."""
    result = Personal()
    upcoming = [r for r in db.session.scalars(event_queries.my_registrations(user)) if r.is_upcoming(now)]
    confirmed = sorted((r for r in upcoming if r.is_confirmed),
                       key=lambda r: r.slot.starts_at or now)
    result.next_ticket = confirmed[0] if confirmed else None
    positions = event_queries.waitlist_positions(upcoming)
    result.waiting = [(r, positions.get(r.id)) for r in upcoming if r.is_waitlisted]

    represented = [m.organisation for m in db.session.scalars(org_queries.memberships_of_user(user))
                   if m.status == MembershipStatus.ACTIVE.value and is_representative_of(user, m.organisation)]
    if represented:
        rounds = db.session.scalars(select(TopicRound).where(TopicRound.phase == Phase.VOTING.value)
                                    .order_by(TopicRound.voting_closes_at, TopicRound.id))
        result.ballots = [(round_, org) for round_ in rounds for org in represented
                          if ballots.can_vote(user, round_, org) and ballots.ballot_of(round_, org) is None]
        counts = dict(db.session.execute(
            select(Membership.organisation_id, db.func.count())
            .where(Membership.organisation_id.in_([o.id for o in represented]),
                   Membership.status == MembershipStatus.REQUESTED.value)
            .group_by(Membership.organisation_id)).all())
        result.join_requests = [(org, counts[org.id]) for org in sorted(represented, key=lambda o: o.name)
                                if counts.get(org.id)]
    return result

