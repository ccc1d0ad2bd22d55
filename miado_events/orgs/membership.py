"""Membership rules: join requests, invitations (personal and shareable),
promotion to representative, removal. Services never commit."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..accounts.services import normalise_email
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User, UserToken
from ..models.orgs import Membership, MembershipRole, MembershipStatus, OrgInvitation, Organisation
from ..permissions import can_manage_members, can_request_membership, ensure, forbidden
from ..urls import external_url
from . import queries


def _require_manager(actor: User, org: Organisation) -> None:
    ensure(can_manage_members, actor, org)


# --- join requests ----------------------------------------------------------------

def request_membership(user: User, org: Organisation, *, now: datetime | None = None) -> Membership:
    if not org.is_listed:
        raise DomainError("org_not_listed", _l("This organisation is not listed."))
    if permissions.membership_of(user, org) is not None:
        raise DomainError("already_member",
                          _l("You are already a member of this organisation or have asked to join."))
    if not can_request_membership(user, org):
        raise forbidden()
    membership = Membership(organisation=org, user=user, role=MembershipRole.MEMBER.value,
                            status=MembershipStatus.REQUESTED.value, created_at=now or utcnow())
    db.session.add(membership)
    permissions.forget_memberships()
    for rep in queries.representatives(org):
        send_message(rep.email, "org_join_request", rep.locale, user=rep, org=org, requester=user,
                     members_url=external_url("orgs.members", org_id=org.id))
    return membership


def decide_join_request(actor: User, membership: Membership, accept: bool) -> None:
    org = membership.organisation
    _require_manager(actor, org)
    if membership.status != MembershipStatus.REQUESTED.value:
        raise DomainError("not_requested", _l("This request has already been answered."))
    user = membership.user
    if accept:
        membership.status = MembershipStatus.ACTIVE.value
    else:
        db.session.delete(membership)
    permissions.forget_memberships()
    send_message(user.email, "org_join_decided", user.locale, user=user, org=org,
                 accepted=accept, org_url=external_url("orgs.detail", org_id=org.id))


# --- members ------------------------------------------------------------------------------

def set_representative(actor: User, membership: Membership, representative: bool) -> None:
    org = membership.organisation
    _require_manager(actor, org)
    if not membership.is_active:
        raise DomainError("not_active", _l("Only active members can be representatives."))
    if not representative and membership.is_representative:
        _keep_one_representative(org, membership)
    membership.role = (MembershipRole.REPRESENTATIVE if representative
                       else MembershipRole.MEMBER).value
    permissions.forget_memberships()


def remove_member(actor: User, membership: Membership) -> None:
    """A manager removes someone, or a person leaves (actor is the member)."""
    org = membership.organisation
    if actor.id != membership.user_id:
        _require_manager(actor, org)
    if membership.is_representative:
        _keep_one_representative(org, membership)
    db.session.delete(membership)
    permissions.forget_memberships()


def _keep_one_representative(org: Organisation, leaving: Membership) -> None:
    others = [m for m in org.memberships if m.is_representative and m.id != leaving.id]
    if not others:
        raise DomainError("last_representative",
                          _l("An organisation needs at least one representative. "
                             "Make another member representative first."))


# --- invitations -----------------------------------------------------------------------------

def _new_invitation(actor: User, org: Organisation, email: str | None, days: int,
                    now: datetime) -> tuple[OrgInvitation, str]:
    raw = secrets.token_urlsafe(24)
    invitation = OrgInvitation(organisation=org, email=email, created_by=actor, created_at=now,
                               token_hash=UserToken.hash(raw),
                               expires_at=now + timedelta(days=days))
    db.session.add(invitation)
    return invitation, raw


def invite_by_email(actor: User, org: Organisation, email: str,
                    *, now: datetime | None = None) -> OrgInvitation:
    """A personal, single-use invitation mailed to ``email``."""
    now = now or utcnow()
    _require_manager(actor, org)
    if not org.is_listed:
        raise DomainError("org_not_listed",
                          _l("Members can be invited once the organisation is listed."))
    email = normalise_email(email)
    invitation, raw = _new_invitation(actor, org, email, current_app.config["ORG_INVITE_DAYS"], now)
    existing = db.session.scalar(select(User).where(User.email == email))
    send_message(email, "org_invitation", existing.locale if existing else None,
                 org=org, inviter=actor, days=current_app.config["ORG_INVITE_DAYS"],
                 join_url=external_url("orgs.join", token=raw))
    return invitation


def create_share_link(actor: User, org: Organisation, days: int = 14,
                      *, now: datetime | None = None) -> tuple[OrgInvitation, str]:
    """A link anyone with it can use to join, until it expires or is revoked.
    Returns the invitation and its URL (shown once; only a hash is stored)."""
    now = now or utcnow()
    _require_manager(actor, org)
    if not org.is_listed:
        raise DomainError("org_not_listed",
                          _l("Members can be invited once the organisation is listed."))
    if not 1 <= days <= 90:
        raise DomainError("days_invalid", _l("A link can be valid for 1 to 90 days."))
    invitation, raw = _new_invitation(actor, org, None, days, now)
    return invitation, external_url("orgs.join", token=raw)


def revoke_invitation(actor: User, invitation: OrgInvitation, *, now: datetime | None = None) -> None:
    _require_manager(actor, invitation.organisation)
    if invitation.revoked_at is None:
        invitation.revoked_at = now or utcnow()


def find_invitation(raw_token: str, *, now: datetime | None = None) -> OrgInvitation:
    """The invitation for this link, or why it cannot be used."""
    now = now or utcnow()
    invitation = db.session.scalar(
        select(OrgInvitation).where(OrgInvitation.token_hash == UserToken.hash(raw_token or ""))
        .with_for_update())
    if invitation is None:
        raise DomainError("token_invalid", _l("This invitation link is not valid."))
    check_invitation(invitation, now)
    return invitation


def check_invitation(invitation: OrgInvitation, now: datetime) -> None:
    """Why ``invitation`` cannot be used now (a DomainError), else nothing."""
    if invitation.revoked_at is not None:
        raise DomainError("invitation_revoked", _l("This invitation has been withdrawn."))
    if invitation.is_personal and invitation.used_at is not None:
        raise DomainError("token_used", _l("This invitation has already been used."))
    if invitation.expires_at <= now:
        raise DomainError("token_expired",
                          _l("This invitation has expired. Please ask for a new one."))
    if not invitation.organisation.is_listed:
        raise DomainError("org_not_listed", _l("This organisation is not listed."))


def accept_invitation(user: User, raw_token: str, *, now: datetime | None = None) -> Membership:
    now = now or utcnow()
    return join_by_invitation(user, find_invitation(raw_token, now=now), now=now)


def accept_invitation_by_id(user: User, invitation_id: int, *, now: datetime | None = None) -> Membership:
    """The invitation a person opened before signing up, accepted when their
    address is verified (see ``receivers``): the same rules as the link."""
    now = now or utcnow()
    invitation = db.session.scalar(
        select(OrgInvitation).where(OrgInvitation.id == invitation_id).with_for_update())
    if invitation is None:
        raise DomainError("token_invalid", _l("This invitation link is not valid."))
    check_invitation(invitation, now)
    return join_by_invitation(user, invitation, now=now)


def join_by_invitation(user: User, invitation: OrgInvitation, *, now: datetime) -> Membership:
    org = invitation.organisation
    existing = permissions.membership_of(user, org)
    if existing is not None and existing.is_active:
        raise DomainError("already_member", _l("You are already a member of this organisation."))
    if existing is not None:  # an open join request: the invitation settles it
        existing.status = MembershipStatus.ACTIVE.value
        membership = existing
    else:
        membership = Membership(organisation=org, user=user, role=MembershipRole.MEMBER.value,
                                status=MembershipStatus.ACTIVE.value, created_at=now)
        db.session.add(membership)
    invitation.used_at = now
    invitation.use_count += 1
    permissions.forget_memberships()
    return membership
