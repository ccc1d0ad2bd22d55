"""The receiver: reads the office's inbound IMAP mailbox (where replies to the
ORGANIZER address arrive) and hands each new message to ``replies``.

``receive()`` is what ``flask --app app mail receive [--loop]`` runs. Each
message is its own transaction, committed with its ``CalendarReply`` row
(the Message-ID and the mailbox UID) in it. Only after the commit is the
message filed in the mailbox:

* used (an answer recorded or a registration cancelled): moved to
  ``INBOUND_IMAP_PROCESSED_FOLDER`` (``UID MOVE``; on a server without MOVE
  it is copied there and keeps the ``$MiadoProcessed`` keyword in the inbox);
* unusable: left in the folder, flagged (``\\Flagged`` and ``$MiadoUnusable``)
  for the office, and listed on the staff page with the reason;
* mail for people (no calendar part at all: an answer to an office mailing
  or to any other mail, whose ``Reply-To`` and ORGANIZER are the office):
  left in the folder as it is, unread and unflagged, with only the
  ``$MiadoForPeople`` keyword so it is not read again; nothing is stored.

Nothing is ever deleted. A receiver that dies between the commit and the
filing finds the message again next time, sees its row and only files it;
two receivers at once are kept apart by the row's unique key.

Transport: ``INBOUND_IMAP_TLS=true`` with port 993 is implicit TLS
(IMAPS); with any other port the connection is upgraded with STARTTLS (and
fails if the server does not offer it). ``false`` is plain IMAP (tests, a
server on the same host). The receiver polls: every
``INBOUND_POLL_SECONDS`` with ``--loop`` (Python's imaplib has no IDLE
before 3.14; a reply a minute later is soon enough).
"""
from __future__ import annotations

import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field

from flask import current_app

from ..extensions import db
from ..models.replies import ReplyOutcome, ReplyProblem
from . import replies

log = logging.getLogger(__name__)

PROCESSED_KEYWORD = "$MiadoProcessed"
UNUSABLE_KEYWORD = "$MiadoUnusable"
FOR_PEOPLE_KEYWORD = "$MiadoForPeople"
IMPLICIT_TLS_PORT = 993


class InboundNotConfigured(RuntimeError):
    pass


@dataclass
class Counts:
    cancelled: int = 0
    recorded: int = 0
    unusable: int = 0
    already: int = 0
    for_people: int = 0  # no calendar part: mail for the office's people, left alone
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"cancelled {self.cancelled}, recorded {self.recorded}, left for the office "
                f"{self.unusable}, seen before {self.already}, mail for people {self.for_people}")


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result, what: str):
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


class Mailbox:
    """One IMAP connection with the folder selected (a context manager)."""

    def __init__(self, config):
        self.host = config.get("INBOUND_IMAP_HOST")
        if not self.host:
            raise InboundNotConfigured("INBOUND_IMAP_HOST is not set.")
        self.port = int(config.get("INBOUND_IMAP_PORT") or IMPLICIT_TLS_PORT)
        self.tls = bool(config.get("INBOUND_IMAP_TLS", True))
        self.user = config.get("INBOUND_IMAP_USER", "")
        self.password = config.get("INBOUND_IMAP_PASSWORD", "")
        self.folder = config.get("INBOUND_IMAP_FOLDER") or "INBOX"
        self.processed = config.get("INBOUND_IMAP_PROCESSED_FOLDER") or "Processed"
        self.timeout = config.get("MAIL_TIMEOUT", 30)
        self.imap: imaplib.IMAP4 | None = None
        self.uidvalidity: int | None = None
        self.can_move = False

    def __enter__(self) -> Mailbox:
        if self.tls and self.port == IMPLICIT_TLS_PORT:
            imap = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=ssl.create_default_context(),
                                     timeout=self.timeout)
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
            if self.tls:
                imap.starttls(ssl_context=ssl.create_default_context())
        self.imap = imap
        try:
            self._open(imap)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _open(self, imap: imaplib.IMAP4) -> None:
        _check(imap.login(self.user, self.password), "LOGIN")
        _check(imap.select(_quote(self.folder)), "SELECT")
        data = imap.response("UIDVALIDITY")[1]
        if data and data[0]:
            self.uidvalidity = int(data[0])
        # The capabilities after log-in (the greeting's list may lack MOVE).
        _typ, caps = imap.capability()
        self.can_move = b"MOVE" in (caps[0] or b"").upper().split() if caps else False
        if self.processed != self.folder:
            imap.create(_quote(self.processed))  # "already exists" is fine

    def __exit__(self, *exc) -> None:
        if self.imap is not None:
            for step in (self.imap.close, self.imap.logout):
                try:
                    step()
                except Exception:  # not selected, or the connection is already gone
                    pass
            self.imap = None

    def new_uids(self) -> list[int]:
        data = _check(self.imap.uid("SEARCH", None, "UNDELETED", "UNKEYWORD", PROCESSED_KEYWORD,
                                    "UNKEYWORD", UNUSABLE_KEYWORD, "UNKEYWORD", FOR_PEOPLE_KEYWORD), "SEARCH")
        return [int(n) for n in (data[0] or b"").split()]

    def size(self, uid: int) -> int:
        data = _check(self.imap.uid("FETCH", str(uid), "(RFC822.SIZE)"), "FETCH SIZE")
        match = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(d if isinstance(d, bytes) else d[0] for d in data
                                                            if d))
        return int(match.group(1)) if match else 0

    def fetch(self, uid: int, part: str = "BODY.PEEK[]") -> bytes | None:
        data = _check(self.imap.uid("FETCH", str(uid), f"({part})"), "FETCH")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def file_used(self, uid: int) -> None:
        if self.can_move:
            _check(self.imap.uid("MOVE", str(uid), _quote(self.processed)), "MOVE")
        else:
            _check(self.imap.uid("COPY", str(uid), _quote(self.processed)), "COPY")
            _check(self.imap.uid("STORE", str(uid), "+FLAGS", f"({PROCESSED_KEYWORD} \\Seen)"), "STORE")

    def file_for_people(self, uid: int) -> None:
        _check(self.imap.uid("STORE", str(uid), "+FLAGS", f"({FOR_PEOPLE_KEYWORD})"), "STORE")

    def file_unusable(self, uid: int) -> None:
        _check(self.imap.uid("STORE", str(uid), "+FLAGS", f"({UNUSABLE_KEYWORD} \\Flagged)"), "STORE")


def _handle(box: Mailbox, uid: int, counts: Counts) -> None:
    config = current_app.config
    max_bytes = config.get("INBOUND_MAX_MESSAGE_BYTES", 5 * 1024 * 1024)
    if box.size(uid) > max_bytes:
        headers = box.fetch(uid, "BODY.PEEK[HEADER]") or b""
        parsed = replies.headers_only(headers, problem=ReplyProblem.TOO_LARGE)
        raw = None
    else:
        raw = box.fetch(uid)
        if raw is None:  # gone meanwhile (another receiver moved it)
            return
        parsed = replies.parse_message(raw, authserv_id=config.get("INBOUND_AUTHSERV_ID", ""))
        if parsed.problem == ReplyProblem.NO_CALENDAR:
            # An answer written by a person (Reply-To and ORGANIZER are the
            # office): theirs to read, nothing for the app to act on or keep.
            box.file_for_people(uid)
            counts.for_people += 1
            return
    try:
        reply = replies.process_message(raw, parsed=parsed, mailbox=box.folder, uidvalidity=box.uidvalidity,
                                        uid=uid)
        outcome = reply.outcome
        db.session.commit()
    except replies.AlreadyProcessed as seen:
        db.session.rollback()
        counts.already += 1
        outcome = seen.reply.outcome if seen.reply is not None else ReplyOutcome.RECORDED.value
    except Exception:
        db.session.rollback()
        raise
    else:
        if outcome == ReplyOutcome.CANCELLED.value:
            counts.cancelled += 1
        elif outcome == ReplyOutcome.RECORDED.value:
            counts.recorded += 1
        else:
            counts.unusable += 1
    if outcome == ReplyOutcome.UNUSABLE.value:
        box.file_unusable(uid)
    else:
        box.file_used(uid)


def receive(*, config=None) -> Counts:
    """Fetch the new messages once and process each in its own transaction."""
    counts = Counts()
    with Mailbox(config or current_app.config) as box:
        for uid in box.new_uids():
            try:
                _handle(box, uid, counts)
            except imaplib.IMAP4.abort:
                raise
            except Exception as exc:  # one bad message must not stop the others
                log.exception("inbound message %s could not be processed", uid)
                counts.errors.append(f"{uid}: {type(exc).__name__}: {exc}")
    return counts
