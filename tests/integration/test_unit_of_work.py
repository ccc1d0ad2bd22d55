"""One unit of work per request: what a view writes stays only when the view
succeeds; a refusal (DomainError) rolls the whole request back, tells the
person why in their language and sends them back to the form."""
from __future__ import annotations

import pytest
from flask import abort, flash, render_template_string
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from miado_events import create_app, unit_of_work
from miado_events.errors import DomainError
from miado_events.extensions import db
from miado_events.models.events import Venue

from .. import conftest


def _write(name: str) -> None:
    db.session.add(Venue(name=name, address="Königswall 1"))
    db.session.flush()


@pytest.fixture
def uow_app(tmp_path):
    # An app of its own: the shared one takes no new routes after its first request.
    app = create_app(conftest.app_config(tmp_path))

    @app.route("/uow/ok", methods=["POST"])
    def ok():
        _write("kept")
        return "saved"

    @app.route("/uow/refused", methods=["POST"])
    def refused():
        unit_of_work.returns_to("/uow/form")
        _write("refused")
        raise DomainError("event_full", _l("No seats are free."))

    @app.route("/uow/bad", methods=["POST"])
    def bad():
        _write("bad")
        abort(400)

    @app.route("/uow/shown-again", methods=["POST"])
    def shown_again():
        if unit_of_work.attempt(lambda: (_write("shown"), (_ for _ in ()).throw(
                DomainError("org_quota_reached", _l("No seats are free."))))):
            return "saved"
        return render_template_string("form again")

    @app.route("/uow/boom", methods=["POST"])
    def boom():
        _write("boom")
        raise RuntimeError("boom")

    @app.route("/uow/flashed", methods=["GET"])
    def flashed():
        flash("visible")
        return render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true) %}[{{ c }}:{{ m }}]{% endfor %}")

    conftest.reset_schema(app)
    with app.app_context():
        yield app
        db.session.remove()
    with app.app_context():
        db.engine.dispose()


def _venues(app) -> list[str]:
    db.session.remove()  # what another request would see
    return list(db.session.scalars(select(Venue.name).order_by(Venue.name)))


def test_a_view_that_succeeds_commits_what_it_wrote(uow_app):
    response = uow_app.test_client().post("/uow/ok")
    assert response.status_code == 200
    assert _venues(uow_app) == ["kept"]


def test_a_refusal_rolls_back_and_returns_to_the_form_with_the_message_in_the_users_language(uow_app):
    client = uow_app.test_client()
    response = client.post("/uow/refused", headers={"Accept-Language": "de"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/uow/form")
    assert _venues(uow_app) == []
    page = client.get("/uow/flashed", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert page.startswith("[error:Es sind keine Plätze frei.]")


def test_without_a_named_form_a_refusal_goes_back_to_the_referring_page_of_this_site_only(tmp_path):
    app = create_app(conftest.app_config(tmp_path))

    @app.route("/uow/refused-anywhere", methods=["POST"])
    def refused_anywhere():
        raise DomainError("event_full", _l("No seats are free."))

    client = app.test_client()
    ours = client.post("/uow/refused-anywhere", headers={"Referer": "http://localhost/events/7?x=1"})
    assert ours.status_code == 302
    assert ours.headers["Location"].endswith("/events/7?x=1")
    theirs = client.post("/uow/refused-anywhere", headers={"Referer": "https://evil.example/phish"})
    assert theirs.headers["Location"] == "/"
    with app.app_context():
        db.engine.dispose()


def test_a_json_client_gets_the_refusal_as_json(uow_app):
    response = uow_app.test_client().post("/uow/refused", json={}, headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert response.get_json() == {"error": "event_full", "message": "No seats are free."}
    assert _venues(uow_app) == []


def test_an_error_status_rolls_back(uow_app):
    assert uow_app.test_client().post("/uow/bad").status_code == 400
    assert _venues(uow_app) == []


def test_a_view_that_shows_its_form_again_after_a_refusal_keeps_nothing(uow_app):
    response = uow_app.test_client().post("/uow/shown-again")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "form again"
    assert _venues(uow_app) == []


def test_an_unexpected_error_keeps_nothing(uow_app):
    uow_app.config["PROPAGATE_EXCEPTIONS"] = False
    assert uow_app.test_client().post("/uow/boom").status_code == 500
    assert _venues(uow_app) == []
