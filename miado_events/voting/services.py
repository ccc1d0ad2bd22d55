"""Topic rounds: phases, proposals, support, comments and moderation.

Services take the acting user explicitly, raise DomainError / PermissionDenied
and never commit. The ballot rules live in ``ballots.py``, the counting in
``results.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from .. import audit
from ..database import insert_or_ignore, utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..models.accounts import User
from ..models.events import Event, EventKind, EventStatus
from ..models.orgs import Membership, MembershipStatus, Organisation, OrgStatus
from ..models.voting import (PHASE_ORDER, Phase, Topic, TopicComment, TopicFormat, TopicRound,
                             TopicStatus, TopicSupport)
from ..permissions import ensure, is_staff
from . import notifications

FORMATS = tuple(f.value for f in TopicFormat)


def _require_staff(actor) -> None:
    ensure(is_staff, actor)


# --- rounds and phases ----------------------------------------------------------------

@dataclass
class RoundData:
    title: str
    proposals_open_at: datetime
    moderation_at: datetime
    voting_opens_at: datetime
    voting_closes_at: datetime
    results_at: datetime | None = None
    description: str | None = None
    points_budget: int = 5
    max_per_topic: int = 3
    live_totals: bool = False
    results_public: bool = True
    organisation_ids: list[int] | None = None  # None: all listed MSOs
    extra: dict = field(default_factory=dict)


def _check_round(data: RoundData) -> None:
    if not (data.title or "").strip():
        raise DomainError("title_required", _l("Please enter a title."))
    if not (data.proposals_open_at < data.moderation_at <= data.voting_opens_at < data.voting_closes_at):
        raise DomainError("dates_out_of_order", _l(
            "The dates must follow each other: proposals open, proposals close, voting opens, voting closes."))
    if data.results_at is not None and data.results_at < data.voting_closes_at:
        raise DomainError("results_before_close", _l("Results cannot be published before voting closes."))
    if data.points_budget < 1 or data.max_per_topic < 1:
        raise DomainError("points_positive", _l("Points must be at least 1."))
    if data.max_per_topic > data.points_budget:
        raise DomainError("max_over_budget", _l("The maximum per topic cannot exceed the budget."))


def _apply(round_: TopicRound, data: RoundData) -> None:
    round_.title = data.title.strip()
    round_.description = (data.description or "").strip() or None
    round_.proposals_open_at = data.proposals_open_at
    round_.moderation_at = data.moderation_at
    round_.voting_opens_at = data.voting_opens_at
    round_.voting_closes_at = data.voting_closes_at
    round_.results_at = data.results_at
    round_.points_budget = data.points_budget
    round_.max_per_topic = data.max_per_topic
    round_.live_totals = data.live_totals
    round_.results_public = data.results_public
    round_.all_organisations = data.organisation_ids is None
    round_.allowed_organisations = [] if data.organisation_ids is None else list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(data.organisation_ids))))


def create_round(actor: User, data: RoundData, *, now: datetime | None = None) -> TopicRound:
    _require_staff(actor)
    _check_round(data)
    round_ = TopicRound(created_by_id=actor.id, created_at=now or utcnow(), phase=Phase.DRAFT.value)
    _apply(round_, data)
    db.session.add(round_)
    db.session.flush()
    audit.record(actor, "round.create", round_, round_.title, now=now)
    return round_


def update_round(actor: User, round_: TopicRound, data: RoundData) -> None:
    _require_staff(actor)
    _check_round(data)
    if round_.phase_reached(Phase.VOTING.value) and (
            data.points_budget != round_.points_budget or data.max_per_topic != round_.max_per_topic):
        raise DomainError("points_locked", _l("The points cannot change once voting has started."))
    _apply(round_, data)
    audit.record(actor, "round.update", round_, round_.title)


def _phase_by_date(round_: TopicRound, now: datetime) -> str:
    """The furthest phase whose start date has passed, counting only dates
    after the last change by hand."""
    boundaries = [(Phase.MODERATION, round_.moderation_at), (Phase.VOTING, round_.voting_opens_at),
                  (Phase.CLOSED, round_.voting_closes_at), (Phase.PUBLISHED, round_.results_at)]
    target = round_.phase
    for phase, starts in boundaries:
        if starts is None or starts > now:
            continue
        if round_.phase_set_at is not None and starts <= round_.phase_set_at:
            continue
        if PHASE_ORDER.index(phase.value) > PHASE_ORDER.index(target):
            target = phase.value
    return target


def advance(round_: TopicRound, *, now: datetime | None = None) -> bool:
    """Move a started round forward to the phase its dates say (never back,
    never out of draft: staff start a round by hand). Sends the notifications
    that are due. Returns whether anything changed."""
    now = now or utcnow()
    changed = False
    if round_.phase != Phase.DRAFT.value:
        target = _phase_by_date(round_, now)
        if PHASE_ORDER.index(target) > PHASE_ORDER.index(round_.phase):
            round_.phase = target
            changed = True
    return notifications.send_due(round_, now) or changed


def set_phase(actor: User, round_: TopicRound, phase: str, *, now: datetime | None = None) -> None:
    """Staff move a round to a phase by hand (forward or back, e.g. to reopen
    proposals); the matching notifications go out once."""
    _require_staff(actor)
    if phase not in PHASE_ORDER:
        raise DomainError("phase_invalid", _l("Please choose a valid phase."))
    now = now or utcnow()
    audit.record(actor, "round.phase", round_, round_.title, now=now, old=round_.phase, new=phase)
    round_.phase = phase
    round_.phase_set_at = now
    notifications.send_due(round_, now)


def advance_all(*, now: datetime | None = None) -> int:
    """For ``flask --app app rounds advance``: every started round."""
    now = now or utcnow()
    changed = 0
    for round_ in db.session.scalars(select(TopicRound).where(TopicRound.phase != Phase.DRAFT.value)):
        changed += advance(round_, now=now)
    changed += notifications.series_registration_open(now)
    return changed


def visible_rounds(user) -> list[TopicRound]:
    query = select(TopicRound).order_by(TopicRound.proposals_open_at.desc(), TopicRound.id.desc())
    if not is_staff(user):
        query = query.where(TopicRound.phase != Phase.DRAFT.value)
    return list(db.session.scalars(query))


# --- who takes part -------------------------------------------------------------------

def eligible_organisations(round_: TopicRound) -> list[Organisation]:
    """The MSOs that may vote in (and propose for) this round."""
    query = select(Organisation).where(Organisation.status == OrgStatus.LISTED.value)
    if not round_.all_organisations:
        ids = [o.id for o in round_.allowed_organisations]
        query = query.where(Organisation.id.in_(ids))
    return list(db.session.scalars(query.order_by(Organisation.name)))


def is_eligible(round_: TopicRound, organisation: Organisation) -> bool:
    return round_.admits(organisation)


def member_organisations(user: User, round_: TopicRound) -> list[Organisation]:
    """The user's MSOs (active membership) that take part in the round."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    orgs = db.session.scalars(
        select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE.value)
        .order_by(Organisation.name))
    return [o for o in orgs if is_eligible(round_, o)]


def can_take_part(user, round_: TopicRound) -> bool:
    return bool(member_organisations(user, round_))


# --- proposals ------------------------------------------------------------------------

@dataclass
class TopicData:
    title: str
    description: str
    why: str | None = None
    languages: list[str] = field(default_factory=list)
    format: str = TopicFormat.EVENING.value


def _check_topic(data: TopicData) -> None:
    if not (data.title or "").strip():
        raise DomainError("title_required", _l("Please enter a title."))
    if not (data.description or "").strip():
        raise DomainError("description_required", _l("Please describe the topic."))
    if data.format not in FORMATS:
        raise DomainError("format_invalid", _l("Please choose a format."))


def propose(user: User, round_: TopicRound, organisation: Organisation, data: TopicData,
            *, now: datetime | None = None) -> Topic:
    """A member proposes a topic for one of their MSOs, during the proposal phase."""
    now = now or utcnow()
    if round_.phase != Phase.PROPOSALS.value:
        raise DomainError("proposals_closed", _l("Proposals are not open in this round."))
    if organisation is None or organisation.id not in {o.id for o in member_organisations(user, round_)}:
        raise PermissionDenied("not_a_member", _l("You can propose topics only for your own organisation."))
    _check_topic(data)
    topic = Topic(round_id=round_.id, organisation_id=organisation.id, proposer_id=user.id,
                  title=data.title.strip(), description=data.description.strip(),
                  why=(data.why or "").strip() or None, languages=list(data.languages),
                  format=data.format, status=TopicStatus.PENDING.value, created_at=now)
    db.session.add(topic)
    db.session.flush()
    _add_support(topic.id, user.id, now)
    return topic


def _add_support(topic_id: int, user_id: int, now: datetime) -> None:
    db.session.execute(insert_or_ignore(TopicSupport, key=["topic_id", "user_id"],
                                        topic_id=topic_id, user_id=user_id, created_at=now))


def support(user: User, topic: Topic, *, now: datetime | None = None) -> None:
    """A member backs a proposal; backing it twice changes nothing."""
    round_ = topic.round
    if round_.phase not in (Phase.PROPOSALS.value, Phase.MODERATION.value):
        raise DomainError("support_closed", _l("Topics can be supported only before voting starts."))
    if not can_take_part(user, round_):
        raise PermissionDenied("forbidden", _l("Only members of the participating organisations can do this."))
    if topic.status not in (TopicStatus.PENDING.value, TopicStatus.APPROVED.value):
        raise DomainError("topic_closed", _l("This topic can no longer be supported."))
    _add_support(topic.id, user.id, now or utcnow())


def withdraw_support(user: User, topic: Topic) -> None:
    db.session.execute(delete(TopicSupport).where(TopicSupport.topic_id == topic.id,
                                                  TopicSupport.user_id == user.id))


def supporter_count(topic: Topic) -> int:
    return db.session.scalar(select(func.count()).select_from(TopicSupport)
                             .where(TopicSupport.topic_id == topic.id)) or 0


def supports(user, topic: Topic) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(TopicSupport, (topic.id, user.id)) is not None


COMMENT_MAX = 500


def comment(user: User, topic: Topic, body: str, *, now: datetime | None = None) -> TopicComment:
    body = (body or "").strip()
    if not body:
        raise DomainError("comment_empty", _l("Please write a comment."))
    if len(body) > COMMENT_MAX:
        raise DomainError("comment_too_long", _l("A comment can have at most %(n)d characters.", n=COMMENT_MAX))
    if not can_take_part(user, topic.round) and not is_staff(user):
        raise PermissionDenied("forbidden", _l("Only members of the participating organisations can do this."))
    if topic.round.phase_reached(Phase.CLOSED.value):
        raise DomainError("comments_closed", _l("Comments are closed for this round."))
    item = TopicComment(topic_id=topic.id, user_id=user.id, body=body, created_at=now or utcnow())
    db.session.add(item)
    return item


def hide_comment(actor: User, item: TopicComment, *, now: datetime | None = None) -> None:
    _require_staff(actor)
    item.hidden_at = now or utcnow()
    item.hidden_by_id = actor.id
    audit.record(actor, "comment.hide", item, item.body[:100], now=now)


def visible_comments(topic: Topic) -> list[TopicComment]:
    return list(db.session.scalars(select(TopicComment).where(
        TopicComment.topic_id == topic.id, TopicComment.hidden_at.is_(None)).order_by(TopicComment.id)))


def topics_of(round_: TopicRound, *, statuses=(TopicStatus.APPROVED.value,)) -> list[Topic]:
    return list(db.session.scalars(select(Topic).where(
        Topic.round_id == round_.id, Topic.status.in_(statuses)).order_by(Topic.title, Topic.id)))


def visible_topics(user, round_: TopicRound) -> list[Topic]:
    """Approved topics for everyone; staff also see pending ones; a proposer
    sees their own pending or rejected ones."""
    topics = topics_of(round_, statuses=(TopicStatus.APPROVED.value, TopicStatus.PENDING.value,
                                         TopicStatus.REJECTED.value))
    if is_staff(user):
        return [t for t in topics if t.status != TopicStatus.REJECTED.value] + [
            t for t in topics if t.status == TopicStatus.REJECTED.value]
    uid = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return [t for t in topics if t.is_approved or (uid is not None and t.proposer_id == uid)]


def can_view_topic(user, topic: Topic) -> bool:
    if topic.round.phase == Phase.DRAFT.value and not is_staff(user):
        return False
    return any(t.id == topic.id for t in visible_topics(user, topic.round))


# --- moderation -----------------------------------------------------------------------

def _moderatable(topic: Topic) -> None:
    if topic.round.phase_reached(Phase.VOTING.value):
        raise DomainError("voting_started", _l("Topics cannot be moderated once voting has started."))


def approve(actor: User, topic: Topic) -> None:
    _require_staff(actor)
    _moderatable(topic)
    if topic.status == TopicStatus.MERGED.value:
        raise DomainError("merged", _l("This topic has been merged into another one."))
    topic.status = TopicStatus.APPROVED.value
    topic.reject_reason = None
    audit.record(actor, "topic.moderate", topic, topic.title, decision="approve")


def edit(actor: User, topic: Topic, data: TopicData, note: str) -> None:
    """Staff edit a proposal; the note says what and why (shown with the topic)."""
    _require_staff(actor)
    _moderatable(topic)
    _check_topic(data)
    if not (note or "").strip():
        raise DomainError("note_required", _l("Please say what you changed and why."))
    topic.title = data.title.strip()
    topic.description = data.description.strip()
    topic.why = (data.why or "").strip() or None
    topic.languages = list(data.languages)
    topic.format = data.format
    topic.moderation_note = note.strip()[:500]
    audit.record(actor, "topic.moderate", topic, topic.title, decision="edit", note=topic.moderation_note)


def reject(actor: User, topic: Topic, reason: str) -> None:
    _require_staff(actor)
    _moderatable(topic)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Please give a reason; the proposer receives it."))
    if topic.status == TopicStatus.MERGED.value:
        raise DomainError("merged", _l("This topic has been merged into another one."))
    topic.status = TopicStatus.REJECTED.value
    topic.reject_reason = reason[:500]
    audit.record(actor, "topic.moderate", topic, topic.title, decision="reject", reason=topic.reject_reason)
    notifications.topic_rejected(topic)


def merge(actor: User, duplicate: Topic, kept: Topic) -> None:
    """Merge ``duplicate`` into ``kept``: its supporters and comments move
    over (someone who supported both counts once), the duplicate disappears
    from the list and its proposer is told."""
    _require_staff(actor)
    _moderatable(duplicate)
    if duplicate.id == kept.id or duplicate.round_id != kept.round_id:
        raise DomainError("merge_invalid", _l("Please choose another topic of the same round."))
    if kept.status in (TopicStatus.MERGED.value, TopicStatus.REJECTED.value):
        raise DomainError("merge_target_closed", _l("Topics can only be merged into an open topic."))
    if duplicate.status == TopicStatus.MERGED.value:
        raise DomainError("merged", _l("This topic has been merged into another one."))
    now = utcnow()
    supporters = db.session.scalars(select(TopicSupport.user_id).where(TopicSupport.topic_id == duplicate.id)).all()
    for user_id in supporters:
        _add_support(kept.id, user_id, now)
    db.session.execute(delete(TopicSupport).where(TopicSupport.topic_id == duplicate.id))
    for item in db.session.scalars(select(TopicComment).where(TopicComment.topic_id == duplicate.id)):
        item.topic_id = kept.id
    duplicate.status = TopicStatus.MERGED.value
    duplicate.merged_into_id = kept.id
    audit.record(actor, "topic.moderate", duplicate, duplicate.title, decision="merge", into=kept.id)
    notifications.topic_merged(duplicate, kept)


# --- from topic to training series ------------------------------------------------------

def create_series(actor: User, topic: Topic, *, now: datetime | None = None) -> Event:
    """A draft training series from a topic, title and description prefilled
    and linked, so that its supporters can be told when registration opens."""
    from ..events import services as event_services

    _require_staff(actor)
    if not topic.round.phase_reached(Phase.CLOSED.value):
        raise DomainError("round_open", _l("Training series are created after voting has closed."))
    if not topic.is_approved:
        raise DomainError("not_approved", _l("Only an approved topic can become a training series."))
    if topic.series_event_id is not None:
        raise DomainError("series_exists", _l("This topic already has a training series."))
    description = topic.description + ("\n\n" + topic.why if topic.why else "")
    event = event_services.create_event(actor, event_services.EventData(
        kind=EventKind.SERIES.value, title=topic.title[:200], description=description[:5000],
        languages=[lang for lang in topic.languages], capacity=20), now=now)
    topic.series_event_id = event.id
    audit.record(actor, "topic.series", topic, topic.title, now=now, event_id=event.id)
    return event


def topic_of_series(event: Event) -> Topic | None:
    return db.session.scalar(select(Topic).where(Topic.series_event_id == event.id))


def series_open_for_registration(event: Event, now: datetime) -> bool:
    return event.status == EventStatus.PUBLISHED.value and event.registration_window_open(now)
