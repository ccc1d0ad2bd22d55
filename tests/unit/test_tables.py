"""Spreadsheet downloads: the CSV German Excel opens with a double click
(semicolons, BOM, decimal comma), the plain variant for tools, formulas
always defused, the content type said once."""
from __future__ import annotations

import csv
import io

from miado_events import tables


def test_the_default_csv_is_the_one_german_excel_reads():
    text = tables.csv_text(["Name", "Quote"], [["Müller; Söhne", 0.75], ["عربي", 3]], tools=False)
    assert text.startswith("\ufeff")
    assert text.splitlines()[0] == "\ufeffName;Quote"
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [["Name", "Quote"], ["Müller; Söhne", "0,7500"], ["عربي", "3"]]


def test_the_variant_for_tools_has_commas_decimal_points_and_no_bom():
    text = tables.csv_text(["Name", "Quote"], [["Müller, Söhne", 0.75]], tools=True)
    assert not text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text))) == [["Name", "Quote"], ["Müller, Söhne", "0.7500"]]


def test_formulas_become_text_in_both_variants():
    for tools in (True, False):
        text = tables.csv_text(["=SUM(A1)"], [["+49 231 1234"], ["  @cmd"], ["-1"], [-1]], tools=tools)
        assert "'=SUM(A1)" in text and "'+49 231 1234" in text and "'  @cmd" in text and "'-1" in text
        assert text.rstrip().endswith("-1")  # a number stays a number


def test_the_request_chooses_the_variant(app):
    with app.test_request_context("/orgs/list.csv?sep=comma"):
        assert tables.csv_text(["a", "b"], [[1, 2]]) == "a,b\r\n1,2\r\n"
    with app.test_request_context("/orgs/list.csv"):
        assert tables.csv_text(["a", "b"], [[1, 2]]) == "\ufeffa;b\r\n1;2\r\n"


def test_a_download_says_its_type_once(app, client):
    response = client.get("/orgs/list.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data(as_text=True).startswith("\ufeff")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="msos-dortmund-')
    tools = client.get("/orgs/list.csv?sep=comma")
    assert tools.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert not tools.get_data(as_text=True).startswith("\ufeff")
