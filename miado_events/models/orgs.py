"""Migrant self-organisations (MSOs), their tags, members, invitations and
the record of every staff decision about them."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .translated import Translatable
from .accounts import User

# Dortmund's twelve Stadtbezirke (names are proper nouns: the same in every language).
DISTRICTS = (
    "Innenstadt-West", "Innenstadt-Nord", "Innenstadt-Ost", "Eving", "Scharnhorst",
    "Brackel", "Aplerbeck", "Hörde", "Hombruch", "Lütgendortmund", "Huckarde", "Mengede",
)



class LegalForm(RichEnum):
    EV = "ev", _l("registered association (e.V.)")
    GGMBH = "ggmbh", _l("non-profit limited company (gGmbH)")
    INITIATIVE = "initiative", _l("initiative without legal form")
    OTHER = "other", _l("other legal form")


LEGAL_FORMS = LegalForm.values()

FIELDS_OF_WORK = (
    "education", "culture", "youth", "women", "seniors", "religion", "sport",
    "social_counselling", "integration", "language_courses", "health", "work",
    "refugees", "parents", "anti_discrimination", "other",
)

# ISO 639-1 codes offered in the form (others may be added by staff later).
LANGUAGE_CODES = (
    "de", "en", "tr", "ar", "ru", "uk", "pl", "fr", "es", "it", "pt", "el", "ku",
    "fa", "ps", "ur", "hi", "bn", "ta", "zh", "vi", "sq", "bs", "hr", "sr", "ro",
    "bg", "hu", "ti", "am", "so", "sw", "ha", "yo", "ig", "ln",
)

# Fields an organisation may consent to publish. Name and legal form are
# always public once listed: the directory cannot list an MSO without them.
PUBLISHABLE_FIELDS = (
    "description", "founding_year", "address", "email", "phone", "website",
    "districts", "regions", "languages", "fields_of_work",
)


class OrgStatus(RichEnum):
    PENDING = "pending", _l("Waiting for review")
    LISTED = "listed", _l("Listed")
    NEEDS_CHANGES = "needs_changes", _l("Changes requested")
    REJECTED = "rejected", _l("Rejected")
    INACTIVE = "inactive", _l("Inactive")


class TagKind(RichEnum):
    DISTRICT = "district"
    REGION = "region"
    LANGUAGE = "language"
    FIELD = "field"


class Organisation(Translatable, db.Model):
    TRANSLATED_FIELDS = ("description",)
    __tablename__ = "organisations"
    __table_args__ = (
        OrgStatus.check_constraint("status", name="status_valid"),
        LegalForm.check_constraint("legal_form", name="legal_form_valid"),
        Index("ix_organisations_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(50))
    legal_form: Mapped[str] = mapped_column(String(16))
    founding_year: Mapped[int | None]
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(300))
    internal_contact: Mapped[str | None] = mapped_column(Text)  # staff only
    # Consent to publication, per field (see PUBLISHABLE_FIELDS).
    published_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    members_see_member_list: Mapped[bool] = mapped_column(default=False)
    # The MSO agreed that the office's news also go to its public contact address.
    news_to_contact_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A name change asked for by a representative waits here for staff.
    requested_name: Mapped[str | None] = mapped_column(String(200))

    status: Mapped[str] = mapped_column(String(16), default=OrgStatus.PENDING.value)
    status_message: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tags: Mapped[list[OrganisationTag]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan",
        order_by="(OrganisationTag.kind, OrganisationTag.value)")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    # -- status predicates (used by services, queries and templates alike) --
    @property
    def is_listed(self) -> bool:
        return self.status == OrgStatus.LISTED.value

    @property
    def can_be_resubmitted(self) -> bool:
        return self.status in (OrgStatus.NEEDS_CHANGES.value, OrgStatus.REJECTED.value)

    @property
    def is_awaiting_review(self) -> bool:
        return self.status == OrgStatus.PENDING.value or self.requested_name is not None

    def is_published(self, field: str) -> bool:
        return field in (self.published_fields or ())

    def tag_values(self, kind: TagKind) -> list[str]:
        return [t.value for t in self.tags if t.kind == kind.value]

    @property
    def districts(self) -> list[str]:
        return self.tag_values(TagKind.DISTRICT)

    @property
    def regions(self) -> list[str]:
        return self.tag_values(TagKind.REGION)

    @property
    def languages(self) -> list[str]:
        return self.tag_values(TagKind.LANGUAGE)

    @property
    def fields_of_work(self) -> list[str]:
        return self.tag_values(TagKind.FIELD)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r} {self.status}>"


class OrganisationTag(db.Model):
    """One value of a multi-valued field: district, region of origin,
    language or field of work."""

    __tablename__ = "organisation_tags"
    __table_args__ = (
        TagKind.check_constraint("kind", name="kind_valid"),
        Index("ix_organisation_tags_kind_value", "kind", "value"),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)

    organisation: Mapped[Organisation] = relationship(back_populates="tags")


class MembershipRole(RichEnum):
    MEMBER = "member"
    REPRESENTATIVE = "representative"


class MembershipStatus(RichEnum):
    ACTIVE = "active"
    REQUESTED = "requested"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        MembershipRole.check_constraint("role", name="role_valid"),
        MembershipStatus.check_constraint("status", name="status_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=MembershipRole.MEMBER.value)
    status: Mapped[str] = mapped_column(String(16), default=MembershipStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE.value

    @property
    def is_representative(self) -> bool:
        return self.is_active and self.role == MembershipRole.REPRESENTATIVE.value


class OrgInvitation(db.Model):
    """An invitation to join an MSO: personal (by e-mail, single use) or a
    shareable link (many uses until it expires or is revoked)."""

    __tablename__ = "org_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))  # None: shareable link
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    use_count: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_personal(self) -> bool:
        return self.email is not None

    def state(self, now: datetime) -> str:
        """'revoked', 'used', 'expired' or 'open'."""
        if self.revoked_at is not None:
            return "revoked"
        if self.is_personal and self.used_at is not None:
            return "used"
        if self.expires_at <= now:
            return "expired"
        return "open"

    def is_open(self, now: datetime) -> bool:
        return self.state(now) == "open"


class OrgAction(RichEnum):
    """What an ``OrgDecision`` records."""

    SUBMITTED = "submitted", _l("Application sent")
    APPROVED = "approved", _l("Approved and listed")
    NEEDS_CHANGES = "needs_changes", _l("Changes requested")
    REJECTED = "rejected", _l("Rejected")
    DEACTIVATED = "deactivated", _l("Taken out of the directory")
    REACTIVATED = "reactivated", _l("Listed again")
    PROFILE_UPDATED = "profile_updated", _l("Profile changed")
    NAME_CHANGE_REQUESTED = "name_change_requested", _l("Name change requested")
    NAME_APPROVED = "name_approved", _l("Name change accepted")
    NAME_REJECTED = "name_rejected", _l("Name change declined")


class OrgDecision(db.Model):
    """Every staff decision and every profile change, with who, when, why and
    a snapshot of the profile as it was then (for the reviewer's diff)."""

    __tablename__ = "org_decisions"
    __table_args__ = (
        OrgAction.check_constraint("action", name="action_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    actor: Mapped[User | None] = relationship()
