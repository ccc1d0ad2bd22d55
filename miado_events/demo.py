"""Clearly fictional demo content. Running it twice changes nothing.

Every name, address and e-mail address here is invented; e-mail addresses
use the reserved domain example.org.
"""
from __future__ import annotations

from datetime import time, timedelta

from flask import current_app
from sqlalchemy import select

from .accounts.passwords import hash_password
from .accounts.services import get_user_by_email
from .database import utcnow
from .extensions import db
from .mail import suppressed
from .meetings import agenda, proposals
from .models.accounts import Role, User
from .events import registration as registration_services
from .events import services as event_services
from .events.services import EventData, RecurrenceData, SessionData, VenueData
from .models.events import Event, Venue
from .models.orgs import Membership, MembershipRole, MembershipStatus, Organisation
from .models.voting import TopicRound
from .orgs import services as org_services
from .orgs.services import OrgProfile
from .timeutil import to_local

DEMO_PASSWORD = "demo-passwort"
DOMAIN = "demo.example.org"

DEMO_ACCOUNTS = [
    # local part, name, role, locale
    ("admin", "Ada Admin (Demo)", Role.ADMIN, "de"),
    ("staff", "Sami Staff (Demo)", Role.STAFF, "de"),
    ("door", "Derya Einlass (Demo)", Role.DOOR, "en"),
    ("member", "Mila Mitglied (Demo)", Role.MEMBER, "de"),
    ("member2", "Omar Beispiel (Demo)", Role.MEMBER, "en"),
]

ALL_PUBLIC = ["description", "founding_year", "districts", "regions", "languages",
              "fields_of_work", "address", "email", "website"]

# name, short, legal form, year, districts, regions, languages, fields, status, published
DEMO_ORGS = [
    ("Deutsch-Türkischer Kulturverein Beispielstadt e.V. (Demo)", "DTK", "ev", 1987,
     ["Innenstadt-Nord", "Eving"], ["Türkei"], ["tr", "de"], ["culture", "education", "youth"], "listed", ALL_PUBLIC),
    ("Afrikanisches Netzwerk Dortmund-Demo e.V.", "AND", "ev", 2004,
     ["Innenstadt-West"], ["Westafrika", "Ghana", "Nigeria"], ["en", "fr", "de"], ["culture", "integration", "anti_discrimination"], "listed", ALL_PUBLIC),
    ("Syrische Familien im Revier (Demo-Initiative)", None, "initiative", 2016,
     ["Innenstadt-Nord", "Scharnhorst"], ["Syrien"], ["ar", "de"], ["parents", "refugees", "language_courses"], "listed",
     ["description", "districts", "regions", "languages", "fields_of_work"]),
    ("Polnischer Elternverein Demo e.V.", "PEV", "ev", 1998,
     ["Hörde", "Aplerbeck"], ["Polen"], ["pl", "de"], ["parents", "education"], "listed", ALL_PUBLIC),
    ("Ukrainischer Frauentreff Demo", None, "initiative", 2022,
     ["Brackel"], ["Ukraine"], ["uk", "ru", "de"], ["women", "refugees", "social_counselling"], "listed",
     ["description", "districts", "languages", "fields_of_work", "email"]),
    ("Kurdisches Bildungszentrum Demo e.V.", "KBZ", "ev", 2009,
     ["Innenstadt-Nord"], ["Kurdistan"], ["ku", "tr", "ar", "de"], ["education", "language_courses"], "listed", ALL_PUBLIC),
    ("Russischsprachiger Seniorenclub Demo e.V.", None, "ev", 2001,
     ["Hombruch", "Lütgendortmund"], ["Russland", "Kasachstan"], ["ru", "de"], ["seniors", "culture"], "listed", ALL_PUBLIC),
    ("Griechische Gemeinde Demo e.V.", None, "ev", 1972,
     ["Huckarde"], ["Griechenland"], ["el", "de"], ["culture", "religion"], "listed", ALL_PUBLIC),
    ("Vietnamesischer Sportverein Demo e.V.", "VSV", "ev", 2011,
     ["Mengede"], ["Vietnam"], ["vi", "de"], ["sport", "youth"], "listed", ALL_PUBLIC),
    ("Eritreische Gemeinschaft Demo", None, "initiative", 2015,
     ["Innenstadt-Ost"], ["Eritrea"], ["ti", "de"], ["refugees", "integration"], "listed",
     ["districts", "regions", "languages", "fields_of_work"]),
    ("Balkan Brücke Demo gGmbH", None, "ggmbh", 2019,
     ["Scharnhorst", "Eving"], ["Bosnien", "Serbien", "Kroatien"], ["bs", "hr", "sr", "de"], ["work", "social_counselling"], "listed", ALL_PUBLIC),
    ("Afghanischer Kulturkreis Demo e.V.", None, "ev", 2003,
     ["Hörde"], ["Afghanistan"], ["fa", "ps", "de"], ["culture", "health"], "listed", ALL_PUBLIC),
    # Waiting for review, asked to change, inactive — for the staff queue.
    ("Tamilischer Kulturverein Demo e.V.", None, "ev", 2021,
     ["Lütgendortmund"], ["Sri Lanka"], ["ta", "de"], ["culture", "youth"], "pending", ALL_PUBLIC),
    ("Lateinamerika Treff Demo", None, "initiative", 2023,
     ["Innenstadt-West"], ["Lateinamerika"], ["es", "pt", "de"], ["culture", "women"], "pending", ALL_PUBLIC),
    ("Marokkanischer Elternrat Demo", None, "initiative", 2020,
     ["Innenstadt-Nord"], ["Marokko"], ["ar", "fr", "de"], ["parents"], "needs_changes", ALL_PUBLIC),
]


def _account(local: str, name: str, role: Role, locale: str, now) -> User:
    email = f"{local}@{DOMAIN}"
    user = get_user_by_email(email)
    if user is None:
        user = User(email=email, name=name, role=role.value, locale=locale,
                    password_hash=hash_password(DEMO_PASSWORD), email_verified_at=now,
                    privacy_consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                    privacy_consent_at=now, created_at=now)
        db.session.add(user)
        db.session.flush()
    return user


def _demo_orgs(admin: User, now) -> None:
    for i, (name, short, form, year, districts, regions, languages, fields, status,
            published) in enumerate(DEMO_ORGS, start=1):
        if db.session.scalar(select(Organisation.id).where(Organisation.name == name)):
            continue
        rep = _account(f"rep{i}", f"Vertretung {i} (Demo)", Role.MEMBER, "de", now)
        profile = OrgProfile(
            name=name, short_name=short or "", legal_form=form, founding_year=year,
            description=f"{name} ist ein erfundener Demo-Verein für MIA-DO Events.",
            address=f"Beispielstraße {i}, 44137 Dortmund", email=f"kontakt{i}@{DOMAIN}",
            phone=f"0231 000 00{i:02d}", website=f"https://verein{i}.example.org",
            internal_contact=f"Vorstand: Vertretung {i}, Tel. 0170 000 00{i:02d}",
            districts=districts, regions=regions, languages=languages, fields_of_work=fields,
            published_fields=published, members_see_member_list=i % 2 == 0)
        org = org_services.apply_for_listing(rep, profile, now=now)
        if status == "listed":
            org_services.decide_application(admin, org, "approve", now=now)
        elif status == "needs_changes":
            org_services.decide_application(
                admin, org, "needs_changes",
                "Bitte ergänzen Sie eine Beschreibung Ihrer Arbeit und eine Kontaktperson.", now=now)
    db.session.flush()


def _demo_memberships(now) -> None:
    first = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGS[0][0]))
    second = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGS[1][0]))
    members = [get_user_by_email(f"member@{DOMAIN}"), get_user_by_email(f"member2@{DOMAIN}")]
    wanted = [(first, members[0], MembershipStatus.ACTIVE), (second, members[1], MembershipStatus.ACTIVE),
              (first, members[1], MembershipStatus.REQUESTED)]
    for org, user, status in wanted:
        exists = db.session.scalar(select(Membership.id).where(
            Membership.organisation_id == org.id, Membership.user_id == user.id))
        if not exists:
            db.session.add(Membership(organisation=org, user=user, role=MembershipRole.MEMBER.value,
                                      status=status.value, created_at=now))


DEMO_VENUES = [
    VenueData(name="Begegnungszentrum Nordmarkt (Demo)", address="Beispielplatz 1, 44145 Dortmund",
              district="Innenstadt-Nord", room="Saal 1",
              accessibility_notes="Stufenloser Eingang, Aufzug, barrierefreies WC, Induktionsschleife.",
              directions="U-Bahn U47 bis Haltestelle Beispielplatz, Eingang an der Rückseite."),
    VenueData(name="Bürgerhaus Hörde (Demo)", address="Musterweg 12, 44263 Dortmund",
              district="Hörde", room="Raum 2.04",
              accessibility_notes="Eingang mit Rampe, Aufzug vorhanden.",
              directions="S-Bahn bis Hörde Bahnhof, 5 Minuten Fußweg."),
    VenueData(name="Rathaus, Bürgersaal (Demo)", address="Friedensplatz-Beispiel 3, 44135 Dortmund",
              district="Innenstadt-West", room="Bürgersaal",
              accessibility_notes="Stufenloser Zugang über den Seiteneingang.", directions=""),
]

NETWORKING_TITLE = "Vernetzungstreffen der Migrantenselbstorganisationen (Demo)"


# Nobody comes to an evening event on these days: the demo moves such dates on.
_HOLIDAYS = {(12, 24), (12, 25), (12, 26), (12, 31), (1, 1)}


def _working_evening(day):
    while (day.month, day.day) in _HOLIDAYS:
        day += timedelta(days=1)
    return day


def _demo_events(admin: User, now) -> None:
    if db.session.scalar(select(Event.id).where(Event.title == NETWORKING_TITLE)):
        return
    venues = [event_services.save_venue(admin, data) for data in DEMO_VENUES]
    today = to_local(now).date()

    def create(title, kind, capacity, **kw):
        data = EventData(kind=kind, title=title, capacity=capacity, **kw)
        return event_services.create_event(admin, data, now=now)

    networking = create(
        NETWORKING_TITLE, "networking", 60, languages=["de"],
        description="Austausch zu Masterplan Integration, Projekten, geplanten Aktivitäten, "
                    "Fördermitteln und aktuellen Themen. Offen für alle interessierten MSOen.",
        audience_note="Vorstände und Aktive aus Migrantenselbstorganisationen")
    event_services.create_recurring_sessions(admin, networking, RecurrenceData(
        frequency="monthly_nth_weekday", nth=2, weekday=1, first_day=today,
        start=time(18, 0), end=time(20, 0), count=12, venue_id=venues[0].id))

    series = create(
        "Weiterbildungsreihe Vereinsfinanzen (Demo)", "series", 20, languages=["de", "tr"],
        org_seat_limit=3, certificate_threshold=75, visibility="members",
        description="Vier Abende zu Buchführung, Fördermitteln, Anträgen und Verwendungsnachweisen.",
        audience_note="Kassenwartinnen und Kassenwarte von MSOen")
    first_wednesday = today + timedelta(days=21 + (2 - (today + timedelta(days=21)).weekday()) % 7)
    for week in range(4):
        event_services.add_session(admin, series, SessionData(
            day=_working_evening(first_wednesday + timedelta(days=7 * week)), start=time(17, 30),
            end=time(20, 0), venue_id=venues[1].id))

    seminars = [
        ("Seminar: Social Media für Vereine (Demo)", 25, ["de", "ar"], 10, venues[0]),
        ("Seminar: Datenschutz im Verein (Demo)", 30, ["de"], 17, venues[2]),
        ("Seminar: Ehrenamt gewinnen und halten (Demo)", 2, ["de", "en"], 12, venues[1]),
    ]
    created = []
    for title, capacity, languages, in_days, venue in seminars:
        seminar = create(title, "seminar", capacity, languages=languages,
                         description="Ein Abend mit Beispielen aus der Praxis und Zeit für Fragen.")
        event_services.add_session(admin, seminar, SessionData(
            day=_working_evening(today + timedelta(days=in_days)), start=time(18, 0), end=time(21, 0),
            venue_id=venue.id))
        created.append(seminar)
    for event in [networking, series, *created]:
        event_services.publish_event(admin, event, now=now)
    db.session.flush()

    # The small seminar is full, with a waiting list.
    full = created[2]
    slot = full.slots[0]
    people = [get_user_by_email(f"member@{DOMAIN}"), get_user_by_email(f"member2@{DOMAIN}"),
              get_user_by_email(f"rep1@{DOMAIN}"), get_user_by_email(f"rep2@{DOMAIN}")]
    for person in people:
        orgs = registration_services.active_organisations(person)
        registration_services.register_participant(admin, person, slot, orgs[0] if orgs else None, now=now)


# Issue #19: content in the reader's language. The networking meeting, the
# finance series and the social-media seminar have Turkish and Arabic texts;
# "Datenschutz im Verein" has none (readers see the German text, marked).
DEMO_TRANSLATIONS = {
    NETWORKING_TITLE: {
        "tr": {"title": "Göçmen öz örgütleri buluşması (Demo)",
               "description": "Entegrasyon master planı, projeler, planlanan etkinlikler, hibeler ve güncel "
                              "konular üzerine fikir alışverişi. İlgilenen tüm derneklere açıktır.",
               "audience_note": "Göçmen öz örgütlerinin yönetim kurulu üyeleri ve gönüllüleri"},
        "ar": {"title": "لقاء منظمات المهاجرين الذاتية (تجريبي)",
               "description": "تبادل حول الخطة الرئيسية للاندماج والمشاريع والأنشطة المخططة والتمويل "
                              "والمواضيع الراهنة. مفتوح لجميع المنظمات المهتمة.",
               "audience_note": "أعضاء مجالس الإدارة والناشطون في منظمات المهاجرين"},
    },
    "Weiterbildungsreihe Vereinsfinanzen (Demo)": {
        "tr": {"title": "Dernek maliyesi eğitim dizisi (Demo)",
               "description": "Muhasebe, hibeler, başvurular ve harcama belgeleri üzerine dört akşam.",
               "audience_note": "Derneklerin saymanları"},
    },
    "Seminar: Social Media für Vereine (Demo)": {
        "ar": {"title": "ندوة: وسائل التواصل الاجتماعي للجمعيات (تجريبي)",
               "description": "أمسية مع أمثلة من الممارسة ووقت للأسئلة."},
        "tr": {"title": "Seminer: Dernekler için sosyal medya (Demo)",
               "description": "Uygulamadan örnekler ve sorular için zaman içeren bir akşam."},
    },
}
DEMO_VENUE_TRANSLATIONS = {
    "accessibility_notes": {"tr": "Basamaksız giriş, asansör, engelli tuvaleti, indüksiyon döngüsü.",
                            "ar": "مدخل بدون درج، مصعد، مرحاض مناسب لذوي الإعاقة، حلقة حثية."},
}
DEMO_ORG_DESCRIPTIONS = {
    "tr": "{name}, MIA-DO Events için uydurulmuş bir demo derneğidir.",
    "ar": "{name} جمعية تجريبية مختلقة لـ MIA-DO Events.",
}


def _demo_translations(admin: User, now) -> None:
    """Turkish and Arabic texts for some events, the first venue and the
    first two MSOs; one event stays German only (the fallback)."""
    for title, languages in DEMO_TRANSLATIONS.items():
        event = db.session.scalar(select(Event).where(Event.title == title))
        if event is None or event.translations:
            continue
        event_services.save_translations(admin, event, {
            language: {field: (text, False) for field, text in fields.items()}
            for language, fields in languages.items()})
        for session in event.sessions:
            venue = session.venue
            if venue is not None and venue.accessibility_notes and not venue.translations:
                event_services.save_translations(admin, venue, {
                    language: {"accessibility_notes": (text, False)}
                    for language, text in DEMO_VENUE_TRANSLATIONS["accessibility_notes"].items()})
    for org in db.session.scalars(select(Organisation).where(Organisation.description.is_not(None))
                                  .order_by(Organisation.id).limit(2)):
        if not org.translations:
            org_services.save_description_translations(admin, org, {
                language: {"description": (text.format(name=org.name), False)}
                for language, text in DEMO_ORG_DESCRIPTIONS.items()})
    db.session.flush()


CHECKIN_TITLE = "Vernetzungscafé heute – Einlass-Probe (Demo)"
FINISHED_SERIES_TITLE = "Weiterbildungsreihe Öffentlichkeitsarbeit (Demo, abgeschlossen)"


def _demo_checkin(admin: User, now) -> None:
    """A session running today (check-in open, two people in, door staff
    assigned) and a finished series with attendance and one certificate."""
    from .checkin import certificates as certificate_services
    from .checkin import services as checkin_services
    from .models.checkin import CheckInMethod

    if db.session.scalar(select(Event.id).where(Event.title == CHECKIN_TITLE)):
        return
    venue = db.session.scalar(select(Venue).order_by(Venue.id))
    local_now = to_local(now)
    start = (local_now - timedelta(minutes=30)).replace(second=0, microsecond=0)
    cafe = event_services.create_event(admin, EventData(
        kind="networking", title=CHECKIN_TITLE, capacity=30, languages=["de", "en"],
        description="Ein offenes Treffen zum Ausprobieren des Einlasses: Tickets scannen, "
                    "Namen suchen, Walk-ins anmelden."), now=now)
    event_services.add_session(admin, cafe, SessionData(
        day=start.date(), start=start.time(), end=(start + timedelta(hours=3)).time()
        if (start + timedelta(hours=3)).date() == start.date() else time(23, 59),
        venue_id=venue.id if venue else None))
    event_services.publish_event(admin, cafe, now=now)
    db.session.flush()
    door = get_user_by_email(f"door@{DOMAIN}")
    checkin_services.assign_door_staff(admin, cafe, door)
    slot = cafe.slots[0]
    people = [get_user_by_email(f"member@{DOMAIN}"), get_user_by_email(f"member2@{DOMAIN}")] + [
        get_user_by_email(f"rep{i}@{DOMAIN}") for i in range(1, 7)]
    session = cafe.sessions[0]
    registrations = []
    for person in people:
        orgs = registration_services.active_organisations(person)
        registrations.append(registration_services.register_participant(
            admin, person, slot, orgs[0] if orgs else None, now=now - timedelta(days=3)).registration)
    for registration in registrations[2:4]:
        checkin_services.check_in(door, session, registration, method=CheckInMethod.SCAN, now=now)

    # A series that ended last month: four sessions, attendance recorded.
    first = (local_now - timedelta(days=60)).date()
    series = event_services.create_event(admin, EventData(
        kind="series", title=FINISHED_SERIES_TITLE, capacity=20, languages=["de"],
        certificate_threshold=75, description="Pressearbeit, Social Media, Fotos und Texte für Vereine."),
        now=now - timedelta(days=90))
    for week in range(4):
        event_services.add_session(admin, series, SessionData(
            day=_working_evening(first + timedelta(days=7 * week)), start=time(17, 30), end=time(20, 0),
            venue_id=venue.id if venue else None))
    event_services.publish_event(admin, series, now=now - timedelta(days=90))
    db.session.flush()
    series_slot = series.slots[0]
    attended_counts = {"member": 4, "rep1": 3, "rep2": 2}
    for local, count in attended_counts.items():
        person = get_user_by_email(f"{local}@{DOMAIN}")
        orgs = registration_services.active_organisations(person)
        registration = registration_services.register_participant(
            admin, person, series_slot, orgs[0] if orgs else None, now=now - timedelta(days=80)).registration
        for s in series.sessions[:count]:
            checkin_services.check_in(admin, s, registration, method=CheckInMethod.MANUAL,
                                      now=s.starts_at + timedelta(minutes=5))
    certificate_services.claim(get_user_by_email(f"member@{DOMAIN}"), series, now=now)


CLOSED_ROUND_TITLE = "Themenrunde Herbst 2026 (Demo, abgeschlossen)"
OPEN_ROUND_TITLE = "Themenrunde Frühjahr 2027 (Demo)"

DEMO_TOPICS = [
    # title, format, languages, proposer (local part), description
    ("Fördermittel beantragen Schritt für Schritt", "series", ["de", "tr"], "rep1",
     "Welche Programme gibt es, wie schreibt man einen Antrag, wie rechnet man ab?"),
    ("Social Media für kleine Vereine", "evening", ["de", "ar"], "rep3",
     "Instagram, Facebook und WhatsApp-Kanäle sinnvoll und datenschutzgerecht nutzen."),
    ("Vorstandsarbeit und Vereinsrecht", "weekend", ["de"], "rep4",
     "Satzung, Mitgliederversammlung, Haftung des Vorstands."),
    ("Ehrenamtliche gewinnen und halten", "evening", ["de", "ru"], "rep7",
     "Wie finden Vereine neue Aktive, und wie bleiben sie dabei?"),
    ("Interkulturelle Elternarbeit in Schulen", "series", ["de", "pl", "uk"], "rep4",
     "Zusammenarbeit mit Schulen, Elternabende, Dolmetschen."),
]


def _demo_voting(admin: User, now) -> None:
    """One round with published results and one round open for voting."""
    from .voting import ballots as ballot_services
    from .voting import services as voting_services

    if db.session.scalar(select(TopicRound.id).where(TopicRound.title == CLOSED_ROUND_TITLE)):
        return
    days = timedelta(days=1)

    def round_with_topics(title, start, topics, ballots_by_rep, final_phase):
        round_ = voting_services.create_round(admin, voting_services.RoundData(
            title=title, description="Welche Seminare soll das Büro als Nächstes anbieten? "
                                     "Jede MSO hat 5 Punkte, höchstens 3 für ein Thema.",
            proposals_open_at=start, moderation_at=start + 14 * days, voting_opens_at=start + 21 * days,
            voting_closes_at=start + 35 * days,
            results_at=start + 36 * days if final_phase == "published" else None), now=start - days)
        voting_services.set_phase(admin, round_, "proposals", now=start)
        created = []
        for title_, format_, languages, proposer, description in topics:
            user = get_user_by_email(f"{proposer}@{DOMAIN}")
            org = voting_services.member_organisations(user, round_)[0]
            topic = voting_services.propose(user, round_, org, voting_services.TopicData(
                title=title_, description=description, why="Viele Vereine haben danach gefragt.",
                languages=languages, format=format_), now=start + days)
            voting_services.approve(admin, topic)
            created.append(topic)
        voting_services.set_phase(admin, round_, "voting", now=start + 21 * days)
        for rep, points in ballots_by_rep.items():
            user = get_user_by_email(f"{rep}@{DOMAIN}")
            org = voting_services.member_organisations(user, round_)[0]
            ballot_services.cast(user, round_, org, {created[i].id: p for i, p in points.items()},
                                 now=start + 25 * days)
        if final_phase != "voting":
            voting_services.set_phase(admin, round_, final_phase, now=start + 36 * days)
        return round_

    round_with_topics(CLOSED_ROUND_TITLE, now - 120 * days, DEMO_TOPICS[:4], {
        "rep1": {0: 3, 1: 2}, "rep2": {0: 2, 2: 3}, "rep3": {1: 3, 3: 2}, "rep4": {2: 3, 0: 2},
        "rep5": {1: 3, 3: 2}, "rep6": {0: 3, 1: 2}, "rep8": {3: 3, 2: 2}}, "published")
    round_with_topics(OPEN_ROUND_TITLE, now - 25 * days, DEMO_TOPICS[1:], {
        "rep2": {0: 2, 3: 3}, "rep3": {1: 3, 0: 2}}, "voting")


PAST_MEETING_TITLE = "Vernetzungstreffen der Migrantenselbstorganisationen (Demo, vergangen)"


def demo_past_meeting_session(admin: User, now):
    """The past networking meeting with a published agenda (H6 adds its minutes
    and materials to this session). Created once; returns its session."""
    from .models.events import EventSession

    event = db.session.scalar(select(Event).where(Event.title == PAST_MEETING_TITLE))
    if event is not None:
        return db.session.scalar(select(EventSession).where(EventSession.event_id == event.id))
    venue = db.session.scalar(select(Venue).order_by(Venue.id))
    event = event_services.create_event(admin, EventData(
        kind="networking", title=PAST_MEETING_TITLE, capacity=60, languages=["de"],
        description="Austausch zu Masterplan Integration, Projekten und Fördermitteln."), now=now)
    day = _working_evening(to_local(now).date() - timedelta(days=35))
    session = event_services.add_session(admin, event, SessionData(
        day=day, start=time(18, 0), end=time(20, 0), venue_id=venue.id if venue else None,
        online_url="" if venue else "https://meet.example.org/demo"))
    event_services.publish_event(admin, event, now=now)
    orgs = db.session.scalars(select(Organisation).where(Organisation.status == "listed")
                              .order_by(Organisation.id)).all()
    for title, kind, minutes, presenter, org in [
        ("Begrüßung und Neuigkeiten aus dem Büro", "other", 10, "Sami Staff", None),
        ("Masterplan Integration: Stand der Handlungsfelder", "masterplan", 25, "Sami Staff", None),
        ("Unser Hausaufgabenprojekt im Nordmarkt", "project", 15, "Vertretung 1", orgs[0] if orgs else None),
        ("Fördermittel 2027: Komm-An NRW und städtische Zuschüsse", "funding", 20, "", None),
        ("Offene Runde: aktuelle Themen", "discussion", 30, "", None),
    ]:
        agenda.add_item(admin, session, agenda.ItemData(
            title=title, kind=kind, minutes=minutes, presenter_name=presenter,
            presenter_org_id=org.id if org else None, languages=["de"]), now=now)
    agenda.publish_agenda(admin, session, now=now)
    return session


def _demo_agenda(admin: User, now) -> None:
    """The next networking meeting takes proposals (two items, one pending
    proposal); a past one has a published agenda."""
    from .models.events import EventSession

    networking = db.session.scalar(select(Event).where(Event.title == NETWORKING_TITLE))
    if networking is None:
        return
    upcoming = db.session.scalar(
        select(EventSession).where(EventSession.event_id == networking.id,
                                   EventSession.starts_at > now + timedelta(days=4))
        .order_by(EventSession.starts_at))
    if upcoming is not None and agenda.agenda_of(upcoming) is None:
        agenda.set_proposal_deadline(admin, upcoming, upcoming.starts_at - timedelta(days=2), now=now)
        for title, kind, minutes in [("Masterplan Integration: Rückblick und Ausblick", "masterplan", 20),
                                     ("Fördermittel: Fristen im nächsten Quartal", "funding", 15)]:
            agenda.add_item(admin, upcoming, agenda.ItemData(
                title=title, kind=kind, minutes=minutes, presenter_name="Sami Staff"), now=now)
        agenda.publish_agenda(admin, upcoming, now=now)
        member = get_user_by_email(f"member@{DOMAIN}")
        orgs = proposals.proposal_organisations(member) if member else []
        if orgs:
            proposals.propose(member, upcoming, orgs[0], proposals.ProposalData(
                title="Vorstellung: Sprachcafé für Eltern", kind="project", minutes=10,
                presenter_name=member.name, why="Wir suchen Partnervereine in der Nordstadt."), now=now)
    demo_past_meeting_session(admin, now)


DEMO_MINUTES = """# Vernetzungstreffen – Protokoll

**Anwesend:** 24 Personen aus 14 Migrantenselbstorganisationen, zwei Mitarbeitende des Büros.

## Masterplan Integration
- Die Handlungsfelder *Bildung* und *Arbeit* sind überarbeitet; Rückmeldungen bis Ende des Monats an das Büro.
- Der nächste Bericht erscheint im Frühjahr.

## Projekte
- Das Hausaufgabenprojekt im Nordmarkt sucht weitere Ehrenamtliche (Kontakt über das MSO-Verzeichnis).

## Fördermittel
- Förderaufruf 2027 (siehe Unterlagen): Anträge bis zum 31. März. Das Büro berät bei Fragen.
- Mehr dazu: [Integrationsportal der Stadt](https://www.dortmund.de/)

## Nächste Schritte
1. MSOen schicken Themen für das nächste Treffen über „Punkt vorschlagen“.
2. Das Büro lädt zu einem Workshop Antragstellung ein.
"""


def _demo_png() -> bytes:
    """A small picture for the demo: the flip chart of the open round."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 620, 380), outline=(0, 80, 150), width=4)
    for row, (text, width) in enumerate([("Raeume fuer Vereine", 420), ("Foerderung", 300),
                                         ("Sprachkurse", 360), ("Ehrenamt", 240)]):
        y = 60 + row * 75
        draw.rectangle((60, y, 60 + width, y + 40), fill=(0, 110, 180))
        draw.text((70, y + 12), text, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _demo_pdf() -> bytes:
    """A one-page funding call for the demo, made with the app's PDF set-up."""
    from .pdf import FONT, new_document

    pdf = new_document("Förderaufruf 2027 (Demo)", margin=20)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, "Förderaufruf 2027 für Migrantenselbstorganisationen (Demo)")
    pdf.set_font(FONT, "", 11)
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Gefördert werden Projekte, die Begegnung, Bildung und Teilhabe in Dortmund stärken. "
                         "Anträge bis zum 31. März 2027. Beratung durch MIA-DO-KI.")
    return pdf.finish()


def _demo_minutes(admin: User, now) -> None:
    """The past meeting gets its minutes and two materials, published: a
    funding call (PDF, for everyone) and a photo of the flip chart (PNG,
    for participants and members of listed MSOs)."""
    import io

    from .meetings import materials, minutes

    session = demo_past_meeting_session(admin, now)
    if session is None or minutes.minutes_of(session) is not None:
        return
    minutes.save_minutes(admin, session, DEMO_MINUTES, "public", now=now)
    materials.upload_material(admin, session, stream=io.BytesIO(_demo_pdf()), filename="Foerderaufruf-2027.pdf",
                              title="Förderaufruf 2027 (Demo)", visibility="public")
    materials.upload_material(admin, session, stream=io.BytesIO(_demo_png()), filename="Flipchart-offene-Runde.png",
                              title="Flipchart der offenen Runde", visibility="participants")
    materials.publish(admin, session, now=now)


DEMO_OFFICE_NEWS_KEY = "demo-office-news-1"


def _demo_outreach(admin: User, now) -> None:
    """One MSO that agreed to the office's news at its contact address, and one
    office mailing in the archive (to the MSOs in Innenstadt-Nord, with the
    networking meeting attached); queued under ``suppressed``, so nobody is mailed."""
    from .models.mail import Mailing
    from .outreach import services as outreach
    from .outreach.audience import AudienceFilter

    syrian = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGS[2][0]))
    if syrian is not None and syrian.email:
        syrian.news_to_contact_email = True
    if db.session.scalar(select(Mailing.id).where(Mailing.draft_key == DEMO_OFFICE_NEWS_KEY)):
        return
    meeting = db.session.scalar(select(Event).where(Event.title == NETWORKING_TITLE))
    db.session.flush()
    outreach.send_office_news(admin, outreach.Draft(
        subject="Fördermittel 2027: Informationsabend für Vereine (Demo)",
        body="Liebe Vereine,\n\nim nächsten Vernetzungstreffen stellen wir die Förderprogramme für 2027 vor "
             "und beantworten Ihre Fragen zu Anträgen. Bitte melden Sie sich über den Link an.\n\n"
             "Viele Grüße\nIhr MIA-DO-KI-Team",
        translations={"ar": {"subject": "منح التمويل 2027: أمسية معلومات للجمعيات (عرض)",
                             "body": "أعزاءنا الجمعيات،\n\nفي لقاء التواصل القادم نقدم برامج التمويل لعام 2027."}},
        filters=AudienceFilter.of({"district": ["Innenstadt-Nord"]}),
        event=meeting if meeting is not None and meeting.is_published else None,
        draft_key=DEMO_OFFICE_NEWS_KEY), now=now - timedelta(days=3))


def _demo_questions(admin: User, now) -> None:
    """The networking meeting asks which language to interpret into and about
    access needs (sensitive: only staff see the answers); one member has
    answered both."""
    from .events import question_editor, questions
    from .models.events import EventSession

    networking = db.session.scalar(select(Event).where(Event.title == NETWORKING_TITLE))
    if networking is None or questions.questions_for(networking):
        return
    interpreting = question_editor.add_from_template(admin, networking, "interpreting")
    access = question_editor.add_from_template(admin, networking, "access")
    session = db.session.scalar(select(EventSession).where(
        EventSession.event_id == networking.id, EventSession.starts_at > now).order_by(EventSession.starts_at))
    person = get_user_by_email(f"member2@{DOMAIN}")
    if session is None or person is None:
        return
    slot = next(s for s in networking.slots if s.session_id == session.id)
    orgs = registration_services.active_organisations(person)
    outcome = registration_services.register_participant(admin, person, slot, orgs[0] if orgs else None, now=now)
    questions.store_answers(outcome.registration, {
        interpreting.id: ["c1"], access.id: "Stufenloser Zugang bitte, ich komme mit dem Rollstuhl."})


DEMO_PHONE_SEMINAR = "Seminar: Social Media für Vereine (Demo)"


def _demo_on_behalf(admin: User, now) -> None:
    """Two registrations taken by hand for people without an e-mail address:
    one by staff on the phone, one by the representative of the first MSO."""
    from .events import on_behalf
    from .models.events import Registration

    seminar = db.session.scalar(select(Event).where(Event.title == DEMO_PHONE_SEMINAR))
    rep = get_user_by_email(f"rep1@{DOMAIN}")
    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGS[0][0]))
    if seminar is None or not seminar.slots or rep is None or org is None:
        return
    slot = seminar.slots[0]
    entries = [(admin, None, on_behalf.PersonEntry(name="Fatma Telefon (Demo)", phone="0231 000 1111")),
               (rep, org, on_behalf.PersonEntry(name="Yusuf Ohne-Mail (Demo)"))]
    for actor, chosen, entry in entries:
        done = db.session.scalar(select(Registration.id).join(User, User.id == Registration.user_id).where(
            Registration.slot_id == slot.id, User.name == entry.name))
        if done is None:
            on_behalf.register_on_behalf(actor, slot, entry, chosen, now=now)


DEMO_OFFER_SEMINAR = "Seminar: Vereinssatzung verständlich (Demo, Warteliste mit Angebot)"


def _demo_waitlist_offer(admin: User, now) -> None:
    """A seminar whose waiting list asks first: its two seats were taken, one
    was given up, and the seat is now offered to the demo member (open offer,
    see "My registrations"); the second demo member waits behind them."""
    if db.session.scalar(select(Event.id).where(Event.title == DEMO_OFFER_SEMINAR)):
        return
    venue = db.session.scalar(select(Venue).order_by(Venue.id))
    seminar = event_services.create_event(admin, EventData(
        kind="seminar", title=DEMO_OFFER_SEMINAR, capacity=2, languages=["de"], waitlist_mode="offer",
        offer_hours=48, description="Was in eine Satzung gehört und wie man sie ändert."), now=now)
    event_services.add_session(admin, seminar, SessionData(
        day=_working_evening(to_local(now).date() + timedelta(days=24)), start=time(18, 0), end=time(20, 30),
        venue_id=venue.id if venue else None, online_url=None if venue else "https://meet.example.org/demo"))
    event_services.publish_event(admin, seminar, now=now)
    db.session.flush()
    slot = seminar.slots[0]
    people = [get_user_by_email(f"rep3@{DOMAIN}"), get_user_by_email(f"rep4@{DOMAIN}"),
              get_user_by_email(f"member@{DOMAIN}"), get_user_by_email(f"member2@{DOMAIN}")]
    if any(p is None for p in people):
        return
    registrations = []
    for person in people:
        orgs = registration_services.active_organisations(person)
        registrations.append(registration_services.register_participant(
            admin, person, slot, orgs[0] if orgs else None, now=now).registration)
    registration_services.cancel_registration(admin, registrations[0], now=now)


DEMO_GUEST_EMAIL = f"gast@{DOMAIN}"


def _demo_guest(now) -> str | None:
    """A guest without an account registered for the next networking meeting
    (as from the event page). Returns a fresh personal management link (the
    mailed ones are not kept anywhere) for the output of ``flask demo``."""
    from .errors import DomainError
    from .events import guests
    from .models.events import EventSession, Registration

    networking = db.session.scalar(select(Event).where(Event.title == NETWORKING_TITLE))
    if networking is None:
        return None
    session = db.session.scalar(select(EventSession).where(
        EventSession.event_id == networking.id, EventSession.starts_at > now).order_by(EventSession.starts_at))
    if session is None:
        return None
    slot = next(s for s in networking.slots if s.session_id == session.id)
    person = get_user_by_email(DEMO_GUEST_EMAIL)
    registration = None if person is None else registration_services.active_registration(person, slot)
    if registration is None:
        try:
            registration = guests.register_guest(slot, name="Maria Gast (Demo)", email=DEMO_GUEST_EMAIL,
                                                 phone="0231 000 2222", locale="de", privacy_consent=True,
                                                 now=now).registration
        except DomainError:  # e.g. registration not open (yet)
            return None
    if not isinstance(registration, Registration) or registration.user.has_account:
        return None
    return guests.issue_management_link(registration, now=now)


def load_demo_data() -> list[str]:
    """Create what is missing; return the lines to print (the demo log-ins)."""
    now = utcnow()
    with suppressed():  # demo data mails nobody
        users = {local: _account(local, name, role, locale, now)
                 for local, name, role, locale in DEMO_ACCOUNTS}
        _demo_orgs(users["admin"], now)
        _demo_memberships(now)
        db.session.flush()
        _demo_events(users["admin"], now)
        _demo_translations(users["admin"], now)
        _demo_agenda(users["admin"], now)
        _demo_questions(users["admin"], now)
        _demo_minutes(users["admin"], now)
        _demo_checkin(users["admin"], now)
        _demo_voting(users["admin"], now)
        _demo_on_behalf(users["admin"], now)
        _demo_outreach(users["admin"], now)
        _demo_waitlist_offer(users["admin"], now)
        guest_link = _demo_guest(now)
        db.session.commit()
    lines = [f"Demo log-ins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {role.value:<7} {local}@{DOMAIN}" for local, _, role, _ in DEMO_ACCOUNTS]
    lines.append(f"  MSO representatives: rep1@{DOMAIN} … rep{len(DEMO_ORGS)}@{DOMAIN} "
                 f"(rep1 speaks for {DEMO_ORGS[0][0]})")
    if guest_link:
        lines.append(f"  Guest without an account ({DEMO_GUEST_EMAIL}), personal link: {guest_link}")
    return lines
