"""Materials of a session (uploads), who may see minutes and materials, and
publishing them.

* **Who sees what** is decided by ``can_see(viewer, item)`` alone, for
  minutes and materials alike; every page, download and search asks it.
* **Uploads** are checked before they exist: the bytes are written to a
  temporary file in ``MATERIALS_DIR`` (counting against
  ``MATERIALS_MAX_BYTES``), their type is sniffed from the bytes
  (``filetypes.sniff``: an allow-list, never SVG or HTML), and only then the
  file is renamed to a random name. Whatever fails removes the temporary
  file, so nothing half-written stays on disk.
* **Files follow the transaction.** A file written by a request that is
  rolled back is removed with the rollback; a deleted material's file is
  removed only after the commit, so a rolled-back delete loses nothing.
  Only a crash between a commit and the removal can leave a file that no row
  names: ``flask materials sweep`` removes those (``sweep``).
"""
from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
import unicodedata
from contextlib import suppress
from pathlib import Path

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .. import audit
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User
from ..models.checkin import Attendance
from ..models.events import Registration, RegistrationStatus, Slot
from ..models.materials import ItemVisibility, Material, SessionMinutes
from ..models.orgs import Membership, MembershipRole, MembershipStatus, Organisation, OrgStatus
from ..permissions import ensure, is_signed_in, is_staff
from ..urls import external_url
from .filetypes import FileKind, sniff

CHUNK = 64 * 1024
TEMP_PREFIX = ".upload-"
#: A file younger than this is never swept: its transaction may still be open.
SWEEP_GRACE_SECONDS = 3600
MAX_TITLE = 200
MAX_FILENAME = 150

_WRITTEN = "materials_written"   # files of this transaction: removed if it rolls back
_DOOMED = "materials_doomed"     # files of deleted rows: removed once it commits


# --- who sees what ----------------------------------------------------------------------------

def can_see(viewer, item) -> bool:
    """May ``viewer`` (a user, or an anonymous one) see ``item`` (minutes or a
    material)? Staff see everything, drafts included; others see published
    items of events that are not drafts, by the item's visibility: public
    for everyone, participants for people registered for the event (or who
    attended it) and members of listed MSOs, staff only for staff."""
    if is_staff(viewer):
        return True
    if not item.is_published or item.session.event.is_draft:
        return False
    if item.visibility == ItemVisibility.PUBLIC.value:
        return True
    if item.visibility == ItemVisibility.PARTICIPANTS.value:
        return is_participant(viewer, item.session.event_id)
    return False


def is_participant(viewer, event_id: int) -> bool:
    """Registered for the event (a confirmed seat, or attended a session of
    it), or an active member of a listed MSO; cached for the request."""
    if not is_signed_in(viewer):
        return False
    cache = g.setdefault("_materials_participant", {})
    key = (viewer.id, event_id)
    if key not in cache:
        cache[key] = _is_registered(viewer.id, event_id) or _is_member_of_listed_org(viewer.id)
    return cache[key]


def _is_registered(user_id: int, event_id: int) -> bool:
    confirmed = select(Registration.id).where(
        Registration.user_id == user_id, Registration.event_id == event_id,
        Registration.status == RegistrationStatus.CONFIRMED.value)
    attended = (select(Registration.id).join(Attendance, Attendance.registration_id == Registration.id)
                .where(Registration.user_id == user_id, Registration.event_id == event_id))
    return db.session.scalar(select(confirmed.exists() | attended.exists())) or False


def _is_member_of_listed_org(user_id: int) -> bool:
    query = (select(Membership.user_id).join(Organisation, Organisation.id == Membership.organisation_id)
             .where(Membership.user_id == user_id, Membership.status == MembershipStatus.ACTIVE.value,
                    Organisation.status == OrgStatus.LISTED.value))
    return db.session.scalar(select(query.exists())) or False


def visible(viewer, items) -> list:
    """The items ``viewer`` may see, in their order."""
    return [item for item in items if can_see(viewer, item)]


def check_visibility(value: str) -> str:
    if value not in ItemVisibility.values():
        raise DomainError("visibility_invalid", _l("Please choose who may see this."))
    return value


# --- names ------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Text without control and format characters (a right-to-left override
    could disguise an extension), whitespace collapsed."""
    value = "".join(ch for ch in (value or "") if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return _SPACES.sub(" ", value).strip()


def clean_filename(name: str | None, kind: FileKind) -> str:
    """The file name offered on download: the last part of a path (``/`` or
    ``\\``), without control characters, no leading dots, at most
    MAX_FILENAME characters, ending with the extension of the sniffed type."""
    name = clean_text(re.split(r"[/\\]", name or "")[-1]).strip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot or ext.lower() not in kind.extensions:
        stem, ext = name, kind.extension
    stem = stem.strip(". ") or "material"
    return f"{stem[:MAX_FILENAME - len(ext) - 1]}.{ext}"


# --- files ------------------------------------------------------------------------------------

def materials_dir() -> Path:
    folder = Path(current_app.config["MATERIALS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_of(material: Material) -> Path:
    return Path(current_app.config["MATERIALS_DIR"]) / material.stored_name


def max_bytes() -> int:
    return int(current_app.config.get("MATERIALS_MAX_BYTES", 20 * 1024 * 1024))


def store_file(stream, *, limit: int) -> tuple[str, int, FileKind]:
    """Copy ``stream`` into MATERIALS_DIR under a new random name and return
    ``(name, size, kind)``; refuse (``DomainError``) an empty file, one over
    ``limit`` bytes or one whose bytes are of no allowed type. The file
    appears under its name only once every check has passed."""
    folder = materials_dir()
    fd, temp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=".part")
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                out.write(chunk)
        if size == 0:
            raise DomainError("material_empty", _l("The file is empty."))
        kind = sniff(Path(temp))
        if kind is None:
            raise DomainError("material_type_refused", _l(
                "This kind of file cannot be uploaded. Allowed are PDF, PNG, JPEG and WebP images, "
                "Word, Excel and PowerPoint files (.docx, .xlsx, .pptx) and OpenDocument files "
                "(.odt, .ods, .odp)."))
        name = secrets.token_hex(16)
        os.link(temp, folder / name)  # never replaces an existing file
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temp)
    _remember(_WRITTEN, folder / name)
    return name, size, kind


def too_large(limit: int) -> DomainError:
    return DomainError("material_too_large", _l("The file is larger than %(size)s MB.",
                                                size=_megabytes(limit)))


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f}" if limit >= 1024 * 1024 else f"{limit / (1024 * 1024):.2f}"


def _remember(key: str, path: Path) -> None:
    db.session().info.setdefault(key, []).append(str(path))


def _unlink_all(paths) -> None:
    for path in paths or ():
        with suppress(FileNotFoundError):
            os.unlink(path)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # releasing a savepoint is no commit
        return
    session.info.pop(_WRITTEN, None)
    _unlink_all(session.info.pop(_DOOMED, None))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DOOMED, None)
        _unlink_all(session.info.pop(_WRITTEN, None))


def sweep(*, now: float | None = None) -> int:
    """Remove files in MATERIALS_DIR that no material names (left by a crash
    between a commit and a file's removal, or an upload cut off), if older
    than SWEEP_GRACE_SECONDS; returns how many."""
    folder = materials_dir()
    known = set(db.session.scalars(select(Material.stored_name)))
    now = time.time() if now is None else now
    removed = 0
    for path in folder.iterdir():
        if not path.is_file() or path.name in known:
            continue
        if now - path.stat().st_mtime < SWEEP_GRACE_SECONDS:
            continue
        with suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


# --- materials --------------------------------------------------------------------------------

def upload_material(actor: User, session, *, stream, filename: str | None, title: str = "",
                    visibility: str = ItemVisibility.PARTICIPANTS.value) -> Material:
    """Staff attach a file to ``session`` (a draft until published)."""
    ensure(is_staff, actor)
    check_visibility(visibility)
    name, size, kind = store_file(stream, limit=max_bytes())
    shown = clean_filename(filename, kind)
    material = Material(session_id=session.id, title=(clean_text(title) or shown)[:MAX_TITLE],
                        filename=shown, stored_name=name, content_type=kind.mimetype, size_bytes=size,
                        visibility=visibility, uploaded_by_id=actor.id)
    db.session.add(material)
    db.session.flush()
    audit.record(actor, "material.upload", material, f"{material.title} ({session.event.title})",
                 size=size, type=kind.mimetype)
    return material


def set_visibility(actor: User, material: Material, visibility: str) -> None:
    """Staff change who may download a material (a published one stays
    published; nobody is mailed again)."""
    ensure(is_staff, actor)
    check_visibility(visibility)
    if visibility != material.visibility:
        audit.record(actor, "material.visibility", material, material.title,
                     before=material.visibility, after=visibility)
        material.visibility = visibility
        db.session.flush()


def delete_material(actor: User, material: Material) -> None:
    """Staff delete a material; its file goes once the deletion is committed."""
    ensure(is_staff, actor)
    path = path_of(material)
    audit.record(actor, "material.delete", material, material.title)
    db.session.delete(material)
    db.session.flush()
    _remember(_DOOMED, path)


def materials_of(session_ids) -> dict[int, list[Material]]:
    """The materials of each session, oldest first, in one statement."""
    ids = list(session_ids)
    by_session: dict[int, list[Material]] = {i: [] for i in ids}
    if ids:
        for material in db.session.scalars(select(Material).where(Material.session_id.in_(ids))
                                           .order_by(Material.created_at, Material.id)):
            by_session[material.session_id].append(material)
    return by_session


# --- publishing -------------------------------------------------------------------------------

def publish(actor: User, session, *, now=None) -> int:
    """Publish the session's draft minutes and materials; when any of them is
    visible beyond staff, mail its attendees (or, if nobody was checked in,
    the people registered) and the representatives of every listed MSO,
    each address once, in their language. Returns how many were mailed."""
    ensure(is_staff, actor)
    now = now or utcnow()
    minutes = db.session.get(SessionMinutes, session.id)
    drafts = [m for m in materials_of([session.id])[session.id] if not m.is_published]
    if minutes is not None and not minutes.is_published:
        drafts.insert(0, minutes)
    if not drafts:
        raise DomainError("nothing_to_publish", _l("There is nothing new to publish."))
    for item in drafts:
        item.published_at = now
    db.session.flush()
    people = []
    if any(item.visibility != ItemVisibility.STAFF.value for item in drafts):
        people = recipients(session)
        url = external_url("materials.session_page", session_id=session.id)
        for person in people:
            send_message(person.email, "materials_published", person.locale, user=person,
                         session=session, event=session.event, url=url)
    audit.record(actor, "material.publish", session.event, session.event.title,
                 session_id=session.id, items=len(drafts), recipients=len(people))
    return len(people)


def recipients(session) -> list[User]:
    """Whom publishing tells: the session's attendees (or, if nobody was
    checked in, those with a confirmed seat) and the representatives of
    every listed MSO; each address once, people without one left out."""
    attendees = list(db.session.scalars(
        select(User).join(Registration, Registration.user_id == User.id)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .where(Attendance.session_id == session.id).order_by(User.id)))
    if not attendees:
        covering = (Slot.session_id == session.id) | (
            (Slot.event_id == session.event_id) & Slot.session_id.is_(None))
        attendees = list(db.session.scalars(
            select(User).join(Registration, Registration.user_id == User.id)
            .join(Slot, Slot.id == Registration.slot_id)
            .where(covering, Registration.status == RegistrationStatus.CONFIRMED.value)
            .order_by(User.id)))
    representatives = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.role == MembershipRole.REPRESENTATIVE.value,
               Membership.status == MembershipStatus.ACTIVE.value,
               Organisation.status == OrgStatus.LISTED.value)
        .order_by(User.id))
    people: dict[str, User] = {}
    for person in [*attendees, *representatives]:
        if person.email and person.is_enabled:
            people.setdefault(person.email.strip().lower(), person)
    return list(people.values())
