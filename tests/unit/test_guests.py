"""People without an account (guests): finding or creating them, phone
numbers, and mail that skips a person without an address."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from miado_events.accounts import people
from miado_events.errors import DomainError
from miado_events.mail import send_message
from miado_events.models.accounts import User
from miado_events.models.mail import OutboxMessage

from .events_support import NOW


def count_people(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


# --- validate_phone ------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [
    ("+49 231 50-0", "+49 231 50-0"),
    ("  (0231) 123/456 ", "(0231) 123/456"),
    ("", None),
    (None, None),
    ("   ", None),
])
def test_phone_numbers_with_digits_and_separators_are_kept(value, stored):
    assert people.validate_phone(value) == stored


@pytest.mark.parametrize("value", ["0231 abc", "call me", "+49;231", "1" * 41, "+-/()"])
def test_anything_else_is_not_a_phone_number(value):
    with pytest.raises(DomainError) as excinfo:
        people.validate_phone(value)
    assert excinfo.value.code == "phone_invalid"


# --- find_or_create_person --------------------------------------------------------

def test_a_new_address_makes_a_person_without_an_account(db):
    person = people.find_or_create_person(name="  Ayşe   Yılmaz ", email=" Ayse@Example.ORG ",
                                          phone="0231 1234", locale="tr", now=NOW)
    db.session.commit()
    assert person.email == "ayse@example.org"
    assert person.name == "Ayşe Yılmaz"
    assert person.phone == "0231 1234"
    assert person.locale == "tr"
    assert not person.has_account
    assert not person.is_verified
    assert person.role == "member"


def test_an_existing_account_is_returned_unchanged(db, make_user):
    member = make_user(email="member@example.org", name="Real Name")
    person = people.find_or_create_person(name="Somebody Else", email="MEMBER@example.org",
                                          phone="0231 999", locale="ar", now=NOW)
    assert person.id == member.id
    assert (person.name, person.phone, person.locale) == ("Real Name", None, "en")
    assert person.has_account


def test_an_earlier_guest_with_the_address_is_returned_not_renamed(db):
    first = people.find_or_create_person(name="First", email="guest@example.org", locale="de", now=NOW)
    again = people.find_or_create_person(name="Second", email="guest@example.org", locale="en", now=NOW)
    assert again.id == first.id
    assert again.name == "First"
    assert count_people(db) == 1


def test_without_an_address_every_person_is_new(db):
    one = people.find_or_create_person(name="Ali", email=None, phone="0231 1", locale="de", now=NOW)
    two = people.find_or_create_person(name="Ali", email="  ", locale="de", now=NOW)
    db.session.commit()
    assert one.id != two.id
    assert one.email is None and two.email is None
    assert count_people(db) == 2


def test_an_unknown_language_falls_back_to_german(db):
    person = people.find_or_create_person(name="X", email=None, locale="xx", now=NOW)
    assert person.locale == "de"


@pytest.mark.parametrize("fields, code", [
    ({"name": "   "}, "name_required"),
    ({"name": "x" * 121}, "name_too_long"),
    ({"email": "not-an-address"}, "email_invalid"),
    ({"email": "a b@example.org"}, "email_invalid"),
    ({"phone": "phone?"}, "phone_invalid"),
])
def test_bad_input_is_refused_and_creates_nobody(db, fields, code):
    data = {"name": "Ada", "email": "ada@example.org", "phone": None, **fields}
    with pytest.raises(DomainError) as excinfo:
        people.find_or_create_person(locale="de", now=NOW, **data)
    assert excinfo.value.code == code
    assert count_people(db) == 0


def test_a_person_without_an_address_never_matches_a_log_in(db, client):
    people.find_or_create_person(name="No Mail", email=None, locale="de", now=NOW)
    db.session.commit()
    response = client.post("/login", data={"email": "", "password": "whatever-password"})
    assert response.status_code != 302


# --- mail to a person without an address --------------------------------------------

def test_mail_to_nobody_is_skipped_cleanly(db, outbox):
    result = send_message(None, "account_exists", "en", user=SimpleNamespace(name="Ada"),
                          login_url="http://localhost/login", reset_url="http://localhost/forgot")
    db.session.commit()
    assert result is None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert outbox == []
