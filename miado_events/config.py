"""Configuration from environment variables, with safe defaults.

Every setting the app reads is listed here and in the README's table.
"""
from __future__ import annotations

import base64
import os
import secrets
import tempfile
from pathlib import Path

# Each language by its own name, as people look for it in the switcher.
LANGUAGES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "ru": "Русский",
    "uk": "Українська",
    "pl": "Polski",
}
DEFAULT_LOCALE = "de"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Let people write postgres:// or postgresql:// and still use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _env_or_instance_file(env_name: str, instance_path: str, filename: str, make) -> str:
    """A secret from the environment, else one generated once into instance/."""
    from_env = os.environ.get(env_name)
    if from_env:
        return from_env
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = make()
    # Written whole to a private temporary file, then linked into place: the
    # name appears only with its content, so when two processes start at once
    # the second reads the first's complete key (never a half-written file).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{filename}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        os.link(tmp, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        os.unlink(tmp)
    return key


def load_secret_key(instance_path: str) -> str:
    return _env_or_instance_file("SECRET_KEY", instance_path, "secret_key",
                                 lambda: secrets.token_hex(32))


def load_ticket_signing_key(instance_path: str) -> str:
    """The Ed25519 private key (32-byte seed, URL-safe base64) that signs tickets."""
    return _env_or_instance_file("TICKET_SIGNING_KEY", instance_path, "ticket_signing_key",
                                 lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


def engine_options(url: str) -> dict:
    """Connection pool settings. SQLite files need no pool tuning; for
    PostgreSQL each worker process keeps DB_POOL_SIZE connections (plus
    DB_MAX_OVERFLOW at peaks), so workers × (size + overflow) must stay below
    the server's max_connections."""
    options = {"pool_pre_ping": True}
    if not url.startswith("sqlite"):
        options.update(pool_size=_int("DB_POOL_SIZE", 5), max_overflow=_int("DB_MAX_OVERFLOW", 5),
                       pool_recycle=_int("DB_POOL_RECYCLE", 1800), pool_timeout=_int("DB_POOL_TIMEOUT", 10))
    return options


def rate_limit_storage_is_shared(uri: str) -> bool:
    """memory:// counts in each process alone; redis://, memcached:// and the
    like are one count for every process."""
    return not (uri or "memory://").startswith("memory://")


def rate_limit_warning(workers: int, environ=os.environ) -> str | None:
    """The warning to give when ``workers`` processes would each count the
    rate limits alone (in-memory storage), else None. Read from the
    environment, as the app will read it."""
    uri = environ.get("RATELIMIT_STORAGE_URI", "memory://")
    enabled = environ.get("RATELIMIT_ENABLED", "true").strip().lower() in {"1", "true", "yes", "on"}
    if workers <= 1 or not enabled or rate_limit_storage_is_shared(uri):
        return None
    return (f"RATE LIMITS DO NOT HOLD: {workers} worker processes each count sign-up and "
            f"password-reset attempts alone in their own memory (RATELIMIT_STORAGE_URI={uri}), so a "
            f"client gets up to {workers} times the configured limit. Set RATELIMIT_STORAGE_URI to a "
            "shared store, e.g. redis://localhost:6379/0 (see README, Production).")


def _materials_max_bytes() -> int:
    return _int("MATERIALS_MAX_BYTES", 20 * 1024 * 1024)


def from_environment(instance_path: str) -> dict:
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    https = base_url.startswith("https://")
    default_db = "sqlite:///" + str(Path(instance_path) / "miado.sqlite3")
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or default_db
        ),
        # SQLite only: how often commits wait for the disk (PRAGMA synchronous).
        # NORMAL (with WAL): a commit survives a crash of the app, but the last
        # commits before a power cut or an OS crash may be lost; FULL waits for
        # the disk at every commit (~1-10 ms, while other writers wait).
        "SQLITE_SYNCHRONOUS": os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").strip().upper(),
        "BASE_URL": base_url,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # Cookies: secure when served over HTTPS.
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PROXY_FIX": _int("PROXY_FIX", 0),
        # Mail (Flask-Mail's usual names).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "MIA-DO Events <no-reply@example.org>"
        ),
        # Answers to every mail go here (empty: the office, OFFICE_NAME <OFFICE_EMAIL>).
        "MAIL_REPLY_TO": os.environ.get("MAIL_REPLY_TO", ""),
        # Outbox: deliver right after each commit (development, small set-ups),
        # or leave it to `flask --app app mail send --loop` (MAIL_SEND_INLINE=false).
        "MAIL_SEND_INLINE": _bool("MAIL_SEND_INLINE", True),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_RETRY_BASE_SECONDS": _int("MAIL_RETRY_BASE_SECONDS", 60),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        # The mailbox that receives calendar replies to the ORGANIZER address,
        # read by `flask --app app mail receive [--loop]` (see README, Calendar replies).
        "INBOUND_IMAP_HOST": os.environ.get("INBOUND_IMAP_HOST", ""),
        "INBOUND_IMAP_PORT": _int("INBOUND_IMAP_PORT", 993),
        "INBOUND_IMAP_USER": os.environ.get("INBOUND_IMAP_USER", ""),
        "INBOUND_IMAP_PASSWORD": os.environ.get("INBOUND_IMAP_PASSWORD", ""),
        "INBOUND_IMAP_TLS": _bool("INBOUND_IMAP_TLS", True),
        "INBOUND_IMAP_FOLDER": os.environ.get("INBOUND_IMAP_FOLDER", "INBOX"),
        "INBOUND_IMAP_PROCESSED_FOLDER": os.environ.get("INBOUND_IMAP_PROCESSED_FOLDER", "Processed"),
        "INBOUND_POLL_SECONDS": _int("INBOUND_POLL_SECONDS", 60),
        "INBOUND_MAX_MESSAGE_BYTES": _int("INBOUND_MAX_MESSAGE_BYTES", 5 * 1024 * 1024),
        # When set, replies count only if an Authentication-Results header
        # written by this server (its authserv-id) says dkim, spf or dmarc=pass.
        "INBOUND_AUTHSERV_ID": os.environ.get("INBOUND_AUTHSERV_ID", ""),
        # Reminders go out this many hours before a session starts.
        "REMINDER_LEAD_HOURS": _int("REMINDER_LEAD_HOURS", 24),
        # Waiting list in "offer" mode: an offered seat stays open this many
        # hours unless the event says otherwise (`flask registrations expire-offers`).
        "WAITLIST_OFFER_HOURS": _int("WAITLIST_OFFER_HOURS", 24),
        # Check-in: tickets are signed with this Ed25519 key; the window opens
        # this many minutes before a session and closes this many after its end.
        "TICKET_SIGNING_KEY": load_ticket_signing_key(instance_path),
        "CHECKIN_OPENS_MINUTES": _int("CHECKIN_OPENS_MINUTES", 60),
        "CHECKIN_CLOSES_MINUTES": _int("CHECKIN_CLOSES_MINUTES", 30),
        # An offline scanner's check-in that reaches the server later than this
        # many minutes after the window closed waits for staff review.
        "CHECKIN_SYNC_GRACE_MINUTES": _int("CHECKIN_SYNC_GRACE_MINUTES", 1440),
        # The self check-in code on the screen at the entrance changes this often.
        "SELF_CHECKIN_ROTATE_SECONDS": _int("SELF_CHECKIN_ROTATE_SECONDS", 180),
        # Rate limits (Flask-Limiter). Use a shared store (e.g. redis://) with
        # several app processes; memory:// counts per process.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # A shared store that does not answer: count in this process meanwhile
        # (limits still hold per process) instead of failing every log-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Log-in limits (accounts/login_limits.py, counted in the database, so
        # every app process shares them): failed log-ins per account, this many
        # within LOGIN_LOCK_MINUTES lock the account's password log-in until the
        # oldest of them is that old (a successful log-in or a new password starts
        # the count again); and per network address (IP), a generous ceiling,
        # since a workshop on one venue's Wi-Fi shares one address. Successful
        # log-ins never count.
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 10),
        "LOGIN_LOCK_MINUTES": _int("LOGIN_LOCK_MINUTES", 15),
        "LOGIN_ADDRESS_MAX_FAILURES": _int("LOGIN_ADDRESS_MAX_FAILURES", 100),
        "LOGIN_ADDRESS_WINDOW_MINUTES": _int("LOGIN_ADDRESS_WINDOW_MINUTES", 60),
        "RATELIMIT_SIGNUP": os.environ.get("RATELIMIT_SIGNUP", "5 per minute;30 per hour"),
        "RATELIMIT_RESET": os.environ.get("RATELIMIT_RESET", "5 per minute;30 per hour"),
        # Guest registration (no account): per client address, and per e-mail address entered.
        "RATELIMIT_GUEST_REGISTRATION": os.environ.get("RATELIMIT_GUEST_REGISTRATION", "10 per minute;30 per hour"),
        "RATELIMIT_GUEST_EMAIL": os.environ.get("RATELIMIT_GUEST_EMAIL", "10 per hour"),
        # Full downloads of the MSO list (/orgs/list.pdf, /orgs/list.csv) per client address and
        # file; they are built once per change, this is a backstop. A 304 answer does not count.
        "RATELIMIT_MSO_LIST": os.environ.get("RATELIMIT_MSO_LIST", "30 per minute"),
        # Token lifetimes in hours.
        "VERIFY_TOKEN_HOURS": _int("VERIFY_TOKEN_HOURS", 48),
        "RESET_TOKEN_HOURS": _int("RESET_TOKEN_HOURS", 2),
        "INVITE_TOKEN_HOURS": _int("INVITE_TOKEN_HOURS", 168),
        "ORG_INVITE_DAYS": _int("ORG_INVITE_DAYS", 14),
        "CONTACT_EMAIL": os.environ.get("CONTACT_EMAIL", "mia-do-ki@example.org"),
        # The office as ORGANIZER of the published calendar entries (feeds, downloads).
        "OFFICE_NAME": os.environ.get("OFFICE_NAME", "MIA-DO-KI Stadt Dortmund"),
        "OFFICE_EMAIL": os.environ.get("OFFICE_EMAIL")
        or os.environ.get("CONTACT_EMAIL", "mia-do-ki@example.org"),
        # Shared mailbox of the office: new MSO applications and profile changes.
        "STAFF_NOTIFY_EMAIL": os.environ.get("STAFF_NOTIFY_EMAIL")
        or os.environ.get("CONTACT_EMAIL", "mia-do-ki@example.org"),
        "PRIVACY_NOTICE_VERSION": os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11"),
        # Public pages for anonymous visitors are kept per process while nothing on
        # them changed (see miado_events/pagecache.py); off only to compare.
        "PAGE_CACHE": _bool("PAGE_CACHE", True),
        # Lay out PDFs that anyone may fetch in a short-lived child process, so the
        # web worker never loads fpdf2 (see miado_events/apart.py; gunicorn.conf.py turns it on).
        "PDF_RENDER_APART": _bool("PDF_RENDER_APART", False),
        # `flask privacy purge` anonymises registrations of events that ended this long ago.
        "PRIVACY_RETENTION_MONTHS": _int("PRIVACY_RETENTION_MONTHS", 24),
        "BABEL_DEFAULT_LOCALE": DEFAULT_LOCALE,
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": LANGUAGES,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Meeting materials (uploads): where the files are kept, and the largest file.
        "MATERIALS_DIR": os.environ.get("MATERIALS_DIR") or str(Path(instance_path) / "materials"),
        "MATERIALS_MAX_BYTES": _materials_max_bytes(),
        # Largest request body in bytes (413 above it): at least the largest
        # material plus room for the form around it (default 25 MB).
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH",
                                   max(25 * 1024 * 1024, _materials_max_bytes() + 1024 * 1024)),
        # Largest text a client sends at once: a url-encoded form, a JSON body or
        # one text field of a multipart form (see miado_events/inputs.py).
        "MAX_FORM_MEMORY_SIZE": _int("MAX_FORM_MEMORY_SIZE", 1024 * 1024),
        "MAX_FORM_PARTS": _int("MAX_FORM_PARTS", 1000),
    }
