"""Clearly fictional demo content. Running it twice changes nothing."""
from __future__ import annotations

from .accounts.passwords import hash_password
from .accounts.services import get_user_by_email
from .database import utcnow
from .extensions import db
from .models.accounts import Role, User

DEMO_PASSWORD = "demo-passwort"

DEMO_ACCOUNTS = [
    # e-mail, name, role, locale
    ("admin@demo.example.org", "Ada Admin (Demo)", Role.ADMIN, "de"),
    ("staff@demo.example.org", "Sami Staff (Demo)", Role.STAFF, "de"),
    ("door@demo.example.org", "Derya Einlass (Demo)", Role.DOOR, "en"),
    ("member@demo.example.org", "Mila Mitglied (Demo)", Role.MEMBER, "de"),
    ("member2@demo.example.org", "Omar Beispiel (Demo)", Role.MEMBER, "en"),
]


def load_demo_data() -> list[str]:
    """Create what is missing; return the lines to print (the demo log-ins)."""
    now = utcnow()
    lines = ["Demo log-ins (password for all: %s):" % DEMO_PASSWORD]
    for email, name, role, locale in DEMO_ACCOUNTS:
        user = get_user_by_email(email)
        if user is None:
            user = User(email=email, name=name, role=role.value, locale=locale,
                        password_hash=hash_password(DEMO_PASSWORD), email_verified_at=now,
                        privacy_consent_version="demo", privacy_consent_at=now,
                        created_at=now)
            db.session.add(user)
        lines.append(f"  {role.value:<7} {email}")
    db.session.commit()
    return lines
