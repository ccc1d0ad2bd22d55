"""The person's rights under the DSGVO, and keeping personal data no longer
than needed.

- ``export_data``: everything held about a person, as plain JSON data (Art. 15/20).
- ``delete_account``: the account goes; registrations and attendance stay as
  anonymous rows so that the office's statistics do not change (Art. 17).
- ``purge``: the daily job that anonymises registrations of long-past events
  and waiting-list entries of past events, and drops old e-mails.

Anonymising a registration removes the link to the person and its ticket
(token and code); the event, slot, MSO, status, times and the attendance rows
stay. The MSO is not personal data of the member: it is what "MSOs reached"
counts. The registrations of one person anonymised together get one random
``anonymous_key``, so that "participants per MSO" still counts that person
once; nothing links the key to anyone (a purge in a later run gives the same
person a new key: keeping a link across runs would keep the person).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, or_, select, update

from .. import audit, permissions
from ..database import utcnow
from ..errors import DomainError
from ..calendar.replies import purge_replies
from ..events import registration as registration_service
from ..events.questions import own_answers
from ..extensions import db
from ..mail import send_message
from ..accounts.services import end_all_sessions, session_lifetime
from ..models.accounts import LoginSession, Role, User, UserToken
from ..models.audit import AuditEntry
from ..models.checkin import Attendance, Certificate, TicketImage
from ..models.events import Event, EventSession, Registration, Slot
from ..models.feeds import SharedFeed
from ..models.mail import Mailing, MailingKind, OutboxMessage, OutboxStatus
from ..models.materials import Material, SessionMinutes
from ..models.orgs import Membership, OrgInvitation
from ..models.meetings import AgendaItem, AgendaProposal
from ..models.questions import QuestionAnswer
from ..models.voting import BallotChange, Topic, TopicComment, TopicSupport
from ..orgs import queries as org_queries
from .scrub import DELETED, Needle


# --- consent ----------------------------------------------------------------------------------

def current_notice_version() -> str:
    return current_app.config["PRIVACY_NOTICE_VERSION"]


def needs_consent(user: User) -> bool:
    """True when the person last agreed to another version of the privacy notice."""
    return user.privacy_consent_version != current_notice_version()


def record_consent(user: User, *, now: datetime | None = None) -> None:
    user.privacy_consent_version = current_notice_version()
    user.privacy_consent_at = now or utcnow()


# --- export -----------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(user: User, *, now: datetime | None = None) -> dict:
    """All data held about ``user``, as JSON-ready values. Only what is about
    them: for an event, its title and times, not other participants."""
    now = now or utcnow()
    registrations = list(db.session.scalars(
        select(Registration).where(Registration.user_id == user.id).order_by(Registration.id)))
    attendance = list(db.session.scalars(
        select(Attendance).join(Registration, Registration.id == Attendance.registration_id)
        .where(Registration.user_id == user.id).order_by(Attendance.checked_in_at)))
    memberships = list(db.session.scalars(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)))
    certificates = list(db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)))
    topics = list(db.session.scalars(select(Topic).where(Topic.proposer_id == user.id).order_by(Topic.id)))
    agenda_proposals = list(db.session.scalars(
        select(AgendaProposal).where(AgendaProposal.proposer_id == user.id).order_by(AgendaProposal.id)))
    comments = list(db.session.scalars(
        select(TopicComment).where(TopicComment.user_id == user.id).order_by(TopicComment.id)))
    supports = list(db.session.scalars(
        select(TopicSupport).where(TopicSupport.user_id == user.id).order_by(TopicSupport.topic_id)))
    ballot_changes = list(db.session.scalars(
        select(BallotChange).where(BallotChange.user_id == user.id).order_by(BallotChange.id)))
    mails = list(db.session.execute(
        select(OutboxMessage.subject, OutboxMessage.template, OutboxMessage.status,
               OutboxMessage.created_at, OutboxMessage.sent_at)
        .where(OutboxMessage.to_address == user.email).order_by(OutboxMessage.id)))

    answers = own_answers([r.id for r in registrations], user.locale)

    def slot_sessions(slot: Slot) -> list[dict]:
        sessions = [slot.session] if slot.session is not None else slot.event.sessions
        return [{"starts_at": _iso(s.starts_at), "ends_at": _iso(s.ends_at)} for s in sessions]

    return {
        "generated_at": _iso(now),
        "controller": current_app.config.get("IMPRINT_ORGANISATION", "MIA-DO-KI, Stadt Dortmund"),
        "account": {
            "name": user.name, "email": user.email, "phone": user.phone, "role": user.role,
            "language": user.locale, "has_account": user.has_account,
            "created_at": _iso(user.created_at), "email_verified_at": _iso(user.email_verified_at),
            "privacy_notice_version": user.privacy_consent_version,
            "privacy_consent_at": _iso(user.privacy_consent_at),
            "has_calendar_feed": bool(user.feed_token),
            "office_news_opt_out_at": _iso(user.office_news_opt_out_at),
        },
        "organisations": [
            {"organisation": m.organisation.name, "role": m.role, "status": m.status,
             "since": _iso(m.created_at)} for m in memberships],
        "registrations": [
            {"event": r.event.title, "kind": r.event.kind, "status": r.status,
             "organisation": r.organisation.name if r.organisation else None,
             "sessions": slot_sessions(r.slot), "registered_at": _iso(r.created_at),
             "confirmed_at": _iso(r.confirmed_at), "cancelled_at": _iso(r.cancelled_at),
             "ticket_code": r.ticket_code_display if r.ticket_code else None,
             "answers": answers.get(r.id, [])} for r in registrations],
        "attendance": [
            {"event": a.registration.event.title, "session_starts_at": _iso(a.session.starts_at),
             "checked_in_at": _iso(a.checked_in_at), "method": a.method} for a in attendance],
        "certificates": [
            {"event": c.event.title, "code": c.code_display, "name_printed": c.holder_name,
             "issued_at": _iso(c.issued_at), "revoked_at": _iso(c.revoked_at)} for c in certificates],
        "topic_proposals": [
            {"title": t.title, "description": t.description, "why": t.why, "status": t.status,
             "round": t.round.title, "proposed_at": _iso(t.created_at)} for t in topics],
        "topic_comments": [
            {"topic": c.topic.title if c.topic else None, "text": c.body, "written_at": _iso(c.created_at),
             "hidden": c.hidden_at is not None} for c in comments],
        "topics_supported": [s.topic_id for s in supports],
        "agenda_proposals": [
            {"title": p.title, "kind": p.kind, "minutes": p.minutes, "presenter": p.presenter_name,
             "why": p.why, "status": p.status, "organisation": p.organisation.name,
             "meeting": p.session.event.title, "meeting_starts_at": _iso(p.session.starts_at),
             "proposed_at": _iso(p.created_at)} for p in agenda_proposals],
        "ballot_changes": [
            {"ballot_id": b.ballot_id, "changed_at": _iso(b.changed_at), "points": b.points}
            for b in ballot_changes],
        "emails": [
            {"subject": m.subject, "kind": m.template, "status": m.status,
             "queued_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)} for m in mails],
    }


# --- anonymising --------------------------------------------------------------------------------

def new_anonymous_key() -> str:
    """A random key for the anonymised registrations of one person (128 bits)."""
    return secrets.token_hex(16)


#: People anonymised by one UPDATE (their keys in one CASE).
_BATCH = 500


def _anonymise(condition, now: datetime, keys: dict[int, str] | None = None) -> int:
    """Cut the tie between matching registrations and their person; returns how
    many. Each person's rows get one random key (``keys``: person → key, shared
    by the calls of one run, filled here; it is forgotten when the run ends)."""
    keys = {} if keys is None else keys
    values = dict(user_id=None, ticket_token=None, ticket_code=None, anonymised_at=now)
    # The answers to an event's registration questions go with the person (none stays).
    db.session.execute(delete(QuestionAnswer).where(QuestionAnswer.registration_id.in_(
        select(Registration.id).where(condition))).execution_options(synchronize_session=False))
    # The ticket's kept QR image goes with the ticket token.
    db.session.execute(delete(TicketImage).where(TicketImage.registration_id.in_(
        select(Registration.id).where(condition))).execution_options(synchronize_session=False))
    people = db.session.scalars(
        select(Registration.user_id).where(condition, Registration.user_id.is_not(None)).distinct()).all()
    count = 0
    for start in range(0, len(people), _BATCH):
        batch = {user_id: keys.setdefault(user_id, new_anonymous_key())
                 for user_id in people[start:start + _BATCH]}
        count += db.session.execute(
            update(Registration).where(condition, Registration.user_id.in_(batch))
            .values(anonymous_key=case(batch, value=Registration.user_id), **values)
            .execution_options(synchronize_session=False)).rowcount or 0
    # Rows whose person went some other way but whose ticket is still there.
    count += db.session.execute(
        update(Registration)
        .where(condition, Registration.user_id.is_(None), Registration.ticket_token.is_not(None))
        .values(**values)
        .execution_options(synchronize_session=False)).rowcount or 0
    return count


def _scrub_texts(needle: Needle) -> None:
    """Free text that stays (the audit log, mailings, topics, others' comments)
    loses the person's name and address; the rest of it stays."""
    for model, columns in ((AuditEntry, ("summary",)), (Mailing, ("subject", "body")),
                           (Topic, ("title", "description", "why")), (TopicComment, ("body",)),
                           (AgendaProposal, ("title", "presenter_name", "why")),
                           (AgendaItem, ("title", "presenter_name", "description")),
                           (SessionMinutes, ("body",)), (Material, ("title", "filename"))):
        found = db.session.scalars(select(model).where(or_(*[
            getattr(model, c).icontains(w, autoescape=True) for c in columns for w in needle.words]))).all()
        for row in found:
            for column in columns:
                setattr(row, column, needle.scrub(getattr(row, column)))
    # Office news in other languages: {"en": {"subject": ..., "body": ...}}.
    for mailing in db.session.scalars(select(Mailing).where(Mailing.kind == MailingKind.OFFICE.value)):
        texts = mailing.translations or {}
        if any(needle.found_in(text) for parts in texts.values() for text in parts.values()):
            mailing.translations = {code: {k: needle.scrub(v) for k, v in parts.items()}
                                    for code, parts in texts.items()}


def _scrub_outbox(user: User, needle: Needle) -> None:
    """Mail to the person goes; mail to others that names them (a join
    request to the representatives, an invitation they sent, a note to the
    office) stays without the name: one still waiting is still delivered."""
    if user.email:  # a person registered without an address got no mail
        db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to_address) == user.email.lower())
                           .execution_options(synchronize_session=False))
    changes = []
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.subject, OutboxMessage.raw)
        .where(OutboxMessage.raw.is_not(None))  # a recipe not yet rendered holds no text
        .order_by(OutboxMessage.id)
        .execution_options(yield_per=200))
    for message_id, subject, raw in rows:
        if not (needle.found_in(subject) or needle.may_be_in(raw)):
            continue
        new_raw = needle.scrub_message(raw)
        if new_raw is not None or needle.found_in(subject):
            changes.append((message_id, needle.scrub(subject)[:300], new_raw or raw))
    for message_id, subject, raw in changes:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(subject=subject, raw=raw).execution_options(synchronize_session=False))


def delete_account(user: User, *, now: datetime | None = None) -> dict[str, int]:
    """Delete ``user``'s account. Seats of sessions not yet started are given
    back (the waiting list moves up); registrations of sessions that have
    started (a running session, a series under way) and their attendance stay
    without the person, seat included; links
    and the calendar feed stop working, the MSOs they represented are told.
    No name or address of the person is left anywhere. Returns what was done
    (for the log)."""
    now = now or utcnow()
    if user.role == Role.ADMIN.value:
        admins = db.session.scalar(select(func.count()).select_from(User).where(
            User.role == Role.ADMIN.value, User.is_enabled.is_(True), User.id != user.id))
        if not admins:
            raise DomainError("last_admin", _l("You are the only administrator. Make someone else "
                                               "administrator before you delete your account."))
    # 1. Seats of sessions not yet started are given back the normal way,
    #    silently for the person (the account is going), with the seat passed
    #    on; so is a place on a waiting list that can still move. A seat of a
    #    session that has started stays, anonymised below, with its check-ins:
    #    the person may be in the room, the counts at the door and on the
    #    dashboard stay as they are, and no walk-in gets their chair. A series
    #    registered as a whole counts as started from its first session on.
    covered = (or_(EventSession.id == Slot.session_id,
                   Slot.session_id.is_(None) & (EventSession.event_id == Slot.event_id)))
    started = select(EventSession.id).where(covered, EventSession.starts_at <= now).correlate(Slot).exists()
    not_over = select(EventSession.id).where(covered, EventSession.ends_at > now).correlate(Slot).exists()
    active = db.session.scalars(
        select(Registration).join(Slot, Slot.id == Registration.slot_id)
        .where(Registration.user_id == user.id, not_over,
               or_(Registration.is_confirmed & ~started, Registration.is_waitlisted))
        .order_by(Registration.id)).all()
    for registration in active:
        # Those promoted get their usual mail; the person's own is deleted below.
        registration_service.cancel_registration(user, registration, now=now, account_deleted=True)
    cancelled = len(active)

    # 2. The MSOs this person represented learn that a representative has gone.
    memberships = list(db.session.scalars(select(Membership).where(Membership.user_id == user.id)))
    told = 0
    for membership in memberships:
        if membership.is_representative:
            org = membership.organisation
            remaining = [u for u in org_queries.representatives(org) if u.id != user.id]
            for rep in remaining:
                send_message(rep.email, "representative_deleted", rep.locale, user=rep, org=org,
                             remaining=len(remaining))
            send_message(current_app.config["STAFF_NOTIFY_EMAIL"], "representative_deleted",
                         current_app.config["BABEL_DEFAULT_LOCALE"], user=None, org=org,
                         remaining=len(remaining))
            told += 1
        db.session.delete(membership)
    permissions.forget_memberships()

    # 3. Records that stay lose the person: registrations, audit entries, mailings, topics.
    anonymised = _anonymise(Registration.user_id == user.id, now)
    db.session.execute(update(AuditEntry).where(AuditEntry.actor_id == user.id)
                       .values(actor_id=None, actor_name=DELETED))
    db.session.execute(update(Mailing).where(Mailing.sender_id == user.id)
                       .values(sender_id=None, sender_name=DELETED))
    db.session.execute(update(Topic).where(Topic.proposer_id == user.id).values(proposer_id=None))
    db.session.execute(update(AgendaProposal).where(AgendaProposal.proposer_id == user.id)
                       .values(proposer_id=None))

    # 4. What is only theirs goes: comments, certificates, tokens, invitations.
    db.session.execute(delete(TopicComment).where(TopicComment.user_id == user.id))
    db.session.execute(delete(Certificate).where(Certificate.user_id == user.id))
    db.session.execute(delete(UserToken).where(UserToken.user_id == user.id))
    end_all_sessions(user)
    if user.email:
        db.session.execute(delete(OrgInvitation).where(func.lower(OrgInvitation.email) == user.email.lower()))

    # 5. No text that stays names them: the mail outbox, then the free text above.
    db.session.flush()
    needle = Needle.of(user.name, user.email)
    _scrub_outbox(user, needle)
    _scrub_texts(needle)
    db.session.flush()
    result = {"cancelled": cancelled, "anonymised": anonymised, "organisations_told": told}
    # The log says that an account went, not whose.
    audit.record(None, "account.delete", None, user.role, now=now, **result)
    db.session.delete(user)
    db.session.flush()
    return result



# --- purge ------------------------------------------------------------------------------------

@dataclass
class PurgeReport:
    cutoff: datetime
    registrations: int = 0
    waiting_list: int = 0
    emails: int = 0
    tokens: int = 0
    calendar_replies: int = 0
    guests: int = 0

    @property
    def changed(self) -> bool:
        return any((self.registrations, self.waiting_list, self.emails, self.tokens, self.calendar_replies,
                    self.guests))


def purge(*, months: int | None = None, now: datetime | None = None) -> PurgeReport:
    """Remove personal data that is no longer needed. Idempotent: a second run
    finds nothing to do. Counts (registrations, attendance) stay."""
    now = now or utcnow()
    months = current_app.config["PRIVACY_RETENTION_MONTHS"] if months is None else months
    cutoff = now - timedelta(days=round(months * 30.44))
    report = PurgeReport(cutoff=cutoff)

    last_end = (select(func.max(EventSession.ends_at)).where(EventSession.event_id == Event.id)
                .correlate(Event).scalar_subquery())
    old_events = select(Event.id).where(last_end < cutoff)
    past_events = select(Event.id).where(last_end < now)
    keys: dict[int, str] = {}    # one key per person in this run
    report.waiting_list = _anonymise(
        Registration.is_waitlisted
        & Registration.event_id.in_(past_events), now, keys)
    report.registrations = _anonymise(Registration.event_id.in_(old_events), now, keys)
    # Certificates stay: they are the person's proof and can be verified for years.
    report.emails = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.created_at < cutoff,
                                    OutboxMessage.status != OutboxStatus.QUEUED.value)
        .execution_options(synchronize_session=False)).rowcount or 0
    report.tokens = db.session.execute(
        delete(UserToken).where(UserToken.expires_at < now)
        .execution_options(synchronize_session=False)).rowcount or 0
    # Login sessions older than a remember-me cookie can live open nothing any more.
    report.tokens += db.session.execute(
        delete(LoginSession).where(LoginSession.created_at <= now - session_lifetime())
        .execution_options(synchronize_session=False)).rowcount or 0
    # Calendar replies keep the sender's address while they wait for the office.
    report.calendar_replies = purge_replies(cutoff)
    report.guests = _purge_guests(cutoff)
    # Feeds built for an earlier day are never served again, and a personal one lists what its person attended.
    db.session.execute(delete(SharedFeed).where(SharedFeed.day < now.date())
                       .execution_options(synchronize_session=False))
    if report.changed:
        audit.record(None, "privacy.purge", None,
                     f"{report.registrations} + {report.waiting_list} / {report.emails} / {report.tokens}",
                     now=now, registrations=report.registrations, waiting_list=report.waiting_list,
                     emails=report.emails, tokens=report.tokens, calendar_replies=report.calendar_replies,
                     guests=report.guests or None)
    return report


def _purge_guests(cutoff: datetime) -> int:
    """People without an account (guests, people entered by phone) are kept
    only for their registrations: once none is left (all anonymised above or
    deleted), and they have no open link to choose a password nor an MSO,
    the person goes."""
    registered = select(Registration.id).where(Registration.user_id == User.id).exists()
    open_token = select(UserToken.id).where(UserToken.user_id == User.id).exists()
    member = select(Membership.id).where(Membership.user_id == User.id).exists()
    return db.session.execute(
        delete(User).where(User.password_hash.is_(None), User.role == Role.MEMBER.value,
                           User.created_at < cutoff, ~registered, ~open_token, ~member)
        .execution_options(synchronize_session=False)).rowcount or 0
