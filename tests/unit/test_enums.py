"""The status enums: one definition gives the stored value, the label people
read and the CHECK constraint the database enforces."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, update
from sqlalchemy.exc import IntegrityError

from miado_events.enums import RichEnum
from miado_events.events.labels import KIND_LABELS, template_helpers
from miado_events.models.accounts import Role, User
from miado_events.models.events import (EventKind, EventStatus, Registration, RegistrationStatus,
                                        Visibility)
from miado_events.models.orgs import LegalForm, OrgAction, Organisation, OrgStatus
from miado_events.models.voting import Phase, TopicFormat, TopicStatus

from .events_support import register, slot_of

LABELLED = [EventKind, EventStatus, Visibility, RegistrationStatus, OrgStatus, LegalForm, OrgAction,
            Phase, TopicStatus, TopicFormat, Role]
GERMAN = Path(__file__).parents[2] / "miado_events/translations/de/LC_MESSAGES/messages.po"


@pytest.fixture(scope="module")
def german():
    with GERMAN.open("rb") as f:
        return read_po(f, locale="de")


@pytest.mark.parametrize("enum", LABELLED, ids=lambda e: e.__name__)
def test_every_member_has_a_german_label(app, german, enum):
    for member in enum:
        assert member.label is not None, member
        entry = german.get(str(member.label._args[0]))
        assert entry is not None and entry.string, f"{member}: no German text for {member.label._args[0]!r}"
        with app.test_request_context(), force_locale("de"):
            assert str(member.label) == entry.string


def test_label_helpers_show_the_label_and_an_unknown_code_as_it_is(app):
    with app.test_request_context(), force_locale("de"):
        assert str(template_helpers()["event_status_label"]("draft")) == "Entwurf"
        assert template_helpers()["event_status_label"]("archived") == "archived"
    assert list(KIND_LABELS) == [k.value for k in EventKind]


class Colour(RichEnum):
    RED = "red"
    GREEN = "green"


def test_the_check_constraint_allows_exactly_the_enums_values(db):
    table = Table("enum_probe", MetaData(), Column("id", Integer, primary_key=True),
                  Column("colour", String(8)), Colour.check_constraint("colour", name="ck_enum_probe_colour"))
    table.create(db.engine)
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(table), [{"colour": "red"}, {"colour": "green"}])
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(insert(table).values(colour="blue"))
    finally:
        table.drop(db.engine)


@pytest.mark.parametrize("model, column, bad", [
    (User, "role", "superuser"), (Organisation, "status", "archived"),
    (Organisation, "legal_form", "gmbh"),
])
def test_the_database_refuses_a_code_the_enum_does_not_have(db, make_user, make_org, model, column, bad):
    row = make_user() if model is User else make_org()
    with pytest.raises(IntegrityError):
        db.session.execute(update(model).where(model.id == row.id).values({column: bad}))
        db.session.flush()
    db.session.rollback()


def test_every_registration_status_is_stored_and_no_other(db, make_user, make_event):
    event = make_event(capacity=5)
    registration = register(db, make_user(), slot_of(event)).registration
    for status in RegistrationStatus:
        db.session.execute(update(Registration).where(Registration.id == registration.id)
                           .values(status=status.value))
        db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Registration).where(Registration.id == registration.id)
                           .values(status="pending"))
        db.session.flush()
    db.session.rollback()
