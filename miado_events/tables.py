"""Spreadsheet downloads, written one way for every export.

CSV comes in two flavours. The default is the one the office opens with a
double click: German Excel reads a semicolon as the column separator and
needs a UTF-8 byte order mark to read umlauts and Arabic. ``?sep=comma``
gives the plain RFC 4180 variant (commas, no BOM) for scripts and other
tools. Every cell that a spreadsheet would run as a formula is made text.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

from flask import Response, has_request_context, request

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a cell that starts
    with = + - @ tab or CR, also after leading spaces, gets a leading
    apostrophe so that Excel and LibreOffice show it as text."""
    if value.startswith(_FORMULA_STARTS) or value.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value, decimal: str):
    if isinstance(value, str):
        return csv_safe(value)
    if isinstance(value, float):
        return f"{value:.4f}".replace(".", decimal)
    return value


def for_tools() -> bool:
    """The request asks for the comma-separated variant (``?sep=comma``)."""
    return has_request_context() and request.args.get("sep") == "comma"


def csv_text(header: Iterable, rows: Iterable[Iterable], *, tools: bool | None = None) -> str:
    """The CSV text of ``header`` and ``rows`` (CRLF line ends): semicolons
    and a BOM for Excel, or commas without BOM for tools (by default as the
    current request asks). Numbers with a fraction get four decimals, with a
    decimal comma for Excel. Encode the text as UTF-8."""
    tools = for_tools() if tools is None else tools
    decimal = "." if tools else ","
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="," if tools else ";")
    writer.writerow([_cell(h, decimal) for h in header])
    for row in rows:
        writer.writerow([_cell(v, decimal) for v in row])
    return buffer.getvalue() if tools else "\ufeff" + buffer.getvalue()


def download(data, content_type: str, filename: str, *, cache: str = "private, no-store") -> Response:
    """A file to save: its type said once, its name, how long it may be kept."""
    response = Response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response
