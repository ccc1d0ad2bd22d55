"""Tickets: what the QR code carries and how a scanner checks it offline.

A ticket's QR code is a URL of this app, ``<BASE_URL>/t/<token>.<signature>``:

* ``token`` is the registration's random ticket token (128 bits; never a
  database id), so the URL cannot be guessed or derived from another ticket;
* ``signature`` is an Ed25519 signature of ``miado-ticket-v1:<token>`` by the
  app's private key (``TICKET_SIGNING_KEY``).

Why a signature when the token is already unguessable: the door scanner holds
only the public key (and the session's attendee list). Offline it can tell a
ticket this app issued from any other QR code, a typo, or a code printed by
someone else, without asking the server; and a lost door phone holds nothing
that could sign a new ticket. Ed25519 because signatures are short (64 bytes,
so the QR code stays small enough for a cheap camera) and verifying one in the
browser takes a small, audited library (TweetNaCl, vendored in ``static/``).

Whether the ticket is *valid* (the registration still confirmed, for this
session) is decided by the check-in service; a cancelled registration's
ticket verifies but is refused.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from sqlalchemy import select

from ..database import insert_or_ignore, utcnow
from ..extensions import db
from ..models.checkin import TicketImage
from ..models.events import TICKET_CODE_ALPHABET, TICKET_CODE_LENGTH, Registration
from ..urls import external_url

MESSAGE_PREFIX = b"miado-ticket-v1:"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
# /t/<token>.<signature> anywhere in a scanned text (the host may differ).
TICKET_PATH_RE = re.compile(r"/t/([A-Za-z0-9_-]{16,32})\.([A-Za-z0-9_-]{86})(?:[?#].*)?$")


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64d_canonical(text: str) -> bytes:
    """URL-safe base64 without padding, accepted only in its one canonical
    spelling: the unused low bits of the last character must be zero (else
    16 different signature texts would decode to the same bytes)."""
    raw = _b64d(text)
    if _b64e(raw) != text:
        raise ValueError("not the canonical base64 encoding")
    return raw


def _private_key() -> Ed25519PrivateKey:
    cache = current_app.extensions.setdefault("miado_ticket_keys", {})
    seed = current_app.config["TICKET_SIGNING_KEY"]
    key = cache.get(seed)
    if key is None:
        key = cache[seed] = Ed25519PrivateKey.from_private_bytes(_b64d(seed))
    return key


def _public_key() -> Ed25519PublicKey:
    return _private_key().public_key()


def public_key_b64() -> str:
    """The raw 32-byte public key, URL-safe base64: what scanners download."""
    return _b64e(_public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(token: str) -> str:
    return _b64e(_private_key().sign(MESSAGE_PREFIX + token.encode("ascii")))


def verify(token: str, signature: str) -> bool:
    if not TOKEN_RE.match(token or ""):
        return False
    try:
        _public_key().verify(_b64d_canonical(signature), MESSAGE_PREFIX + token.encode("ascii"))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def payload(registration: Registration) -> str:
    return f"{registration.ticket_token}.{sign(registration.ticket_token)}"


def url_for_token(token: str) -> str:
    return external_url("checkin.ticket_link", payload=f"{token}.{sign(token)}")


def ticket_url(registration: Registration) -> str:
    return url_for_token(registration.ticket_token)


def parse_scan(text: str) -> tuple[str | None, str | None]:
    """What a scanned or typed text names: ``("token", t)`` for a correctly
    signed ticket URL, ``("code", c)`` for something shaped like a ticket
    code, ``("forged", None)`` for a ticket URL whose signature is wrong,
    ``(None, None)`` otherwise."""
    text = (text or "").strip()
    match = TICKET_PATH_RE.search(text)
    if match:
        token, signature = match.groups()
        return ("token", token) if verify(token, signature) else ("forged", None)
    code = normalise_code(text)
    if code is not None:
        return "code", code
    return None, None


#: Letters people type for the digits they resemble (Crockford's base32
#: leaves I, L, O and U out). The scanner gets these rules from
#: ``scanner_code_rules`` rather than writing them again.
CODE_FIXES = {"O": "0", "I": "1", "L": "1", "U": "V"}
_CODE_FIXES = str.maketrans(CODE_FIXES)


def normalise_crockford(text: str, length: int, alphabet: str = TICKET_CODE_ALPHABET) -> str | None:
    """A typed code of ``length`` characters of ``alphabet``, forgiving case,
    spaces, dashes and the letters Crockford's base32 leaves out; None if it
    cannot be one. The one home of this rule (ticket and certificate codes)."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper().translate(_CODE_FIXES)
    if len(cleaned) == length and all(c in alphabet for c in cleaned):
        return cleaned
    return None


def normalise_code(text: str) -> str | None:
    """A typed ticket code (see ``normalise_crockford``)."""
    return normalise_crockford(text, TICKET_CODE_LENGTH)


def scanner_code_rules() -> dict:
    """What the door scanner needs to read typed ticket codes offline."""
    return {"alphabet": TICKET_CODE_ALPHABET, "length": TICKET_CODE_LENGTH, "fixes": CODE_FIXES}


#: The one size a ticket's QR code is drawn in (pixels per module): the
#: e-mail, the ticket page and the PDF all show the kept image.
TICKET_BOX_SIZE = 8


def ticket_qr_png(registration: Registration) -> bytes:
    """The ticket's QR code, drawn once per ticket and kept in
    ``ticket_images`` (so every process and every restart reuses it: drawing
    costs tens of milliseconds, mostly ``qrcode``'s mask search). The mail
    worker draws it for the confirmation; the ticket page and the PDF read
    it, and draw and keep it only when it is missing (a GET that draws keeps
    it with its own unit of work)."""
    png = kept_qr_png(registration)
    if png is None:
        png = draw_ticket_qr(registration)
        keep_qr_png(registration, png)
    return png


def kept_qr_png(registration: Registration) -> bytes | None:
    """The kept image of the ticket's current token, if there is one."""
    return db.session.scalar(select(TicketImage.png).where(
        TicketImage.registration_id == registration.id, TicketImage.token == registration.ticket_token))


def draw_ticket_qr(registration: Registration) -> bytes:
    return qr_png(url_for_token(registration.ticket_token), box_size=TICKET_BOX_SIZE)


def keep_qr_png(registration: Registration, png: bytes) -> None:
    """Keep ``png`` for the ticket, in the caller's transaction (insert-or-ignore:
    two first readers at the same moment both succeed)."""
    if registration.id is None:
        return
    # A token that changed (a re-issued ticket) replaces the old picture.
    db.session.execute(TicketImage.__table__.delete().where(
        TicketImage.registration_id == registration.id, TicketImage.token != registration.ticket_token))
    db.session.execute(insert_or_ignore(TicketImage.__table__, key=["registration_id"],
                                        registration_id=registration.id, token=registration.ticket_token,
                                        png=png, created_at=utcnow()))


@lru_cache(maxsize=64)
def qr_png(data: str, *, box_size: int = 8) -> bytes:
    """A QR code as PNG, black on white with the standard quiet zone of four
    modules. The module matrix comes from ``qrcode`` (which picks the mask by
    the standard's penalty rules); the image is drawn in one go with Pillow,
    several times faster than drawing module by module. Tickets are drawn
    through ``ticket_qr_png``, which keeps the image in the database; the
    small cache here serves the other codes (self check-in, certificates)."""
    # Imported on first use: a web worker that never draws a code does not load them.
    import qrcode
    from PIL import Image

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels).resize((size * box_size, size * box_size), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
