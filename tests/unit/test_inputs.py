"""The edge (miado_events/inputs.py): one parser for ids, clean text, bounded
JSON, bounded bodies."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField

from miado_events import config, inputs
from miado_events.inputs import (
    MAX_ID,
    InvalidInput,
    coerce_id,
    parse_id,
    parse_id_pair,
    parse_ids,
    parse_int,
)
from miado_events.models.orgs import Organisation


@pytest.mark.parametrize("value,expected", [
    (1, 1), ("1", 1), ("42", 42), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID), ("0042", 42),
    (0, None), ("0", None), (-1, None), ("-1", None), (MAX_ID + 1, None), (str(MAX_ID + 1), None),
    ("99999999999999999999", None), (10**30, None), ("abc", None), ("", None), (None, None),
    (" 1", None), ("1 ", None), ("+1", None), ("1.0", None), (1.0, None), ("١٢", None), ("²", None),
    (True, None), (False, None), ("1\x00", None), (b"1", None), ([1], None),
])
def test_parse_id_accepts_only_ids_the_columns_can_hold(value, expected):
    assert parse_id(value) == expected


def test_coerce_id_makes_a_bad_choice_a_validation_error_not_an_overflow():
    class Choose(Form):
        organisation_id = SelectField(validate_choice=False, coerce=coerce_id)

    for bad in ["99999999999999999999", "-1", "0", "abc", "1:2"]:
        form = Choose(MultiDict({"organisation_id": bad}))
        assert not form.validate(), bad
        assert form.organisation_id.errors, bad
    form = Choose(MultiDict({"organisation_id": "7"}))
    assert form.validate() and form.organisation_id.data == 7
    form = Choose(MultiDict({"organisation_id": ""}))
    assert form.validate() and form.organisation_id.data is None


def test_coerce_id_keeps_the_chosen_option_selected_when_rendered():
    class Choose(Form):
        organisation_id = SelectField(coerce=coerce_id, choices=[("", "—"), ("3", "A"), ("4", "B")])

    form = Choose(MultiDict({"organisation_id": "4"}))
    assert form.validate()
    assert '<option selected value="4">' in form.organisation_id()


def test_pairs_lists_and_numbers():
    assert parse_id_pair("3:12") == (3, 12)
    for bad in ["3:", ":12", "3:12:1", "3-12", "1:99999999999999999999", "0:1", None, 3]:
        assert parse_id_pair(bad) is None, bad
    assert parse_ids(["3", "x", "3", "99999999999999999999", 4]) == [3, 4]
    assert parse_int("0") == 0 and parse_int("-2", minimum=-5) == -2 and parse_int("17") == 17
    for bad in ["-1", "abc", "99999999999999999999", "", None, True]:
        assert parse_int(bad) is None, bad


def test_get_by_id_never_asks_the_database_for_an_impossible_id(app, db):
    org = Organisation(name="Verein", legal_form="ev", status="listed")
    db.session.add(org)
    db.session.commit()
    assert inputs.get_by_id(Organisation, str(org.id)) is org
    for bad in ["99999999999999999999", -1, 0, "abc", None, True]:
        assert inputs.get_by_id(Organisation, bad) is None


@pytest.mark.parametrize("text,clean", [
    ("Grüße aus Dortmund", True), ("tab\tand\r\nlines", True), ("العربية", True), ("a\x00b", False),
    ("\x01", False), ("\x1b[31m", False), ("\x0b", False), ("\ud800", False),
])
def test_clean_text_refuses_control_characters_and_lone_surrogates(text, clean):
    assert inputs.is_clean_text(text) is clean


@pytest.mark.parametrize("raw,ok", [
    (b"q=Gr%C3%BC%C3%9Fe&region=Westafrika", True), (b"q=a+b", True), (b"", True),
    (b"q=%00", False), (b"q=a%1Fb", False), (b"q=%FF", False), (b"q=\xff", False), (b"%C3=1", False),
])
def test_urlencoded_text_must_be_utf8_without_control_characters(raw, ok):
    if ok:
        inputs.check_urlencoded(raw)
    else:
        with pytest.raises(InvalidInput):
            inputs.check_urlencoded(raw)


def test_json_depth_is_counted_without_parsing():
    assert inputs.json_depth(b'{"items": [{"ref": "[[[[{{{{", "at": "x"}]}') == 3
    assert inputs.json_depth(b'"\\"[[["') == 0
    assert inputs.json_depth(b"[" * 100_000) == inputs.MAX_JSON_DEPTH + 1  # stops counting early
    with pytest.raises(InvalidInput):
        inputs.check_json_body(b"[" * 5000 + b"]" * 5000, max_bytes=None)
    inputs.check_json_body(b'{"items": [{"ref": "a"}]}', max_bytes=None)


def test_request_size_limits_come_from_the_environment(monkeypatch, tmp_path):
    defaults = config.from_environment(str(tmp_path))
    assert defaults["MAX_CONTENT_LENGTH"] == 25 * 1024 * 1024
    assert defaults["MAX_FORM_MEMORY_SIZE"] == 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "1000")
    monkeypatch.setenv("MAX_FORM_MEMORY_SIZE", "500")
    monkeypatch.setenv("MAX_FORM_PARTS", "20")
    settings = config.from_environment(str(tmp_path))
    assert (settings["MAX_CONTENT_LENGTH"], settings["MAX_FORM_MEMORY_SIZE"], settings["MAX_FORM_PARTS"]) == (
        1000, 500, 20)
