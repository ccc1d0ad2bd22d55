"""Who receives office news: the representatives of the listed MSOs that
match the filters, and the contact address of each such MSO that agreed.

Filters of one kind widen the set (Eving *or* Hörde); filters of different
kinds narrow it (Eving *and* Arabic). Staff filter on every value an MSO
gave, published or not. Each address receives the mail once (compared
case-insensitively); a person's own account wins over a contact address, so
the mail comes in their language and they can opt out themselves. People
who opted out of office news, and contact addresses that belong to them,
are left out and counted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models.accounts import User
from ..models.orgs import Membership, Organisation, OrganisationTag, OrgStatus, TagKind

#: The filter kinds in the order the form shows them.
FILTER_KINDS = (TagKind.DISTRICT.value, TagKind.REGION.value, TagKind.LANGUAGE.value, TagKind.FIELD.value)


@dataclass
class AudienceFilter:
    """The chosen values per tag kind; nothing chosen: every listed MSO."""

    values: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: dict | None) -> AudienceFilter:
        raw = raw or {}
        return cls({kind: list(dict.fromkeys(v for v in raw.get(kind) or () if v))
                    for kind in FILTER_KINDS if raw.get(kind)})

    def as_dict(self) -> dict[str, list[str]]:
        return {kind: list(values) for kind, values in self.values.items() if values}

    @property
    def is_everyone(self) -> bool:
        return not self.as_dict()


@dataclass
class Recipient:
    address: str
    locale: str
    name: str
    user: User | None = None  # None: an MSO's contact address
    organisations: list[Organisation] = field(default_factory=list)

    @property
    def is_contact_address(self) -> bool:
        return self.user is None

    def add(self, org: Organisation) -> None:
        if org not in self.organisations:
            self.organisations.append(org)


@dataclass
class Audience:
    organisations: list[Organisation]
    recipients: list[Recipient]
    left_out: int  # addresses not written to: the person opted out

    @property
    def count(self) -> int:
        return len(self.recipients)


def matching_organisations(filters: AudienceFilter):
    """SELECT of the listed MSOs that match ``filters``."""
    query = (select(Organisation)
             .where(Organisation.status == OrgStatus.LISTED.value)
             .options(selectinload(Organisation.tags),
                      selectinload(Organisation.memberships).selectinload(Membership.user))
             .order_by(func.lower(Organisation.name), Organisation.id))
    for kind, values in filters.as_dict().items():
        query = query.where(exists().where(OrganisationTag.organisation_id == Organisation.id,
                                           OrganisationTag.kind == kind,
                                           OrganisationTag.value.in_(values)))
    return query


def tag_values_in_use(kind: str) -> list[str]:
    """The values of one tag kind that listed MSOs gave (for the filter form)."""
    return list(db.session.scalars(
        select(OrganisationTag.value)
        .join(Organisation, Organisation.id == OrganisationTag.organisation_id)
        .where(OrganisationTag.kind == kind, Organisation.status == OrgStatus.LISTED.value)
        .group_by(OrganisationTag.value).order_by(OrganisationTag.value)))


def _receives_news(user: User) -> bool:
    return bool(user.email) and user.is_enabled and user.office_news_opt_out_at is None


def build_audience(filters: AudienceFilter) -> Audience:
    organisations = list(db.session.scalars(matching_organisations(filters)).unique())
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    people: dict[str, Recipient] = {}
    opted_out: set[str] = set()
    for org in organisations:
        for membership in org.memberships:
            user = membership.user
            if not membership.is_representative or not user.email or not user.is_enabled:
                continue
            key = user.email.casefold()
            if not _receives_news(user):
                opted_out.add(key)
                continue
            people.setdefault(key, Recipient(user.email, user.locale or default_locale, user.name,
                                             user)).add(org)
    contacts = {org.email.casefold(): org for org in organisations
                if org.news_to_contact_email and org.email}
    owners = {}
    if contacts:
        owners = {u.email.casefold(): u for u in db.session.scalars(
            select(User).where(func.lower(User.email).in_(list(contacts))))}
    for org in organisations:
        if not (org.news_to_contact_email and org.email):
            continue
        key = org.email.casefold()
        owner = owners.get(key)
        if key in opted_out or (owner is not None and owner.office_news_opt_out_at is not None):
            opted_out.add(key)
            continue
        if key not in people:
            locale = owner.locale if owner is not None and owner.locale else default_locale
            people[key] = Recipient(org.email, locale, org.name)
        people[key].add(org)
    recipients = sorted(people.values(), key=lambda r: r.address.casefold())
    return Audience(organisations, recipients, left_out=len(opted_out - set(people)))
