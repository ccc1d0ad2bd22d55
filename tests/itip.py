"""A small RFC 5546 (iTIP) checker for the calendar files the app produces.

It reads a file with ``vobject`` (not the library that writes it) and checks
the restriction tables of section 3.2 for the three methods the app uses:
3.2.1 PUBLISH (feeds, downloads), 3.2.2 REQUEST (invites and updates) and
3.2.5 CANCEL. Each table says, per property of a VEVENT, how often it may
appear: ``1`` exactly once, ``1+`` at least once, ``0`` never, ``0/1`` at
most once, ``0+`` any number; properties not named are ``0+`` (X- and IANA
properties). Beside the counts, the rules in the tables' comments that apply
to what the app writes: SEQUENCE present when above 0, DTEND and DURATION not
together, the STATUS values allowed per method, and, for REQUEST and CANCEL,
one UID for all VEVENTs of a message. The calendar itself needs PRODID,
VERSION 2.0 and the METHOD, and a VTIMEZONE for each TZID used.

``problems(text)`` returns a list of readable findings (empty: the file keeps
the rules); ``assert_itip(text, method)`` fails a test with that list.
"""
from __future__ import annotations

import vobject

ONCE, ONE_OR_MORE, NEVER, AT_MOST_ONCE, ANY = "1", "1+", "0", "0/1", "0+"

_COMMON = {
    # Present at most once in all three methods (RFC 5546 3.2.1, 3.2.2, 3.2.5).
    "CLASS": AT_MOST_ONCE, "CREATED": AT_MOST_ONCE, "DESCRIPTION": AT_MOST_ONCE, "DTEND": AT_MOST_ONCE,
    "DURATION": AT_MOST_ONCE, "GEO": AT_MOST_ONCE, "LAST-MODIFIED": AT_MOST_ONCE,
    "LOCATION": AT_MOST_ONCE, "PRIORITY": AT_MOST_ONCE, "RECURRENCE-ID": AT_MOST_ONCE,
    "RRULE": AT_MOST_ONCE, "STATUS": AT_MOST_ONCE, "TRANSP": AT_MOST_ONCE, "URL": AT_MOST_ONCE,
    "REQUEST-STATUS": NEVER,
}

TABLES = {
    "PUBLISH": {**_COMMON, "DTSTAMP": ONCE, "DTSTART": ONCE, "ORGANIZER": ONCE, "SUMMARY": ONCE,
                "UID": ONCE, "SEQUENCE": AT_MOST_ONCE, "ATTENDEE": NEVER, "CONTACT": AT_MOST_ONCE},
    "REQUEST": {**_COMMON, "ATTENDEE": ONE_OR_MORE, "DTSTAMP": ONCE, "DTSTART": ONCE, "ORGANIZER": ONCE,
                "SEQUENCE": AT_MOST_ONCE, "SUMMARY": ONCE, "UID": ONCE},
    "CANCEL": {**_COMMON, "ATTENDEE": ANY, "DTSTAMP": ONCE, "ORGANIZER": ONCE, "SEQUENCE": ONCE,
               "UID": ONCE, "DTSTART": AT_MOST_ONCE, "SUMMARY": AT_MOST_ONCE},
}
#: STATUS values each method allows.
STATUSES = {"PUBLISH": {"TENTATIVE", "CONFIRMED", "CANCELLED"},
            "REQUEST": {"TENTATIVE", "CONFIRMED"},
            "CANCEL": {"CANCELLED"}}
#: Components other than VEVENT and VTIMEZONE that a method's VCALENDAR may hold.
NO_VALARM_IN = {"CANCEL"}


def _count_ok(rule: str, n: int) -> bool:
    return {ONCE: n == 1, ONE_OR_MORE: n >= 1, NEVER: n == 0, AT_MOST_ONCE: n <= 1, ANY: True}[rule]


def _tzids(component) -> set[str]:
    found = set()
    for lines in component.contents.values():
        for line in lines:
            if isinstance(line, vobject.base.ContentLine):
                found.update(line.params.get("TZID", []))
                original = line.params.get("X-VOBJ-ORIGINAL-TZID", [])
                found.update(original)
    return found


def problems(text: str | bytes, method: str | None = None) -> list[str]:
    """What in ``text`` breaks RFC 5546 for its METHOD (and is it ``method``?)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    cal = vobject.readOne(text)
    found = []
    if "method" not in cal.contents:
        return ["VCALENDAR has no METHOD"]
    actual = cal.method.value.upper()
    if method is not None and actual != method:
        found.append(f"METHOD is {actual}, expected {method}")
    if actual not in TABLES:
        return found + [f"METHOD {actual} is not checked here"]
    if "prodid" not in cal.contents:
        found.append("VCALENDAR has no PRODID")
    if "version" not in cal.contents or cal.version.value != "2.0":
        found.append("VCALENDAR VERSION is not 2.0")
    vevents = cal.contents.get("vevent", [])
    if not vevents:
        found.append(f"{actual} needs at least one VEVENT")
    for other in ("vtodo", "vjournal", "vfreebusy"):
        if cal.contents.get(other):
            found.append(f"{actual} with a VEVENT must not carry {other.upper()}")
    table = TABLES[actual]
    zones = {tz.tzid.value for tz in cal.contents.get("vtimezone", [])}
    for vevent in vevents:
        uid = vevent.uid.value if "uid" in vevent.contents else "(no UID)"
        for name, rule in table.items():
            n = len(vevent.contents.get(name.lower(), []))
            if not _count_ok(rule, n):
                found.append(f"{actual} VEVENT {uid}: {name} appears {n} times, allowed {rule}")
        if "dtend" in vevent.contents and "duration" in vevent.contents:
            found.append(f"{actual} VEVENT {uid}: DTEND and DURATION together")
        sequence = int(vevent.sequence.value) if "sequence" in vevent.contents else 0
        if sequence < 0:
            found.append(f"{actual} VEVENT {uid}: negative SEQUENCE")
        if "status" in vevent.contents and vevent.status.value.upper() not in STATUSES[actual]:
            found.append(f"{actual} VEVENT {uid}: STATUS {vevent.status.value} not allowed")
        if actual in NO_VALARM_IN and vevent.contents.get("valarm"):
            found.append(f"{actual} VEVENT {uid}: VALARM not allowed")
        for line in vevent.contents.get("organizer", []) + vevent.contents.get("attendee", []):
            if not line.value.lower().startswith("mailto:") or "@" not in line.value:
                found.append(f"{actual} VEVENT {uid}: {line.name} {line.value!r} is no mailto: address")
        missing = _tzids(vevent) - zones
        if missing:
            found.append(f"{actual} VEVENT {uid}: no VTIMEZONE for {sorted(missing)}")
    if actual in ("REQUEST", "CANCEL"):
        uids = {v.uid.value for v in vevents if "uid" in v.contents}
        if len(uids) > 1:
            found.append(f"{actual}: all VEVENTs must have the same UID, found {len(uids)}: {sorted(uids)}")
    return found


def assert_itip(text: str | bytes, method: str | None = None) -> None:
    found = problems(text, method)
    assert not found, "RFC 5546:\n" + "\n".join(found)
