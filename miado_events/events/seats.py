"""Seat counters: the only code that changes ``confirmed_count``.

Every change is one conditional UPDATE, so two requests at the same moment
can never both take the last seat: the database serialises the updates and
the CHECK constraints on the counters refuse anything past the limits.
"""
from __future__ import annotations

from sqlalchemy import and_, select, update

from ..database import insert_or_ignore
from ..extensions import db
from ..models.events import Slot, SlotOrgSeats

EVENT_FULL = "event_full"
ORG_QUOTA_REACHED = "org_quota_reached"


def _ensure_org_row(slot: Slot, organisation_id: int, limit: int) -> None:
    db.session.execute(insert_or_ignore(SlotOrgSeats, key=["slot_id", "organisation_id"], slot_id=slot.id,
                                        organisation_id=organisation_id, seat_limit=limit, confirmed_count=0))


def take_seat(slot: Slot, organisation_id: int | None) -> str | None:
    """Take one confirmed seat; None on success, else why not
    (``org_quota_reached`` or ``event_full``). Nothing changes on failure.

    The slot's row is locked first (PostgreSQL; SQLite has one writer at a
    time anyway), for two reasons: every path then locks the slot before an
    MSO's counter row, as a cancellation does (release_seat, then the waiting
    list), so the two never deadlock; and a registration waits for a
    cancellation in progress instead of reading "full" and going to the
    waiting list while the cancelled seat stays free."""
    db.session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
    limit = slot.event.org_seat_limit
    counted_for_org = False
    if organisation_id is not None and limit:
        _ensure_org_row(slot, organisation_id, limit)
        result = db.session.execute(
            update(SlotOrgSeats)
            .where(SlotOrgSeats.slot_id == slot.id, SlotOrgSeats.organisation_id == organisation_id,
                   SlotOrgSeats.confirmed_count < SlotOrgSeats.seat_limit)
            .values(confirmed_count=SlotOrgSeats.confirmed_count + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 0:
            return ORG_QUOTA_REACHED
        counted_for_org = True
    result = db.session.execute(
        update(Slot).where(Slot.id == slot.id, Slot.confirmed_count < Slot.capacity)
        .values(confirmed_count=Slot.confirmed_count + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount == 0:
        if counted_for_org:
            _change_org_count(slot, organisation_id, -1)
        return EVENT_FULL
    db.session.expire(slot, ["confirmed_count"])
    return None


def release_seat(slot: Slot, organisation_id: int | None) -> None:
    db.session.execute(
        update(Slot).where(Slot.id == slot.id, Slot.confirmed_count > 0)
        .values(confirmed_count=Slot.confirmed_count - 1)
        .execution_options(synchronize_session=False))
    if organisation_id is not None:
        _change_org_count(slot, organisation_id, -1)
    db.session.expire(slot, ["confirmed_count"])


def _change_org_count(slot: Slot, organisation_id: int, delta: int) -> None:
    condition = SlotOrgSeats.confirmed_count > 0 if delta < 0 else SlotOrgSeats.confirmed_count >= 0
    db.session.execute(
        update(SlotOrgSeats)
        .where(and_(SlotOrgSeats.slot_id == slot.id,
                    SlotOrgSeats.organisation_id == organisation_id, condition))
        .values(confirmed_count=SlotOrgSeats.confirmed_count + delta)
        .execution_options(synchronize_session=False))


def set_capacity(slot: Slot, capacity: int) -> bool:
    """Change the capacity unless more seats are already confirmed."""
    result = db.session.execute(
        update(Slot).where(Slot.id == slot.id, Slot.confirmed_count <= capacity)
        .values(capacity=capacity).execution_options(synchronize_session=False))
    db.session.expire(slot, ["capacity", "confirmed_count"])
    return result.rowcount == 1


def org_seats_used(organisation_id: int, slot_ids) -> dict[int, int]:
    """Confirmed seats of one MSO per slot, read from the counters above (the
    events without a seat limit per MSO keep no counter: absent here)."""
    ids = list(slot_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(SlotOrgSeats.slot_id, SlotOrgSeats.confirmed_count).where(
        SlotOrgSeats.organisation_id == organisation_id, SlotOrgSeats.slot_id.in_(ids)))
    return dict(rows.all())
