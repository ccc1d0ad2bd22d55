"""A private Dovecot IMAP server for the tests (like the aiosmtpd fixture for
SMTP): its own config, run and mail folders under a temporary directory, one
mailbox user, a free port on 127.0.0.1, plain IMAP without TLS.

As root (CI), Dovecot refuses to serve mail as uid 0: the mail belongs to a
system user ``miado-imap`` that is created on first use. Without root the
server runs as the current user. When Dovecot is not installed the tests
skip, except under ``CI=true``, where they fail (``.ci/system-deps``
installs ``dovecot-imapd``).
"""
from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

MAIL_USER = "office@example.org"
MAIL_PASSWORD = "imap-secret"
SYSTEM_USER = "miado-imap"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (os.path.exists("/usr/sbin/dovecot") and "/usr/sbin/dovecot") or None


def require_dovecot() -> str:
    binary = dovecot_binary()
    if binary is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mail_account() -> tuple[str, int, int]:
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return entry.pw_name, entry.pw_uid, entry.pw_gid
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        # Another test worker may create it at the same moment: then useradd
        # fails, and the user exists all the same.
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SYSTEM_USER], check=False, capture_output=True)
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_name, entry.pw_uid, entry.pw_gid


class Dovecot:
    def __init__(self, directory: Path):
        self.binary = require_dovecot()
        self.dir = directory
        self.port = _free_port()
        self.user, self.password = MAIL_USER, MAIL_PASSWORD
        self.process = None

    def config(self) -> dict:
        """The app's INBOUND_IMAP_* settings for this server."""
        return {"INBOUND_IMAP_HOST": "127.0.0.1", "INBOUND_IMAP_PORT": self.port,
                "INBOUND_IMAP_USER": self.user, "INBOUND_IMAP_PASSWORD": self.password,
                "INBOUND_IMAP_TLS": False, "INBOUND_IMAP_FOLDER": "INBOX",
                "INBOUND_IMAP_PROCESSED_FOLDER": "Processed"}

    def start(self) -> None:
        name, uid, gid = _mail_account()
        run, state, home = self.dir / "run", self.dir / "state", self.dir / "mail" / "office"
        for folder in (run, state, home):
            folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            for folder in (self.dir / "mail", home):
                os.chown(folder, uid, gid)
        (self.dir / "users").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{home}::\n")
        login_user = "dovenull" if os.geteuid() == 0 and _has_user("dovenull") else name
        internal_user = "dovecot" if os.geteuid() == 0 and _has_user("dovecot") else name
        (self.dir / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {state}
log_path = {self.dir / 'dovecot.log'}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
last_valid_uid = {uid}
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.dir / 'users'}
}}
userdb {{
  driver = passwd-file
  args = {self.dir / 'users'}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        subprocess.run([self.binary, "-c", str(self.dir / "dovecot.conf")], check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with self.connect():
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start: " + self._log())

    def _log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.connect() as imap:
            status, data = imap.append(folder, None, None, raw)
            assert status == "OK", data

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, bytes]]:
        """``(flags, raw)`` of every message in ``folder`` (read without marking them seen)."""
        with self.connect() as imap:
            status, _data = imap.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            _s, data = imap.uid("SEARCH", None, "ALL")
            found = []
            for uid in (data[0] or b"").split():
                _s, fetched = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                found.append((fetched[0][0], fetched[0][1]))
            return found


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture
def dovecot():
    # Not under pytest's base folder: that one is private to the user running
    # the tests, and the mail user must reach its own mail folder.
    directory = Path(tempfile.mkdtemp(prefix="miado-dovecot-"))
    server = Dovecot(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
