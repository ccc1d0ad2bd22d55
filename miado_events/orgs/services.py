"""Registry rules: applications, review decisions, profile changes.
Services take the acting user explicitly and never commit."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, permissions
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..mail import send_message
from ..models import translated
from ..models.accounts import User
from ..models.orgs import (DISTRICTS, FIELDS_OF_WORK, LANGUAGE_CODES, LEGAL_FORMS,
                           PUBLISHABLE_FIELDS, Membership, MembershipRole, MembershipStatus,
                           OrgDecision, Organisation, OrganisationTag, OrgStatus, TagKind)
from ..permissions import can_edit_org, can_review_orgs, ensure, is_staff
from ..urls import external_url
from . import queries

MAX_REGIONS = 10


@dataclass
class OrgProfile:
    """Everything an applicant or representative enters about an MSO."""

    name: str
    legal_form: str
    short_name: str = ""
    founding_year: int | None = None
    description: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    internal_contact: str = ""
    districts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    fields_of_work: list[str] = field(default_factory=list)
    published_fields: list[str] = field(default_factory=list)
    members_see_member_list: bool = False
    news_to_contact_email: bool = False

    @classmethod
    def of(cls, org: Organisation) -> OrgProfile:
        return cls(
            name=org.name, legal_form=org.legal_form, short_name=org.short_name or "",
            founding_year=org.founding_year, description=org.description or "",
            address=org.address or "", email=org.email or "", phone=org.phone or "",
            website=org.website or "", internal_contact=org.internal_contact or "",
            districts=org.districts, regions=org.regions, languages=org.languages,
            fields_of_work=org.fields_of_work, published_fields=list(org.published_fields or []),
            members_see_member_list=org.members_see_member_list,
            news_to_contact_email=bool(org.news_to_contact_email),
        )

    def snapshot(self) -> dict:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}


SNAPSHOT_FIELDS = tuple(OrgProfile.__dataclass_fields__)


def _clean_profile(profile: OrgProfile) -> OrgProfile:
    """Normalise and validate; raise ``profile_invalid`` naming the problem."""
    def invalid(message):
        raise DomainError("profile_invalid", message)

    profile.name = " ".join((profile.name or "").split())
    if not profile.name:
        invalid(_l("Please enter the name of the organisation."))
    if profile.legal_form not in LEGAL_FORMS:
        invalid(_l("Please choose a legal form."))
    year = profile.founding_year
    if year is not None and not (1900 <= year <= utcnow().year):
        invalid(_l("Please enter a founding year between 1900 and this year."))
    if any(d not in DISTRICTS for d in profile.districts):
        invalid(_l("Please choose districts from the list."))
    if any(f not in FIELDS_OF_WORK for f in profile.fields_of_work):
        invalid(_l("Please choose fields of work from the list."))
    if any(c not in LANGUAGE_CODES for c in profile.languages):
        invalid(_l("Please choose languages from the list."))
    if any(f not in PUBLISHABLE_FIELDS for f in profile.published_fields):
        invalid(_l("Unknown field in the consent to publication."))
    regions = []
    for region in profile.regions:
        region = " ".join(region.split())[:100]
        if region and region.casefold() not in {r.casefold() for r in regions}:
            regions.append(region)
    if len(regions) > MAX_REGIONS:
        invalid(_l("Please name at most %(n)d regions of origin.", n=MAX_REGIONS))
    profile.regions = regions
    profile.website = (profile.website or "").strip()
    if profile.website and not re.match(r"^https?://", profile.website):
        profile.website = "https://" + profile.website
    profile.email = (profile.email or "").strip().lower()
    for name in ("short_name", "description", "address", "phone", "internal_contact"):
        setattr(profile, name, (getattr(profile, name) or "").strip())
    # Dedupe while keeping the form's order.
    for name in ("districts", "languages", "fields_of_work", "published_fields"):
        setattr(profile, name, list(dict.fromkeys(getattr(profile, name))))
    return profile


def _apply_profile(org: Organisation, profile: OrgProfile, *, include_name: bool) -> None:
    if include_name:
        org.name = profile.name
    for attr in ("short_name", "legal_form", "founding_year", "description", "address",
                 "email", "phone", "website", "internal_contact", "members_see_member_list"):
        value = getattr(profile, attr)
        setattr(org, attr, value if value != "" else None)
    org.members_see_member_list = bool(profile.members_see_member_list)
    # News go to the contact address only while there is one.
    org.news_to_contact_email = bool(profile.news_to_contact_email and profile.email)
    org.published_fields = list(profile.published_fields)
    wanted = {(TagKind.DISTRICT.value, v) for v in profile.districts}
    wanted |= {(TagKind.REGION.value, v) for v in profile.regions}
    wanted |= {(TagKind.LANGUAGE.value, v) for v in profile.languages}
    wanted |= {(TagKind.FIELD.value, v) for v in profile.fields_of_work}
    org.tags = [t for t in org.tags if (t.kind, t.value) in wanted]
    have = {(t.kind, t.value) for t in org.tags}
    for kind, value in sorted(wanted - have):
        org.tags.append(OrganisationTag(kind=kind, value=value))


def _record(org: Organisation, actor: User | None, action: str, message: str | None = None,
            snapshot: dict | None = None, now: datetime | None = None) -> OrgDecision:
    decision = OrgDecision(organisation=org, actor=actor, action=action, message=message,
                           snapshot=snapshot if snapshot is not None else OrgProfile.of(org).snapshot(),
                           created_at=now or utcnow())
    db.session.add(decision)
    return decision


def _notify_office(template: str, **context) -> None:
    send_message(current_app.config["STAFF_NOTIFY_EMAIL"], template,
                 current_app.config["BABEL_DEFAULT_LOCALE"], **context)


def _notify_representatives(org: Organisation, template: str, **context) -> None:
    for user in queries.representatives(org):
        send_message(user.email, template, user.locale, user=user, org=org, **context)


# --- duplicates ----------------------------------------------------------------

_LEGAL_SUFFIX = re.compile(r"\b(e\.?\s?v\.?|g?gmbh|ggmbh|verein|association)\b", re.I)


def _name_key(name: str) -> str:
    # Drop accents but keep letters of every script (Cyrillic, Arabic, ...).
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _LEGAL_SUFFIX.sub(" ", text)
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def find_similar_organisations(name: str, *, exclude_id: int | None = None,
                               limit: int = 5) -> list[Organisation]:
    """Organisations (any status but rejected) whose name looks like ``name``."""
    key = _name_key(name or "")
    if not key:
        return []
    candidates = db.session.scalars(
        select(Organisation).where(Organisation.status != OrgStatus.REJECTED.value))
    scored = []
    for org in candidates:
        if org.id == exclude_id:
            continue
        other = _name_key(org.name)
        short = _name_key(org.short_name or "")
        ratio = difflib.SequenceMatcher(None, key, other).ratio()
        contained = len(key) >= 6 and bool(other) and (key in other or other in key)
        if ratio >= 0.85 or key == short or contained:
            scored.append((ratio, org))
    scored.sort(key=lambda pair: -pair[0])
    return [org for _, org in scored[:limit]]


# --- application ----------------------------------------------------------------

def apply_for_listing(applicant: User, profile: OrgProfile,
                      *, now: datetime | None = None) -> Organisation:
    """A new MSO waits for review; the applicant becomes its representative."""
    now = now or utcnow()
    profile = _clean_profile(profile)
    org = Organisation(status=OrgStatus.PENDING.value, submitted_at=now, created_at=now,
                       updated_at=now, legal_form=profile.legal_form, name=profile.name,
                       published_fields=[])
    _apply_profile(org, profile, include_name=True)
    db.session.add(org)
    db.session.add(Membership(organisation=org, user=applicant, created_at=now,
                              role=MembershipRole.REPRESENTATIVE.value,
                              status=MembershipStatus.ACTIVE.value))
    _record(org, applicant, "submitted", now=now)
    db.session.flush()
    _notify_office("org_submitted_office", org=org, applicant=applicant,
                   review_url=external_url("orgs.review", org_id=org.id))
    permissions.forget_memberships()
    return org


def resubmit_application(actor: User, org: Organisation, profile: OrgProfile,
                         *, now: datetime | None = None) -> None:
    """After "changes requested" or a rejection, the representative edits and
    sends the application again."""
    now = now or utcnow()
    ensure(can_edit_org, actor, org)
    if not org.can_be_resubmitted:
        raise DomainError("not_resubmittable", _l("This application cannot be sent again now."))
    profile = _clean_profile(profile)
    _apply_profile(org, profile, include_name=True)
    org.status = OrgStatus.PENDING.value
    org.submitted_at = org.updated_at = now
    _record(org, actor, "submitted", now=now)
    _notify_office("org_submitted_office", org=org, applicant=actor,
                   review_url=external_url("orgs.review", org_id=org.id))


# --- staff decisions ---------------------------------------------------------------

DECISIONS = {
    "approve": (OrgStatus.LISTED, "approved", "org_approved"),
    "needs_changes": (OrgStatus.NEEDS_CHANGES, "needs_changes", "org_needs_changes"),
    "reject": (OrgStatus.REJECTED, "rejected", "org_rejected"),
}


def decide_application(actor: User, org: Organisation, decision: str, message: str = "",
                       *, now: datetime | None = None) -> None:
    """Approve, ask for changes (with a message) or reject (with a reason)."""
    now = now or utcnow()
    ensure(can_review_orgs, actor)
    if decision not in DECISIONS:
        raise DomainError("decision_invalid", _l("Please choose a decision."))
    if org.status != OrgStatus.PENDING.value:
        raise DomainError("not_pending", _l("This application has already been decided."))
    message = (message or "").strip()
    if decision in ("needs_changes", "reject") and not message:
        raise DomainError("reason_required",
                          _l("Please write the applicant a message that explains your decision."))
    status, action, template = DECISIONS[decision]
    org.status = status.value
    org.status_message = message or None
    org.decided_by = actor
    org.decided_at = org.updated_at = now
    _record(org, actor, action, message or None, now=now)
    audit.record(actor, "org.decision", org, org.name, now=now, decision=decision)
    _notify_representatives(org, template, message=message,
                            org_url=external_url("orgs.mine"))


def set_active(actor: User, org: Organisation, active: bool, reason: str = "",
               *, now: datetime | None = None) -> None:
    """Staff take a listed MSO out of the directory, or back in."""
    now = now or utcnow()
    ensure(can_review_orgs, actor)
    wanted_from = OrgStatus.INACTIVE.value if active else OrgStatus.LISTED.value
    if org.status != wanted_from:
        raise DomainError("status_conflict", _l("This is not possible in the current status."))
    org.status = OrgStatus.LISTED.value if active else OrgStatus.INACTIVE.value
    org.status_message = (reason or "").strip() or None
    org.decided_by, org.decided_at, org.updated_at = actor, now, now
    _record(org, actor, "reactivated" if active else "deactivated", org.status_message, now=now)
    audit.record(actor, "org.active", org, org.name, now=now, active=active)


# --- profile changes ---------------------------------------------------------------

def save_description_translations(actor: User, org: Organisation, sent: dict) -> bool:
    """A representative (or staff) writes the MSO's description in the
    languages its members read (``translated.translations_from_form``); the
    German description stays the source."""
    ensure(can_edit_org, actor, org)
    return translated.save_translations(org, sent)


def update_profile(actor: User, org: Organisation, profile: OrgProfile,
                   *, now: datetime | None = None) -> list[str]:
    """Save the profile. Public fields go live at once and the office is told;
    a representative's name change waits for staff. Returns the changed fields."""
    now = now or utcnow()
    ensure(can_edit_org, actor, org)
    before = OrgProfile.of(org).snapshot()
    profile = _clean_profile(profile)
    staff = is_staff(actor)
    name_needs_approval = org.is_listed and not staff and profile.name != org.name
    if profile.name == org.name or staff:
        # Kept the current name after all, or staff set the name directly.
        org.requested_name = None
    _apply_profile(org, profile, include_name=not name_needs_approval)
    after = OrgProfile.of(org).snapshot()
    changed = [f for f in SNAPSHOT_FIELDS if before[f] != after[f]]
    if name_needs_approval and profile.name != org.requested_name:
        org.requested_name = profile.name
        _record(org, actor, "name_change_requested", profile.name, snapshot=before, now=now)
        _notify_office("org_name_change_office", org=org, actor=actor,
                       review_url=external_url("orgs.review", org_id=org.id))
    if changed:
        org.updated_at = now
        _record(org, actor, "profile_updated", ", ".join(changed), snapshot=before, now=now)
        if org.is_listed and not staff:
            _notify_office("org_profile_changed_office", org=org, actor=actor, changed=changed,
                           org_url=external_url("orgs.detail", org_id=org.id))
        if staff:
            audit.record(actor, "org.profile", org, org.name, now=now, fields=changed)
    return changed


def decide_name_change(actor: User, org: Organisation, approve: bool, reason: str = "",
                       *, now: datetime | None = None) -> None:
    now = now or utcnow()
    ensure(can_review_orgs, actor)
    if org.requested_name is None:
        raise DomainError("no_name_change", _l("There is no name change to decide."))
    before = OrgProfile.of(org).snapshot()
    requested = org.requested_name
    if approve:
        org.name = requested
    org.requested_name = None
    org.updated_at = now
    _record(org, actor, "name_approved" if approve else "name_rejected",
            (reason or "").strip() or None, snapshot=before, now=now)
    audit.record(actor, "org.name_decision", org, org.name, now=now, approved=approve, requested=requested)
    _notify_representatives(org, "org_name_decided", approved=approve, requested=requested,
                            message=(reason or "").strip())


# --- for the reviewer ------------------------------------------------------------------

def last_reviewed_snapshot(org: Organisation) -> dict | None:
    """The profile as staff last saw it when deciding (for the diff), if any."""
    decision = db.session.scalar(
        select(OrgDecision)
        .where(OrgDecision.organisation_id == org.id,
               OrgDecision.action.in_(("approved", "needs_changes", "rejected", "name_approved")))
        .order_by(OrgDecision.created_at.desc(), OrgDecision.id.desc()).limit(1))
    return decision.snapshot if decision else None


def profile_diff(old: dict | None, org: Organisation) -> list[tuple[str, object, object]]:
    """(field, before, now) for each field that differs from ``old``."""
    current = OrgProfile.of(org).snapshot()
    if org.requested_name:
        current["name"] = org.requested_name
    if not old:
        return []
    # A snapshot older than a field has the field's default (not a change).
    old = {**OrgProfile(name="", legal_form="").snapshot(), **old}
    return [(f, old.get(f), current.get(f)) for f in SNAPSHOT_FIELDS if old.get(f) != current.get(f)]


def decisions_of(org: Organisation) -> list[OrgDecision]:
    return list(db.session.scalars(
        select(OrgDecision).where(OrgDecision.organisation_id == org.id)
        .order_by(OrgDecision.created_at.desc(), OrgDecision.id.desc())))
