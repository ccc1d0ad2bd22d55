"""Everything iCalendar, in one place.

* One stable UID per session (``session-<id>@<host>``), the same in invites,
  updates, cancellations and downloads.
* ``SEQUENCE`` is the session's counter, bumped by the services on every
  change of time, place or status, so calendars apply updates in order.
* Times are written in Europe/Berlin with a proper ``VTIMEZONE``
  (the EU rule since 1996 as two RRULEs, as Outlook and Google write it),
  so they stay right across DST in every client and every future year.
* Content travels in the reader's language: SUMMARY, DESCRIPTION and
  LOCATION carry the iCalendar ``LANGUAGE`` parameter (RFC 5545 3.2.10)
  naming the language the text is actually in: the attendee's (invites),
  the feed owner's (personal feeds), the requested one (public feeds and
  downloads, ``?lang=``), German where no translation exists.
* Every file keeps RFC 5546's restriction table for its METHOD
  (tests/itip.py checks each one the app serves or mails):
  feeds and downloads are ``METHOD:PUBLISH`` with the office
  (``OFFICE_NAME``, ``OFFICE_EMAIL``) as ORGANIZER and no ATTENDEE;
  invites are ``METHOD:REQUEST`` with the office as ORGANIZER, an ATTENDEE and only
  sessions that take place (STATUS TENTATIVE or CONFIRMED); cancellations are
  ``METHOD:CANCEL`` with the same UID, ``STATUS:CANCELLED`` when the session
  itself is cancelled and no STATUS when only the person leaves it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event as VEvent, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import vCalAddress, vRecur, vText

from ..database import utcnow
from ..meetings.agenda import agenda_text, agenda_texts
from ..models.events import Event, EventSession
from ..models.translated import SOURCE_LANGUAGE, Localized, localized
from ..i18n import ui_language
from ..timeutil import LOCAL_TZ
from ..urls import external_url

PRODID = "-//MIA-DO-KI Stadt Dortmund//MIA-DO Events//DE"
REQUEST, CANCEL, PUBLISH = "REQUEST", "CANCEL", "PUBLISH"
#: Published VEVENTs (feeds and downloads) kept per app and process; see _published_vevent.
VEVENT_CACHE_SIZE = 4096
_END = b"END:VCALENDAR\r\n"


def berlin_vtimezone() -> Timezone:
    """Europe/Berlin: CEST from the last Sunday of March 02:00, CET from the
    last Sunday of October 03:00."""
    tz = Timezone()
    tz.add("tzid", "Europe/Berlin")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def session_uid(session: EventSession) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "mia-do-events"
    return f"session-{session.id}@{host}"


def _organizer() -> vCalAddress:
    """Of invites and cancellations: the office, by its real name and address
    (not the no-reply sender). Calendar apps send "Accept"/"Decline" to this
    address, so the inbound mailbox (``INBOUND_IMAP_*``) is the office's
    mailbox, or a folder of it into which its server files calendar replies
    (see README, Calendar replies)."""
    return _office_organizer()


def _office_organizer() -> vCalAddress:
    """Of published entries (feeds, downloads): the office."""
    config = current_app.config
    organizer = vCalAddress(f"mailto:{config.get('OFFICE_EMAIL') or config['CONTACT_EMAIL']}")
    organizer.params["cn"] = vText(config.get("OFFICE_NAME") or "MIA-DO-KI")
    return organizer


def _location(session: EventSession) -> str:
    parts = []
    if session.venue is not None:
        venue = session.venue
        parts = [venue.name, venue.room or "", venue.address]
    if session.online_url:
        parts.append(session.online_url)
    return ", ".join(p for p in parts if p)


def _content(session: EventSession, language: str) -> tuple[Localized, Localized]:
    """The event's title and description for a reader of ``language``."""
    event = session.event
    return localized(event, "title", language), localized(event, "description", language)


def _add_text(vevent: VEvent, name: str, text: str, language: str | None) -> None:
    """A text property with the LANGUAGE the text is written in."""
    vevent.add(name, text, parameters={"LANGUAGE": language} if language else None)


def _vevent(session: EventSession, *, method: str, attendee=None, stamp: datetime,
            language: str, agenda: str | None = None) -> VEvent:
    event = session.event
    title, about = _content(session, language)
    vevent = VEvent()
    vevent.add("uid", session_uid(session))
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", session.starts_at.astimezone(LOCAL_TZ))
    vevent.add("dtend", session.ends_at.astimezone(LOCAL_TZ))
    _add_text(vevent, "summary", title.text, title.language)
    vevent.add("sequence", session.sequence)
    url = external_url("events.detail", event_id=event.id)
    vevent.add("url", url)
    # The published agenda, in the reader's language.
    if agenda is None:
        agenda = agenda_text(session, language)
    description = "\n\n".join(p for p in [about.text, agenda, url] if p)
    # The language of its main text: the event's description, else the agenda (written in the reader's).
    _add_text(vevent, "description", description,
              about.language if about.text else (language if agenda else None))
    location = _location(session)
    if location:
        # A place's name, room and address are written once, in German.
        _add_text(vevent, "location", location, SOURCE_LANGUAGE if session.venue is not None else None)
    cancelled = not session.is_scheduled or event.is_cancelled
    if cancelled and method != REQUEST:
        vevent.add("status", "CANCELLED")
    elif method != CANCEL:
        # A CANCEL for one person leaving a session that still takes place
        # uninvites them: RFC 5546 says it must then carry no STATUS.
        vevent.add("status", "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("organizer", _organizer() if method in (REQUEST, CANCEL) else _office_organizer())
    if attendee is not None and method in (REQUEST, CANCEL):  # PUBLISH must name no attendee
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        # NEEDS-ACTION + RSVP makes mail clients show the accept buttons.
        address.params["partstat"] = vText("NEEDS-ACTION" if method == REQUEST else "DECLINED")
        address.params["rsvp"] = vText("TRUE" if method == REQUEST else "FALSE")
        vevent.add("attendee", address)
    return vevent


def _published_vevent(session: EventSession, stamp: datetime, language: str, agenda_of) -> bytes:
    """A published session's VEVENT as text, serialised once (icalendar takes
    about a millisecond per VEVENT; a feed repeats the same sessions for
    everyone registered for them). The key holds every value the VEVENT
    shows, so any change to one of them gives a new text; its DTSTAMP is the
    moment the text was first written."""
    event = session.event
    title, about = _content(session, language)
    key = (session.id, session.starts_at, session.ends_at, session.sequence, session.status,
           event.id, title, about, event.status, _location(session),
           language)  # the agenda in the DESCRIPTION (its changes raise the SEQUENCE)
    store = current_app.extensions["miado_vevents"]  # made with the calendar blueprint
    text = store.get(key)
    if text is None:
        text = _vevent(session, method=PUBLISH, stamp=stamp, language=language,
                       agenda=agenda_of(session)).to_ical()
        store.put(key, text)
    return text


def reader_language(attendee=None) -> str:
    """The language content is written in for ``attendee`` (their own), else the request's."""
    return getattr(attendee, "locale", None) or ui_language()


def _calendar(method: str, name: str | None, feed: bool) -> Calendar:
    """A VCALENDAR with its properties and the VTIMEZONE, no VEVENT yet."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    if feed:
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(berlin_vtimezone())
    return calendar


@lru_cache(maxsize=64)
def _published_head(name: str | None, feed: bool) -> bytes:
    """A published calendar's text up to its first VEVENT (the same for every
    feed and download of that name: about a millisecond and a half of
    icalendar each time otherwise)."""
    return _calendar(PUBLISH, name, feed).to_ical()[:-len(_END)]


def build(sessions, *, method: str = PUBLISH, attendee=None, name: str | None = None,
          feed: bool = False, language: str | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per session (with VTIMEZONE), its texts
    in ``language`` (default: the attendee's, else the request's)."""
    language = language or reader_language(attendee)
    stamp = utcnow()
    if method == PUBLISH and attendee is None:
        sessions = list(sessions)
        texts: dict = {}

        def agenda_of(session: EventSession) -> str:
            # The agendas of all the sessions in one query, at the first VEVENT written anew.
            if "done" not in texts:
                texts.update(agenda_texts(sessions, language), done=True)
            return texts.get(session.id, "")

        head = _published_head(str(name) if name else None, feed)
        return head + b"".join(_published_vevent(s, stamp, language, agenda_of) for s in sessions) + _END
    calendar = _calendar(method, name, feed)
    for session in sessions:
        calendar.add_component(_vevent(session, method=method, attendee=attendee, stamp=stamp,
                                       language=language))
    return calendar.to_ical()


def invite(sessions, attendee) -> bytes:
    """A REQUEST for the sessions that take place (a REQUEST cannot say
    CANCELLED; a session cancelled earlier is left out)."""
    taking_place = [s for s in sessions if s.is_scheduled and not s.event.is_cancelled]
    return build(taking_place or sessions, method=REQUEST, attendee=attendee)


def cancellation(sessions, attendee) -> bytes:
    return build(sessions, method=CANCEL, attendee=attendee)


def event_download(event: Event, language: str | None = None) -> bytes:
    """The event's sessions in ``language`` (default: the request's)."""
    language = language or ui_language()
    return build(event.sessions, name=localized(event, "title", language).text, language=language)


def session_download(session: EventSession, language: str | None = None) -> bytes:
    language = language or ui_language()
    return build([session], name=localized(session.event, "title", language).text, language=language)
