"""The agenda of a session (its items, whether it is published, until when
MSOs may propose items) and the MSOs' agenda proposals.

Texts (title, description) are plain columns for now; issue #19 stores them
per language later.
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
from .events import EventSession
from .orgs import Organisation


class AgendaKind(RichEnum):
    MASTERPLAN = "masterplan", _l("Masterplan Integration")
    PROJECT = "project", _l("Project presentation")
    FUNDING = "funding", _l("Funding information")
    PLANNED = "planned", _l("Planned activities")
    DISCUSSION = "discussion", _l("Discussion")
    OTHER = "other", _l("Other")


class ProposalStatus(RichEnum):
    PENDING = "pending", _l("Waiting for a decision")
    ACCEPTED = "accepted", _l("Put on the agenda")
    DECLINED = "declined", _l("Not put on the agenda")
    MERGED = "merged", _l("Merged into another item")


#: The longest a single item may take (minutes): a whole day.
MAX_ITEM_MINUTES = 600


class MeetingAgenda(db.Model):
    """Per session: whether its agenda is published, and the deadline for
    proposals. A session without a row has an unpublished, closed agenda."""

    __tablename__ = "meeting_agendas"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposals_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[EventSession] = relationship()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def proposals_open(self, now: datetime) -> bool:
        """Proposals are taken until the deadline (and never once the session has begun)."""
        return (self.proposals_until is not None and now < self.proposals_until
                and now < self.session.starts_at)


class AgendaItem(Translatable, db.Model):
    TRANSLATED_FIELDS = ("title", "description")
    __tablename__ = "agenda_items"
    __table_args__ = (
        AgendaKind.check_constraint("kind", name="kind_valid"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("position > 0", name="position_positive"),
        UniqueConstraint("session_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    presenter_name: Mapped[str | None] = mapped_column(String(200))
    presenter_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    minutes: Mapped[int]
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[EventSession] = relationship()
    presenter_org: Mapped[Organisation | None] = relationship()

    @property
    def kind_label(self):
        return AgendaKind.label_of(self.kind)

    @property
    def presenter(self) -> str:
        """Who presents, as one line: the person, the MSO, or both."""
        parts = [self.presenter_name or "", self.presenter_org.name if self.presenter_org else ""]
        return " – ".join(p for p in parts if p)


class AgendaProposal(db.Model):
    """An item a member proposes for one of their MSOs, until the deadline."""

    __tablename__ = "agenda_proposals"
    __table_args__ = (
        AgendaKind.check_constraint("kind", name="kind_valid"),
        ProposalStatus.check_constraint("status", name="status_valid"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_agenda_proposals_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    #: None once the proposer's account is deleted (the proposal stays, like a topic).
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int]
    presenter_name: Mapped[str | None] = mapped_column(String(200))
    why: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PENDING.value)
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    #: The item it became (accepted) or was merged into.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[EventSession] = relationship()
    organisation: Mapped[Organisation] = relationship()
    proposer: Mapped[User | None] = relationship(foreign_keys=[proposer_id])
    item: Mapped[AgendaItem | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING.value

    @property
    def kind_label(self):
        return AgendaKind.label_of(self.kind)

    @property
    def status_label(self):
        return ProposalStatus.label_of(self.status)
