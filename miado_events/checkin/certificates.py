"""Certificates of participation (Teilnahmebescheinigungen) for training series.

After the last session of a series, a member whose attendance reaches the
series' threshold (percent of its sessions) gets a certificate: the first
download creates it with a random verification code, later downloads show
the same one. Staff can issue one by hand (below the threshold, or for a
series without one) and revoke one with a reason. The public verification
page shows, for a valid code, only name, series and date.
"""
from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import person_language, with_formats
from ..models.accounts import User
from ..models.checkin import Attendance, Certificate
from ..models.events import Event, EventKind, EventSession, Registration
from ..models.translated import localized
from ..permissions import ensure, is_staff
from ..urls import external_url
from . import tickets

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
ISSUER = "MIA-DO-KI – Kommunales Integrationszentrum, Stadt Dortmund"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    return tickets.normalise_crockford(text, CODE_LENGTH, CODE_ALPHABET)


@dataclass
class Standing:
    """A person's attendance in a series, and whether it earns a certificate."""

    user: User
    registration: Registration | None
    attended: list[EventSession]
    total: int
    threshold: int | None
    certificate: Certificate | None

    @property
    def percent(self) -> int:
        return round(100 * len(self.attended) / self.total) if self.total else 0

    @property
    def reaches_threshold(self) -> bool:
        return (self.threshold is not None and self.total > 0
                and len(self.attended) * 100 >= self.threshold * self.total)

    @property
    def minutes(self) -> int:
        return sum(int(s.duration.total_seconds() // 60) for s in self.attended)


def is_finished(event: Event, now: datetime) -> bool:
    last = event.last_end
    return last is not None and last <= now


def _attended(event: Event, user_ids: list[int] | None = None) -> dict[int, list[EventSession]]:
    query = (select(Registration.user_id, EventSession)
             .join(Attendance, Attendance.registration_id == Registration.id)
             .join(EventSession, EventSession.id == Attendance.session_id)
             .where(Registration.event_id == event.id, EventSession.status == "scheduled")
             .order_by(EventSession.starts_at))
    if user_ids is not None:
        query = query.where(Registration.user_id.in_(user_ids))
    out: dict[int, list[EventSession]] = {}
    for user_id, session in db.session.execute(query):
        if session not in out.setdefault(user_id, []):
            out[user_id].append(session)
    return out


def valid_certificate(event: Event, user: User) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.event_id == event.id, Certificate.user_id == user.id,
        Certificate.revoked_at.is_(None)))


def standing(event: Event, user: User) -> Standing:
    registration = db.session.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
        .order_by(Registration.is_confirmed.desc(), Registration.id.desc()).limit(1))
    return Standing(user, registration, _attended(event, [user.id]).get(user.id, []),
                    len(event.scheduled_sessions), event.certificate_threshold,
                    valid_certificate(event, user))


def standings(event: Event) -> list[Standing]:
    """Everyone with a confirmed registration or any attendance in the series
    (for the staff page), in name order."""
    registrations = db.session.scalars(
        select(Registration).options(joinedload(Registration.user), joinedload(Registration.organisation))
        .where(Registration.event_id == event.id, Registration.user_id.is_not(None))
        .order_by(Registration.id)).all()
    attended = _attended(event)
    certificates = {c.user_id: c for c in db.session.scalars(select(Certificate).where(
        Certificate.event_id == event.id, Certificate.revoked_at.is_(None)))}
    people: dict[int, Registration] = {}
    for r in registrations:
        if r.is_confirmed or r.user_id in attended:
            if r.user_id not in people or r.is_confirmed:
                people[r.user_id] = r
    total = len(event.scheduled_sessions)
    rows = [Standing(r.user, r, attended.get(uid, []), total, event.certificate_threshold,
                     certificates.get(uid)) for uid, r in people.items()]
    return sorted(rows, key=lambda s: (s.user.name.casefold(), s.user.id))


def _check_series(event: Event) -> None:
    if event.kind != EventKind.SERIES.value:
        raise DomainError("not_a_series", _l("Certificates are issued for training series only."))


def _create(event: Event, st: Standing, *, issued_by: User | None, now: datetime) -> Certificate:
    org = st.registration.organisation if st.registration is not None else None
    for _attempt in range(5):
        certificate = Certificate(
            event_id=event.id, user_id=st.user.id, code=new_code(), holder_name=st.user.name,
            organisation_name=org.name if org is not None else None,
            sessions_attended=len(st.attended), sessions_total=st.total, minutes_attended=st.minutes,
            issued_at=now, issued_by_id=issued_by.id if issued_by is not None else None)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            existing = valid_certificate(event, st.user)
            if existing is not None:  # created a moment ago by another request
                return existing
            continue  # the random code was taken: draw again
        return certificate
    raise DomainError("code_collision", _l("Please try again."))


def claim(user: User, event: Event, *, now: datetime | None = None) -> Certificate:
    """The member's certificate for ``event``, created on first download."""
    now = now or utcnow()
    _check_series(event)
    st = standing(event, user)
    if st.certificate is not None:
        return st.certificate
    if not is_finished(event, now):
        raise DomainError("series_not_finished",
                          _l("Certificates are available after the last session of the series."))
    if event.certificate_threshold is None:
        raise DomainError("no_threshold", _l("This series has no certificate of participation."))
    if not st.reaches_threshold:
        raise DomainError("below_threshold",
                          _l("You attended %(attended)d of %(total)d sessions; the certificate needs %(threshold)d%%.",
                             attended=len(st.attended), total=st.total, threshold=event.certificate_threshold))
    return _create(event, st, issued_by=None, now=now)


def issue_by_hand(actor: User, event: Event, user: User, *, now: datetime | None = None) -> Certificate:
    now = now or utcnow()
    ensure(is_staff, actor)
    _check_series(event)
    st = standing(event, user)
    if st.certificate is not None:
        raise DomainError("already_issued", _l("This person already has a certificate for this series."))
    certificate = _create(event, st, issued_by=actor, now=now)
    audit.record(actor, "certificate.issue", certificate, f"{user.name}: {event.title}", now=now)
    return certificate


def revoke(actor: User, certificate: Certificate, reason: str, *, now: datetime | None = None) -> None:
    ensure(is_staff, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Please give a reason."))
    if certificate.revoked_at is not None:
        raise DomainError("already_revoked", _l("This certificate has already been revoked."))
    certificate.revoked_at = now or utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason[:300]
    audit.record(actor, "certificate.revoke", certificate, certificate.holder_name, now=certificate.revoked_at,
                 reason=certificate.revoke_reason)


def lookup(text: str) -> Certificate | None:
    """The valid certificate with this verification code, or None."""
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).options(joinedload(Certificate.event))
                             .where(Certificate.code == code, Certificate.revoked_at.is_(None)))


def certificates_of(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).options(joinedload(Certificate.event))
                                   .where(Certificate.user_id == user.id, Certificate.revoked_at.is_(None))
                                   .order_by(Certificate.issued_at.desc())))


def series_of(user: User) -> list[Event]:
    """Training series the user registered for (for the certificates page)."""
    mine = select(Registration.event_id).where(Registration.user_id == user.id,
                                               Registration.is_confirmed)
    return list(db.session.scalars(
        select(Event).where(Event.id.in_(mine), Event.kind == EventKind.SERIES.value)
        .order_by(Event.id.desc())))


def verify_url(certificate: Certificate) -> str:
    return external_url("checkin.verify_code", code=certificate.code)


# --- the PDF ------------------------------------------------------------------------

def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}:{rest:02d}"


def certificate_pdf(certificate: Certificate) -> bytes:
    """A4 Teilnahmebescheinigung in its holder's language (``User.locale``),
    the series' title in their translation where one exists."""
    language = person_language(certificate.user)
    with force_locale(with_formats(language)):
        return _certificate_pdf(certificate, language)


def _certificate_pdf(certificate: Certificate, language: str) -> bytes:
    # fpdf2 is loaded by the first PDF, not by every web worker at start-up.
    from fpdf.enums import XPos, YPos

    from ..pdf import new_document

    event = certificate.event
    sessions = _attended(event, [certificate.user_id]).get(certificate.user_id, [])
    pdf = new_document(_("Certificate of participation"), margin=22, author=ISSUER)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, ISSUER, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(14)
    pdf.set_font("DejaVu", "B", 22)
    pdf.multi_cell(0, 11, _("Certificate of participation"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 12)
    pdf.multi_cell(0, 7, _("This is to certify that"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, certificate.holder_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 12)
    if certificate.organisation_name:
        pdf.multi_cell(0, 7, certificate.organisation_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.multi_cell(0, 7, _("took part in the training series"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, localized(event, "title", language).text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 12)
    pdf.ln(3)
    pdf.multi_cell(0, 7, ngettext("%(num)d session attended of %(total)d, %(hours)s hours in all:",
                                  "%(num)d sessions attended of %(total)d, %(hours)s hours in all:",
                                  certificate.sessions_attended, total=certificate.sessions_total,
                                  hours=_hours(certificate.minutes_attended)),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 11)
    for session in sessions:
        line = "{} · {}–{} · {}".format(format_date(session.starts_at, "medium"),
                                        format_time(session.starts_at, "short"),
                                        format_time(session.ends_at, "short"),
                                        _("%(hours)s h", hours=_hours(int(session.duration.total_seconds() // 60))))
        pdf.cell(0, 6.5, "•  " + line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, _("Issued by %(issuer)s on %(date)s.", issuer=ISSUER,
                           date=format_date(certificate.issued_at, "long")),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # Verification: code and QR code at the foot of the page.
    url = verify_url(certificate)
    y = max(pdf.get_y() + 10, 225)
    pdf.image(io.BytesIO(tickets.qr_png(url, box_size=5)), x=22, y=y, w=40, h=40)
    pdf.set_xy(68, y + 4)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, _("Verification code: %(code)s", code=certificate.code_display),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(68)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, _("Anyone can check this certificate at %(url)s", url=url))
    return bytes(pdf.output())
