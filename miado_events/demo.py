"""Clearly fictional demo content. Running it twice changes nothing.

Every name, address and e-mail address here is invented; e-mail addresses
use the reserved domain example.org.
"""
from __future__ import annotations

from sqlalchemy import select

from .accounts.passwords import hash_password
from .accounts.services import get_user_by_email
from .database import utcnow
from .extensions import db
from .mail import discard_pending
from .models.accounts import Role, User
from .models.orgs import Membership, MembershipRole, MembershipStatus, Organisation
from .orgs import services as org_services
from .orgs.services import OrgProfile

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
                    privacy_consent_version="demo", privacy_consent_at=now, created_at=now)
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


def load_demo_data() -> list[str]:
    """Create what is missing; return the lines to print (the demo log-ins)."""
    now = utcnow()
    users = {local: _account(local, name, role, locale, now)
             for local, name, role, locale in DEMO_ACCOUNTS}
    _demo_orgs(users["admin"], now)
    _demo_memberships(now)
    discard_pending()  # demo data mails nobody
    db.session.commit()
    lines = [f"Demo log-ins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {role.value:<7} {local}@{DOMAIN}" for local, _, role, _ in DEMO_ACCOUNTS]
    lines.append(f"  MSO representatives: rep1@{DOMAIN} … rep{len(DEMO_ORGS)}@{DOMAIN} "
                 f"(rep1 speaks for {DEMO_ORGS[0][0]})")
    return lines
