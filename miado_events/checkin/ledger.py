"""The door ledger's flows: the scanner's queue (``sync``) and the staff
review of offline check-ins that arrived too late.

Each item a scanner sends goes through the one check-in service
(``services.check_in`` / ``services.undo``): whatever goes wrong with one item
becomes that item's answer, the others are recorded. An item's ``ref`` is
unique per session in the ledger (``CheckinScan``), so an item sent again, or
late, is answered as the first time and changes nothing. Services never
commit.

The batch runs in one savepoint, not one per item: the check-in itself is a
conditional insert (``insert_or_ignore``) that needs none, and the door's
hot path (one ticket per request, 600 people at the door) pays for two
savepoint statements instead of four. Only when something fails (an item
raises, or the same ref arrives twice at the same moment and the ledger's
unique index refuses the second) is that savepoint rolled back and the batch
handled once more with a savepoint per item: the failed item's answer is an
error (or the stored answer), and the others are recorded as before.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit
from ..database import utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..models.checkin import CheckInMethod, CheckinScan, ScanKind, ScanReview
from ..models.events import Event, EventSession, Registration, Slot
from ..permissions import ensure, is_staff
from .services import (Result, _failed, _invalid, _not_here, _record, _require_door, attendance_of, check_in,
                       describe, door_registration, resolve_scan, undo)


def parse_client_time(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _client_ref(item) -> str | None:
    ref = item.get("ref") if isinstance(item, dict) else None
    if isinstance(ref, bool) or not isinstance(ref, (str, int)):
        return None
    return str(ref)[:64] or None


def _scans_with_registrations():
    return select(CheckinScan).options(
        joinedload(CheckinScan.registration).joinedload(Registration.user),
        joinedload(CheckinScan.registration).joinedload(Registration.organisation),
        joinedload(CheckinScan.registration).joinedload(Registration.slot).joinedload(Slot.session))


def stored_scan(session: EventSession, client_ref: str | None) -> CheckinScan | None:
    if not client_ref:
        return None
    return db.session.scalar(_scans_with_registrations().where(CheckinScan.session_id == session.id,
                                                               CheckinScan.client_ref == client_ref))


def stored_scans(session: EventSession, client_refs) -> dict[str, CheckinScan]:
    """The ledger rows of ``client_refs`` already stored, in one query."""
    refs = sorted({ref for ref in client_refs if ref})
    if not refs:
        return {}
    return {scan.client_ref: scan for scan in db.session.scalars(
        _stored_scans_query(), {"session_id": session.id, "refs": refs})}


@functools.cache
def _stored_scans_query():
    """The statement of ``stored_scans``, built once per process (every sync
    runs it; building its joined loads cost more than running it)."""
    return _scans_with_registrations().where(CheckinScan.session_id == bindparam("session_id"),
                                             CheckinScan.client_ref.in_(bindparam("refs", expanding=True)))


def _replay(session: EventSession, scan: CheckinScan) -> Result:
    """The stored answer to an item seen before; nothing changes."""
    registration = scan.registration
    attendance = attendance_of(registration, session) if registration is not None else None
    result = describe(scan.result, session, registration, attendance)
    result.extra["replayed"] = True
    return result


@dataclass
class _Item:
    """What one item of a scanner's queue asks for, read before the batch
    writes anything (on SQLite: before the write lock is taken)."""

    kind: ScanKind
    method: CheckInMethod
    device_at: datetime | None
    registration: Registration | None
    refusal: Callable[[], Result]  # the answer when ``registration`` is None


def _read_item(session: EventSession, item) -> _Item | None:
    """The item's ticket or registration, looked up; None for an item that is
    no JSON object."""
    if not isinstance(item, dict):
        return None
    offline = item.get("offline") is True
    scan = item.get("scan")
    if offline:
        method = CheckInMethod.SYNC
    elif item.get("method") == "scan" or (scan and item.get("method") != "manual"):
        method = CheckInMethod.SCAN
    else:
        method = CheckInMethod.MANUAL
    kind = ScanKind.UNDO if item.get("undo") is True else ScanKind.CHECK_IN
    if isinstance(scan, str) and scan:
        _status, registration = resolve_scan(scan[:500])
        refusal = _invalid
    elif item.get("registration_id") is not None:
        registration = door_registration(session, item["registration_id"])
        refusal = _not_here
    else:
        registration, refusal = None, _invalid
    return _Item(kind, method, parse_client_time(item.get("at")), registration, refusal)


def _apply_item(actor, session: EventSession, read: _Item | None, ref: str | None, now: datetime,
                stored: CheckinScan | None) -> Result:
    """One item, read by ``_read_item``; ``stored`` is the ledger's row of its
    ref, if there is one (then it is answered from there)."""
    if stored is not None:
        return _replay(session, stored)
    if read is None:
        return _invalid()
    if read.kind is ScanKind.UNDO:
        return undo(actor, session, read.registration, method=read.method, now=now, client_ref=ref,
                    device_at=read.device_at)
    if read.registration is None:
        return _record(actor, session, read.refusal(), kind=read.kind, method=read.method.value, client_ref=ref,
                       device_at=read.device_at, now=now)
    return check_in(actor, session, read.registration, method=read.method, now=now, at=read.device_at,
                    client_ref=ref)


def sync(actor, session: EventSession, items: list, *, now: datetime | None = None) -> list[dict]:
    """Check-ins a scanner queued (offline, or one at a time online). Each
    item: ``{"ref": id, "scan": text}`` or ``{"ref": id, "registration_id": n}``,
    with ``"at"`` (ISO time on the device), ``"offline": true`` when it was
    decided offline, and optionally ``"undo": true``.

    Whatever goes wrong with one item becomes that item's answer, and the
    others are recorded (see the module's note: one savepoint for the batch,
    one per item only after a failure). ``ref`` is unique per session (the
    door ledger): an item sent again is answered as the first time and
    changes nothing. Returns one answer per item."""
    _require_door(actor, session)
    now = now or utcnow()
    items = items if isinstance(items, list) else []
    refs = [_client_ref(item) for item in items]
    # On SQLite the savepoint takes the database's one write lock, held until
    # the commit: there the reads (the refs already in the ledger, the
    # tickets of the others) come first, outside it, so that other scanners
    # wait only for the writes. A ref that reaches the ledger meanwhile meets
    # the unique index, and the batch goes the careful way below. Elsewhere
    # (PostgreSQL: row locks; a failed statement would spoil the transaction
    # outside a savepoint) the reads are inside the savepoint.
    reads_first = db.session.get_bind().dialect.name == "sqlite"
    try:
        if reads_first:
            stored, reads = _read_batch(session, items, refs)
        with db.session.begin_nested():
            if not reads_first:
                stored, reads = _read_batch(session, items, refs)
            answers = _sync_batch(actor, session, reads, refs, stored, now)
    except PermissionDenied:
        raise
    except Exception:  # noqa: BLE001 -- nothing of the batch is kept; each item once more, alone
        answers = [_sync_alone(actor, session, item, ref, now) for item, ref in zip(items, refs)]
    return [{"ref": ref, **answer} for ref, answer in zip(refs, answers)]


def _read_batch(session: EventSession, items: list, refs: list) -> tuple[dict, list]:
    """The ledger's rows of the refs, and the other items read."""
    stored = stored_scans(session, refs)
    return stored, [None if ref in stored else _read_item(session, item) for item, ref in zip(items, refs)]


def _sync_batch(actor, session: EventSession, reads: list, refs: list, stored: dict, now: datetime) -> list[dict]:
    """Every item in the caller's savepoint; raises if any item fails."""
    seen: set[str] = set()
    answers = []
    for read, ref in zip(reads, refs):
        if ref in seen:  # the same ref twice in one batch: the second gets the first one's answer
            db.session.flush()
            scan = stored_scan(session, ref)
        else:
            scan = stored.get(ref) if ref else None
        answers.append(_apply_item(actor, session, read, ref, now, scan).as_json())
        if ref:
            seen.add(ref)
    db.session.flush()
    return answers


def _sync_alone(actor, session: EventSession, item, ref: str | None, now: datetime) -> dict:
    """One item in its own savepoint (after the batch failed)."""
    try:
        with db.session.begin_nested():
            stored = stored_scan(session, ref)
            read = None if stored is not None else _read_item(session, item)
            answer = _apply_item(actor, session, read, ref, now, stored).as_json()
            db.session.flush()
    except PermissionDenied:
        raise
    except IntegrityError:
        # The same item arrived twice at the same moment: the other one counts.
        stored = stored_scan(session, ref)
        answer = (_replay(session, stored) if stored is not None else _failed()).as_json()
    except Exception:  # noqa: BLE001 -- one bad item must not cost the others
        current_app.logger.exception("door sync: item %r of session %s failed", ref, session.id)
        answer = _failed().as_json()
    return answer


# --- staff review of late offline check-ins --------------------------------------------

def pending_reviews(event: Event) -> list[CheckinScan]:
    """Offline check-ins of ``event`` that arrived too late, oldest first."""
    return list(db.session.scalars(
        select(CheckinScan).join(EventSession, EventSession.id == CheckinScan.session_id)
        .options(joinedload(CheckinScan.registration).joinedload(Registration.user),
                 joinedload(CheckinScan.session), joinedload(CheckinScan.user))
        .where(EventSession.event_id == event.id, CheckinScan.result == "held_for_review",
               CheckinScan.review.is_(None))
        .order_by(CheckinScan.received_at, CheckinScan.id)))


def review_held_scan(actor, scan: CheckinScan, *, accept: bool, now: datetime | None = None) -> Result | None:
    """Staff accept (the person is checked in at the device's time) or reject
    an offline check-in that arrived too late."""
    ensure(is_staff, actor)
    if not scan.awaits_review:
        raise DomainError("already_reviewed", _l("This check-in has already been reviewed."))
    now = now or utcnow()
    result = None
    if accept:
        if scan.registration is None:
            raise DomainError("registration_gone", _l("This registration no longer exists."))
        result = check_in(actor, scan.session, scan.registration, method=CheckInMethod.SYNC, now=now,
                          at=scan.device_at or scan.received_at, override=True)
        if result.outcome not in ("checked_in", "already_checked_in"):
            raise DomainError(result.outcome, result.message)
    scan.review = (ScanReview.ACCEPTED if accept else ScanReview.REJECTED).value
    scan.reviewed_at = now
    scan.reviewed_by_id = actor.id
    audit.record(actor, "checkin.review", scan.registration, scan.person_name, now=now, session_id=scan.session_id,
                 decision=scan.review)
    return result
