"""Questions staff ask when people register for an event, and the answers.

A question's text and each choice's text are translated texts
(``models.translated``: ``{"de": ..., "tr": ...}``, German required). A
choice has a stable ``key`` that answers store, so editing or translating a
choice's text never changes what people answered. Answers belong to a
registration and go with it; anonymising a registration deletes them
(``privacy.scrub``).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .events import Event, Registration
from .translated import pick


class QuestionKind(RichEnum):
    SHORT_TEXT = "short_text", _l("Short text")
    ONE_CHOICE = "one_choice", _l("One choice")
    SEVERAL_CHOICES = "several_choices", _l("Several choices")
    YES_NO = "yes_no", _l("Yes or no")


#: Kinds whose answers are keys of the question's choices.
CHOICE_KINDS = (QuestionKind.ONE_CHOICE.value, QuestionKind.SEVERAL_CHOICES.value)
#: The longest short-text answer.
MAX_ANSWER_LENGTH = 500


class RegistrationQuestion(db.Model):
    __tablename__ = "registration_questions"
    __table_args__ = (
        QuestionKind.check_constraint("kind", name="kind_valid"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        # Only staff see the answers to a sensitive question; a sensitive
        # answer never goes on the sign-in sheet that lies at the door.
        CheckConstraint("NOT (sensitive AND on_sign_in_sheet)", name="sensitive_not_on_sheet"),
        Index("ix_registration_questions_event_position", "event_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=False)
    #: Health and access needs: only staff see the answers.
    sensitive: Mapped[bool] = mapped_column(default=False)
    on_sign_in_sheet: Mapped[bool] = mapped_column(default=False)
    #: A translated text (``models.translated``).
    text: Mapped[dict] = mapped_column(JSON)
    #: ``[{"key": "c1", "text": {"de": ..., ...}}, ...]`` for the choice kinds, else ``[]``.
    choices: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship()

    @property
    def kind_label(self):
        return QuestionKind.label_of(self.kind)

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def choice_keys(self) -> list[str]:
        return [c["key"] for c in self.choices or []]

    def text_in(self, language: str | None) -> tuple[str, str]:
        """``(text, its language)``: ``language`` where written, else German."""
        return pick(self.text, language)

    def choice_text(self, key: str, language: str | None) -> tuple[str, str]:
        for choice in self.choices or []:
            if choice["key"] == key:
                return pick(choice["text"], language)
        return key, "de"

    def __repr__(self) -> str:
        return f"<RegistrationQuestion {self.id} {self.kind} event={self.event_id}>"


class QuestionAnswer(db.Model):
    """One person's answer to one question. ``value`` is a string (short
    text; a choice key for one choice), a list of choice keys (several
    choices) or a bool (yes/no)."""

    __tablename__ = "question_answers"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("registration_questions.id", ondelete="CASCADE"), index=True)
    value: Mapped[object] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    registration: Mapped[Registration] = relationship()
    question: Mapped[RegistrationQuestion] = relationship()
