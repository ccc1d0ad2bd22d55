"""A built package is a complete, translated app (setup.py's build hook).

The wheel is built from a copy of the sources without any .mo file (they are
never committed): it must carry the catalogues compiled from the .po files,
the templates and the static files, and the app imported from it (not from
this checkout) must answer in German and Arabic.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "en", "tr", "ar", "ru", "uk", "pl")


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory) -> Path:
    # Built without network: the venv's setuptools and Babel do the build.
    pytest.importorskip("setuptools")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.mo")
    for name in ("miado_events", "templates", "static"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    assert not list(src.rglob("*.mo"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(out), str(src)],
        check=True, capture_output=True, text=True, cwd=src,
    )
    (path,) = out.glob("miado_events-*.whl")
    return path


def test_wheel_carries_a_compiled_catalogue_per_language(wheel_path):
    with zipfile.ZipFile(wheel_path) as wheel:
        for lang in LANGUAGES:
            data = wheel.read(f"miado_events/translations/{lang}/LC_MESSAGES/messages.mo")
            catalog = read_mo(BytesIO(data))
            assert len(catalog) > 100, lang
        de = read_mo(BytesIO(wheel.read("miado_events/translations/de/LC_MESSAGES/messages.mo")))
        assert de["Log in"].string == "Anmelden"


def test_wheel_carries_templates_and_static_files(wheel_path):
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
    for name in ("templates/base.html", "templates/accounts/login.html", "static/css/app.css",
                 "static/fonts/DejaVuSans.ttf", "migrations/env.py"):
        assert f"miado_events/{name}" in names
    assert not any(n.startswith(("templates/", "static/")) for n in names)


PROBE = """
import json, re, sys
import miado_events
from miado_events import create_app
from miado_events.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
client = app.test_client()
titles = {}
for lang in ("de", "ar"):
    html = client.get("/login", headers={"Accept-Language": lang}).get_data(as_text=True)
    titles[lang] = re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()
css = client.get("/static/css/app.css")
print(json.dumps({"package": miado_events.__file__, "template_folder": app.template_folder,
                  "titles": titles, "css": css.status_code}))
"""


def test_installed_package_renders_pages_translated(wheel_path, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel_path) as wheel:
        wheel.extractall(site)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
    env.update(
        PYTHONPATH=str(site),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite3'}",
        SECRET_KEY="packaging-test",
        TICKET_SIGNING_KEY="kK7YJmJ5HhS3Yb1Ue0cT4m9tQwq2b8m3yV4w6n1pXzA=",
        RATELIMIT_ENABLED="false",
    )
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(str(site))
    assert result["template_folder"].startswith(str(site))
    assert result["titles"]["de"].startswith("Anmelden")
    assert result["titles"]["ar"].startswith("تسجيل الدخول")
    assert result["css"] == 200
