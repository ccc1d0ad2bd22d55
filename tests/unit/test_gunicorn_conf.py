"""gunicorn.conf.py: workers stay warm (no recycling by count unless asked
for), a leaking worker is replaced by the memory guard, and a worker starts
without the heavy libraries that only some requests use (issue #21 point 4)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.app.base import Application

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "gunicorn.conf.py"


class _ConfOnly(Application):
    """gunicorn reading gunicorn.conf.py exactly as ``gunicorn -c`` does."""

    def load_config(self):
        self.load_config_from_file(str(CONF))

    def init(self, parser, opts, args):  # pragma: no cover - load_config above replaces it
        raise AssertionError

    def load(self):  # pragma: no cover - never served
        raise AssertionError


@pytest.fixture
def conf(monkeypatch):
    def load(**env):
        for key in ("GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_MAX_WORKER_MEMORY_MB"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return _ConfOnly().cfg

    return load


def test_workers_are_not_recycled_by_default(conf):
    cfg = conf()
    # gunicorn turns 0 into "never".
    assert cfg.max_requests == 0
    assert cfg.max_requests_jitter == 0
    assert cfg.preload_app is True


def test_recycling_can_be_turned_back_on(conf):
    cfg = conf(GUNICORN_MAX_REQUESTS="5000")
    assert (cfg.max_requests, cfg.max_requests_jitter) == (5000, 500)
    cfg = conf(GUNICORN_MAX_REQUESTS="5000", GUNICORN_MAX_REQUESTS_JITTER="50")
    assert (cfg.max_requests, cfg.max_requests_jitter) == (5000, 50)


def _worker(nr: int):
    return SimpleNamespace(nr=nr, alive=True, pid=os.getpid(), log=SimpleNamespace(warning=lambda *a: None))


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_only_a_worker_above_the_memory_limit_is_replaced(conf):
    def alive_after(nr: int, **env) -> bool:
        worker = _worker(nr)
        conf(**env).post_request(worker, None, {}, None)
        return worker.alive

    # This process is far above 1 MB and far below 100 GB.
    assert alive_after(50, GUNICORN_MAX_WORKER_MEMORY_MB="1") is False
    assert alive_after(49, GUNICORN_MAX_WORKER_MEMORY_MB="1") is True   # size read every 50 requests
    assert alive_after(50, GUNICORN_MAX_WORKER_MEMORY_MB="100000") is True
    assert alive_after(50, GUNICORN_MAX_WORKER_MEMORY_MB="0") is True   # guard off


def test_the_master_freezes_the_loaded_app_before_forking(conf):
    cfg = conf()
    try:
        cfg.pre_fork(None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_worker_starts_without_the_libraries_only_some_requests_use(tmp_path):
    """PDF, Excel and migration libraries (fpdf2 with fontTools, openpyxl,
    Alembic) are loaded by the request that needs them; `flask db` still works."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(SECRET_KEY="test-only", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               MAIL_SEND_INLINE="false")
    heavy = ("fpdf", "fontTools", "openpyxl", "alembic", "flask_migrate", "markdown_it")
    loaded = subprocess.run(
        [sys.executable, "-c",
         f"import sys; from app import app; print([m for m in {heavy!r} if m in sys.modules])"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().splitlines()[-1] == "[]"

    # The MSO list as CSV is not the PDF: serving it loads no PDF library.
    csv_only = subprocess.run(
        [sys.executable, "-c",
         "import sys; from app import app; from miado_events.extensions import db\n"
         "with app.app_context(): db.create_all()\n"
         "r = app.test_client().get('/orgs/list.csv')\n"
         f"print(r.status_code, [m for m in {heavy!r} if m in sys.modules])"],
        cwd=REPO, env=dict(env, DATABASE_URL=f"sqlite:///{tmp_path / 'csv.sqlite3'}"),
        capture_output=True, text=True, timeout=120)
    assert csv_only.returncode == 0, csv_only.stderr
    assert csv_only.stdout.strip().splitlines()[-1] == "200 []"

    upgraded = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "current"],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout


def test_the_mso_list_pdf_is_laid_out_apart_and_the_worker_stays_lean(tmp_path):
    """With PDF_RENDER_APART (gunicorn.conf.py's default) the MSO list PDF is
    laid out in a child process: the same document, and the process serving
    it never loads fpdf2."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(SECRET_KEY="test-only", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               MAIL_SEND_INLINE="false", PDF_RENDER_APART="true")
    script = (
        "import sys\n"
        "from app import app\n"
        "from miado_events.extensions import db\n"
        "from miado_events.models.orgs import Organisation\n"
        "with app.app_context():\n"
        "    db.create_all()\n"
        "    db.session.add(Organisation(name='Verein Yıldız e.V.', legal_form='ev', status='listed', published_fields=[]))\n"
        "    db.session.commit()\n"
        "r = app.test_client().get('/orgs/list.pdf')\n"
        "print(r.status_code, r.data[:5], b'/Type /Page' in r.data, 'fpdf' in sys.modules)\n")
    served = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip().splitlines()[-1] == "200 b'%PDF-' True False"
