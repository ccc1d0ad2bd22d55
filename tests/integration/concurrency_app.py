"""WSGI entry and gunicorn configuration for tests/integration/test_concurrency.py.

The test starts gunicorn as a separate process with

    gunicorn -c python:tests.integration.concurrency_app \
        'tests.integration.concurrency_app:make_app()'

Everything comes from environment variables set by the test:

* ``MIADO_CONCURRENCY_DATABASE_URI``: the database the test filled (SQLite file
  or PostgreSQL), so server and test look at the same data;
* ``MIADO_CONCURRENCY_READY_DIR``: each worker writes a file named after its pid
  here once it has loaded the app, so the test can wait until *all* workers
  are ready before firing (``/healthz`` answers as soon as the first one is);
* ``SECRET_KEY`` and ``ARGON2_*`` (inherited from the test process, so the
  password hashes made by the test need no re-hash at log-in);
* ``PRIVACY_NOTICE_VERSION``: the version the test's users have agreed to (the
  test app's), so that they are not sent to the privacy notice first.

gunicorn imports this module once as its configuration (the settings and the
hook below) and calls ``make_app()`` for the application.
"""
from __future__ import annotations

import os
from pathlib import Path

# gunicorn settings (names gunicorn reads from a python: config module).
# Build the app once in the master and fork the workers from it: they are
# ready at once instead of each spending seconds on imports. No database
# connection is opened before the fork (create_app only creates the engine).
preload_app = True
# gunicorn >= 24 opens a control socket at a fixed path in $HOME; two test
# servers at once would share it. Older versions ignore this name.
control_socket_disable = True


def make_app():
    from miado_events import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": os.environ["MIADO_CONCURRENCY_DATABASE_URI"],
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "PRIVACY_NOTICE_VERSION": os.environ["PRIVACY_NOTICE_VERSION"],
        # No SMTP server: mail stays in each worker's memory.
        "MAIL_BACKEND": "memory",
        # Hundreds of log-ins from 127.0.0.1 would hit the log-in limit.
        "RATELIMIT_ENABLED": False,
        # The client fetches CSRF tokens like a browser does.
        "WTF_CSRF_ENABLED": True,
        "BASE_URL": "http://127.0.0.1",
        "SERVER_NAME": None,
    })


def post_worker_init(worker) -> None:
    """gunicorn hook: this worker has loaded the app and is about to serve."""
    ready_dir = os.environ.get("MIADO_CONCURRENCY_READY_DIR")
    if ready_dir:
        Path(ready_dir, str(os.getpid())).touch()
