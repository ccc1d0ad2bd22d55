"""Named queries of the registry, written once."""
from __future__ import annotations

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models.orgs import (Membership, MembershipStatus, Organisation, OrganisationTag,
                           OrgStatus, TagKind)
from ..models.accounts import User
from ..models.translated import TRANSLATION_LANGUAGES, translations_contain

# Which consent flag guards which tag kind in public filters.
TAG_FIELD = {
    TagKind.DISTRICT: "districts",
    TagKind.REGION: "regions",
    TagKind.LANGUAGE: "languages",
    TagKind.FIELD: "fields_of_work",
}


def _published(field: str):
    """SQL: the organisation consented to publish ``field`` (JSON list)."""
    # JSON containment differs per backend; a LIKE on the serialised list is
    # portable and exact because field names are fixed, quoted identifiers.
    return Organisation.published_fields.cast(db.String).like(f'%"{field}"%')


def _equals_ignoring_case(column, value: str):
    """SQLite's lower() folds ASCII letters only ("Ägypten" stays "Ägypten"),
    so a value spelt as stored must match exactly as well."""
    return or_(column == value, func.lower(column) == value.lower())


def _contains_ignoring_case(column, text: str):
    return or_(column.contains(text, autoescape=True),
               func.lower(column).contains(text.lower(), autoescape=True))


def listed_organisations(*, q: str = "", district: str = "", region: str = "",
                         language: str = "", field: str = ""):
    """SELECT of listed MSOs matching the public filters. A filter only
    matches values the organisation agreed to publish."""
    query = (select(Organisation)
             .where(Organisation.status == OrgStatus.LISTED.value)
             .options(selectinload(Organisation.tags))
             .order_by(func.lower(Organisation.name), Organisation.id))
    for kind, value in ((TagKind.DISTRICT, district), (TagKind.REGION, region),
                        (TagKind.LANGUAGE, language), (TagKind.FIELD, field)):
        if value:
            query = query.where(_published(TAG_FIELD[kind]), exists().where(
                OrganisationTag.organisation_id == Organisation.id,
                OrganisationTag.kind == kind.value,
                _equals_ignoring_case(OrganisationTag.value, value.strip())))
    q = q.strip()
    if q:
        query = query.where(or_(
            _contains_ignoring_case(Organisation.name, q),
            _contains_ignoring_case(Organisation.short_name, q),
            and_(_published("description"), or_(_contains_ignoring_case(Organisation.description, q),
                                                translations_contain(Organisation, q, "description"))),
        ))
    return query


def languages_members_read(org: Organisation) -> list[str]:
    """The languages (other than German) the MSO works in or its active
    members read the site in: its description editor opens these first."""
    locales = set(db.session.scalars(
        select(User.locale).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == org.id, Membership.status == MembershipStatus.ACTIVE.value)))
    wanted = set(org.languages or []) | {(c or "").split("_")[0] for c in locales}
    return [c for c in TRANSLATION_LANGUAGES if c in wanted]


def region_suggestions(limit: int = 200) -> list[str]:
    """Regions of origin already used by listed MSOs, for the form's suggestions."""
    rows = db.session.scalars(
        select(OrganisationTag.value)
        .join(Organisation, Organisation.id == OrganisationTag.organisation_id)
        .where(OrganisationTag.kind == TagKind.REGION.value,
               Organisation.status == OrgStatus.LISTED.value,
               _published("regions"))
        .group_by(OrganisationTag.value)
        .order_by(func.count().desc(), OrganisationTag.value)
        .limit(limit))
    return list(rows)


def review_queue():
    """Applications waiting for staff, and listed MSOs with a name change to approve."""
    return (select(Organisation)
            .where(or_(Organisation.status == OrgStatus.PENDING.value,
                       Organisation.requested_name.is_not(None)))
            .order_by(Organisation.submitted_at, Organisation.id))


def with_join_requests():
    """MSOs where someone asked to join and nobody has answered yet."""
    waiting = select(Membership.organisation_id).where(Membership.status == MembershipStatus.REQUESTED.value)
    return select(Organisation).where(Organisation.id.in_(waiting)).order_by(Organisation.name)


def memberships_of_user(user):
    return (select(Membership)
            .where(Membership.user_id == user.id)
            .options(selectinload(Membership.organisation))
            .order_by(Membership.created_at))


def representatives(org) -> list:
    return [m.user for m in org.memberships if m.is_representative]


def open_requests(org):
    return [m for m in org.memberships if m.status == MembershipStatus.REQUESTED.value]
