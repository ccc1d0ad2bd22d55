"""Taking a deleted person's name and address out of text that stays: free
text in the database and the stored e-mails of the outbox.

A ``Needle`` is what names one person: their name and e-mail address, also as
HTML writes them (``D'Argent`` is ``D&#39;Argent`` in the HTML part of a mail).
Words are matched whole and ignoring case, so "Ali" goes and "Qualität" stays.
"""
from __future__ import annotations

import email
import email.policy
import email.quoprimime
import re
from dataclasses import dataclass

from markupsafe import escape

#: What replaces a deleted person's name where a record must stay.
DELETED = "[deleted]"

# A MIME part whose headers say text and base64: its words cannot be seen in the raw bytes.
_BASE64_TEXT = re.compile(
    rb"^content-type:[ \t]*text/[^\n]*\n(?:[^\r\n][^\n]*\n)*?content-transfer-encoding:[ \t]*base64"
    rb"|^content-transfer-encoding:[ \t]*base64[^\n]*\n(?:[^\r\n][^\n]*\n)*?content-type:[ \t]*text/",
    re.MULTILINE)


@dataclass(frozen=True)
class Needle:
    words: tuple[str, ...]
    pattern: re.Pattern
    #: The words as they can appear in the raw bytes of a message (lower case):
    #: as UTF-8 (7bit, 8bit) and quoted-printable.
    raw_forms: tuple[bytes, ...]

    @classmethod
    def of(cls, name: str | None, address: str | None) -> Needle:
        words = {w for w in (name, address) if w}
        words |= {str(escape(w)) for w in words}
        ordered = tuple(sorted(words, key=len, reverse=True))
        pattern = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in ordered), re.IGNORECASE)
        raw = set()
        for word in ordered:
            utf8 = word.encode("utf-8")
            raw.add(utf8.lower())
            qp = email.quoprimime.body_encode(utf8.decode("latin-1"), maxlinelen=10_000)
            raw.add(qp.encode("ascii").lower())
        return cls(ordered, pattern, tuple(raw))

    def found_in(self, text: str | None) -> bool:
        return bool(text) and self.pattern.search(text) is not None

    def scrub(self, text: str | None) -> str | None:
        return self.pattern.sub(DELETED, text) if text else text

    def may_be_in(self, raw: bytes) -> bool:
        """False only when the body of the message ``raw`` cannot name the
        person (the subject is checked on its own column); cheap, so that the
        whole outbox can be looked at without decoding every message."""
        lowered = raw.lower()
        unfolded = lowered.replace(b"=\r\n", b"").replace(b"=\n", b"")  # quoted-printable soft breaks
        if any(form in lowered or form in unfolded for form in self.raw_forms):
            return True
        return _BASE64_TEXT.search(lowered) is not None

    def scrub_message(self, raw: bytes) -> bytes | None:
        """``raw`` without the person in its headers and text parts, or None
        when it does not name them. Parts other than text stay as they are."""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        changed = False
        for name, value in list(message.items()):
            if self.found_in(str(value)):
                message.replace_header(name, self.scrub(str(value)))
                changed = True
        for part in message.walk():
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            text = part.get_content()
            if not self.found_in(text):
                continue
            # set_content replaces the Content-* headers: keep the others of them.
            kept = [(k, v) for k, v in part.items() if k.lower().startswith("content-") and k.lower() not in (
                "content-type", "content-transfer-encoding", "content-disposition")]
            params = {k: v for k, v in part.get_params()[1:] if k.lower() != "charset"}
            part.set_content(self.scrub(text), subtype=part.get_content_subtype(), params=params,
                             disposition=part.get_content_disposition(), filename=part.get_filename())
            for k, v in kept:
                part[k] = v
            if part is not message:
                del part["MIME-Version"]      # set_content adds one; the message has its own
            changed = True
        return bytes(message) if changed else None
