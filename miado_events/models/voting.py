"""Topic rounds: MSOs propose seminar topics and vote on them, one ballot per MSO.

The database holds the rules that must never break, whatever arrives at the
same moment: one ballot per MSO and round; points on a topic between 1 and
the round's maximum (copied onto each row); a ballot's total within the
round's budget (copied onto the ballot). The ballot service keeps
``total_points`` equal to the sum of its rows in the same transaction.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .translated import Translatable
from .accounts import User
from .events import Event
from .orgs import Organisation


class Phase(RichEnum):
    DRAFT = "draft", _l("Draft (not visible)")
    PROPOSALS = "proposals", _l("Proposals open")
    MODERATION = "moderation", _l("Moderation")
    VOTING = "voting", _l("Voting open")
    CLOSED = "closed", _l("Voting closed")
    PUBLISHED = "published", _l("Results published")


PHASE_ORDER = [p.value for p in Phase]


class TopicStatus(RichEnum):
    PENDING = "pending", _l("Waiting for moderation")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Not accepted")
    MERGED = "merged", _l("Merged")


class TopicFormat(RichEnum):
    EVENING = "evening", _l("Evening seminar")
    WEEKEND = "weekend", _l("Weekend workshop")
    SERIES = "series", _l("Training series")


class TopicRound(db.Model):
    __tablename__ = "topic_rounds"
    __table_args__ = (
        Phase.check_constraint("phase", name="phase_valid"),
        CheckConstraint("points_budget > 0", name="budget_positive"),
        CheckConstraint("max_per_topic > 0 AND max_per_topic <= points_budget", name="max_within_budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(16), default=Phase.DRAFT.value)
    # When each phase begins (moderation begins when proposals close).
    proposals_open_at: Mapped[datetime] = mapped_column(UTCDateTime())
    moderation_at: Mapped[datetime] = mapped_column(UTCDateTime())
    voting_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    voting_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    results_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    points_budget: Mapped[int] = mapped_column(default=5)
    max_per_topic: Mapped[int] = mapped_column(default=3)
    live_totals: Mapped[bool] = mapped_column(default=False)
    results_public: Mapped[bool] = mapped_column(default=True)
    #: When staff last set the phase by hand: date boundaries before it no
    #: longer move the round (so proposals reopened by hand stay open).
    phase_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: All listed MSOs may vote, else only those in ``round_organisations``.
    all_organisations: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Each notification goes out once per round.
    notified_proposals_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_voting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_results_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    topics: Mapped[list[Topic]] = relationship(back_populates="round", order_by="Topic.id")
    allowed_organisations: Mapped[list[Organisation]] = relationship(secondary="round_organisations")

    def phase_is(self, *phases: str) -> bool:
        return self.phase in phases

    def phase_reached(self, phase: str) -> bool:
        return PHASE_ORDER.index(self.phase) >= PHASE_ORDER.index(phase)

    def admits(self, organisation: Organisation | None) -> bool:
        """Whether ``organisation`` takes part: a listed MSO, and every one of
        them or one of those chosen for the round."""
        if organisation is None or not organisation.is_listed:
            return False
        return self.all_organisations or any(o.id == organisation.id for o in self.allowed_organisations)


class RoundOrganisation(db.Model):
    __tablename__ = "round_organisations"

    round_id: Mapped[int] = mapped_column(ForeignKey("topic_rounds.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)


class Topic(Translatable, db.Model):
    TRANSLATED_FIELDS = ("title",)
    __tablename__ = "topics"
    __table_args__ = (
        TopicStatus.check_constraint("status", name="status_valid"),
        TopicFormat.check_constraint("format", name="format_valid"),
        # Only a merged topic points to another one (the target may be deleted later).
        CheckConstraint("merged_into_id IS NULL OR status = 'merged'", name="target_only_when_merged"),
        Index("ix_topics_round_status", "round_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("topic_rounds.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    why: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=TopicStatus.PENDING.value)
    moderation_note: Mapped[str | None] = mapped_column(String(500))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    series_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    series_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[TopicRound] = relationship(back_populates="topics")
    organisation: Mapped[Organisation | None] = relationship()
    proposer: Mapped[User | None] = relationship()
    merged_into: Mapped[Topic | None] = relationship(remote_side=[id])
    series_event: Mapped[Event | None] = relationship()

    @property
    def is_approved(self) -> bool:
        return self.status == TopicStatus.APPROVED.value


class TopicSupport(db.Model):
    """A member backs a proposal (a "+1"); the proposer backs their own."""

    __tablename__ = "topic_supports"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TopicComment(db.Model):
    __tablename__ = "topic_comments"
    __table_args__ = (Index("ix_topic_comments_topic", "topic_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(String(500))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    topic: Mapped[Topic] = relationship()


class Ballot(db.Model):
    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("round_id", "organisation_id"),
        CheckConstraint("total_points >= 0 AND total_points <= budget", name="within_budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("topic_rounds.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    budget: Mapped[int]
    total_points: Mapped[int] = mapped_column(default=0)
    #: Counts saves; a form carries the version it was based on.
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    updated_by: Mapped[User | None] = relationship()
    points: Mapped[list[BallotPoints]] = relationship(cascade="all, delete-orphan")


class BallotPoints(db.Model):
    __tablename__ = "ballot_points"
    __table_args__ = (
        CheckConstraint("points > 0 AND points <= max_points", name="points_within_max"),
    )

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)
    points: Mapped[int]
    max_points: Mapped[int]


class BallotChange(db.Model):
    """Every save of a ballot: who, when, and the points as saved."""

    __tablename__ = "ballot_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    points: Mapped[dict] = mapped_column(JSON, default=dict)  # {topic_id: points}

    user: Mapped[User | None] = relationship()
