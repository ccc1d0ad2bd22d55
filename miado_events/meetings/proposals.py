"""Agenda proposals: until a session's deadline, a member proposes an item
for one of their MSOs; staff accept it (it joins the agenda at the end),
decline it with a reason, or merge it into an existing item. The proposer is
told by mail in their language; the MSO's representatives see its proposals
and their state. Services take the acting user and never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit
from ..database import utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User
from ..models.events import EventSession
from ..models.meetings import (MAX_ITEM_MINUTES, AgendaItem, AgendaKind, AgendaProposal,
                               ProposalStatus)
from ..models.orgs import Membership, MembershipStatus, Organisation, OrgStatus
from ..permissions import ensure, is_representative_of, is_staff
from ..urls import external_url
from . import agenda

REASON_MAX = 500


@dataclass
class ProposalData:
    title: str
    kind: str
    minutes: int
    presenter_name: str = ""
    why: str = ""


def proposal_organisations(user) -> list[Organisation]:
    """The listed MSOs ``user`` is an active member of (they may propose for these)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id, Membership.status == MembershipStatus.ACTIVE.value,
               Organisation.status == OrgStatus.LISTED.value)
        .order_by(Organisation.name)))


def proposals_open(session: EventSession, now: datetime) -> bool:
    """The deadline has not passed, and the session is published and takes place."""
    row = agenda.agenda_of(session)
    return (row is not None and row.proposals_open(now) and session.event.is_published
            and session.is_scheduled)


def can_propose(user, session: EventSession, now: datetime) -> bool:
    return proposals_open(session, now) and bool(proposal_organisations(user))


def _clean(data: ProposalData) -> ProposalData:
    data.title = " ".join((data.title or "").split())
    if not data.title:
        raise DomainError("proposal_invalid", _l("Please enter a title."))
    if len(data.title) > 200:
        raise DomainError("proposal_invalid", _l("The title can have at most %(n)d characters.", n=200))
    if data.kind not in AgendaKind.values():
        raise DomainError("proposal_invalid", _l("Please choose the kind of item."))
    if not isinstance(data.minutes, int) or not 1 <= data.minutes <= MAX_ITEM_MINUTES:
        raise DomainError("proposal_invalid",
                          _l("The planned duration must be between 1 and %(n)d minutes.", n=MAX_ITEM_MINUTES))
    data.presenter_name = " ".join((data.presenter_name or "").split())[:200]
    data.why = (data.why or "").strip()[:2000]
    return data


def propose(user: User, session: EventSession, organisation: Organisation | None, data: ProposalData,
            *, now: datetime | None = None) -> AgendaProposal:
    now = now or utcnow()
    if not proposals_open(session, now):
        raise DomainError("proposals_closed", _l("Proposals for this agenda are closed."))
    if organisation is None or organisation.id not in {o.id for o in proposal_organisations(user)}:
        raise PermissionDenied("not_a_member", _l("You can propose items only for your own organisation."))
    data = _clean(data)
    proposal = AgendaProposal(session_id=session.id, organisation_id=organisation.id, proposer_id=user.id,
                              title=data.title, kind=data.kind, minutes=data.minutes,
                              presenter_name=data.presenter_name or None, why=data.why or None,
                              status=ProposalStatus.PENDING.value, created_at=now)
    db.session.add(proposal)
    db.session.flush()
    send_message(current_app.config["STAFF_NOTIFY_EMAIL"], "agenda_proposal_office",
                 current_app.config["BABEL_DEFAULT_LOCALE"], proposal=proposal, event=session.event,
                 session=session, staff_url=external_url("agenda.staff_agenda", session_id=session.id))
    return proposal


def proposals_of(session: EventSession) -> list[AgendaProposal]:
    """All proposals for a session (staff): pending first, then by date."""
    rows = db.session.scalars(
        select(AgendaProposal).where(AgendaProposal.session_id == session.id)
        .options(joinedload(AgendaProposal.organisation), joinedload(AgendaProposal.proposer))
        .order_by(AgendaProposal.created_at, AgendaProposal.id))
    return sorted(rows, key=lambda p: not p.is_pending)


def proposals_of_organisation(org: Organisation) -> list[AgendaProposal]:
    """An MSO's proposals, newest first (its representatives and staff)."""
    return list(db.session.scalars(
        select(AgendaProposal).where(AgendaProposal.organisation_id == org.id)
        .options(joinedload(AgendaProposal.session).joinedload(EventSession.event),
                 joinedload(AgendaProposal.proposer))
        .order_by(AgendaProposal.created_at.desc(), AgendaProposal.id.desc())))


def can_view_org_proposals(user, org: Organisation) -> bool:
    return is_staff(user) or is_representative_of(user, org)


def my_proposals(user: User, session: EventSession) -> list[AgendaProposal]:
    return list(db.session.scalars(
        select(AgendaProposal).where(AgendaProposal.session_id == session.id,
                                     AgendaProposal.proposer_id == user.id)
        .order_by(AgendaProposal.id)))


# --- decisions --------------------------------------------------------------------------------

def _decidable(actor: User, proposal: AgendaProposal) -> None:
    ensure(is_staff, actor)
    agenda.lock_agenda(proposal.session)  # decisions on one agenda take turns
    db.session.refresh(proposal)
    if not proposal.is_pending:
        raise DomainError("proposal_decided", _l("This proposal has already been decided."))


def _decided(actor: User, proposal: AgendaProposal, status: str, now: datetime) -> None:
    proposal.status = status
    proposal.decided_at = now
    proposal.decided_by_id = actor.id
    audit.record(actor, "agenda.proposal", proposal, proposal.title, now=now, decision=status,
                 item_id=proposal.item_id)
    _tell_proposer(proposal)


def accept(actor: User, proposal: AgendaProposal, *, now: datetime | None = None) -> AgendaItem:
    """The proposal joins the agenda as its last item (staff order it)."""
    now = now or utcnow()
    _decidable(actor, proposal)
    item = agenda.add_item(actor, proposal.session, agenda.ItemData(
        title=proposal.title, kind=proposal.kind, minutes=proposal.minutes,
        presenter_name=proposal.presenter_name or "", presenter_org_id=proposal.organisation_id,
        description=""), now=now)
    proposal.item_id = item.id
    _decided(actor, proposal, ProposalStatus.ACCEPTED.value, now)
    return item


def decline(actor: User, proposal: AgendaProposal, reason: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    _decidable(actor, proposal)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Please give a reason; the proposer receives it."))
    proposal.decline_reason = reason[:REASON_MAX]
    _decided(actor, proposal, ProposalStatus.DECLINED.value, now)


def merge(actor: User, proposal: AgendaProposal, item: AgendaItem | None, *,
          now: datetime | None = None) -> None:
    """The proposal is covered by an existing item of the same agenda."""
    now = now or utcnow()
    _decidable(actor, proposal)
    if item is None or item.session_id != proposal.session_id:
        raise DomainError("merge_invalid", _l("Please choose an item of this agenda."))
    proposal.item_id = item.id
    _decided(actor, proposal, ProposalStatus.MERGED.value, now)


def _tell_proposer(proposal: AgendaProposal) -> None:
    user = proposal.proposer
    if user is None:
        return
    session = proposal.session
    send_message(user.email, "agenda_proposal_decided", user.locale, user=user, proposal=proposal,
                 event=session.event, session=session,
                 session_url=external_url("agenda.session_page", session_id=session.id))
