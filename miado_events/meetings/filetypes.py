"""The kinds of file that may be uploaded as meeting materials, recognised
by their bytes (never by the name or the type the browser claims).

One allow-list, in one place: PDF, PNG, JPEG and WebP by their magic
numbers; Word, Excel and PowerPoint (Office Open XML) and OpenDocument files,
which are ZIP archives, by their structure (the main part's content type in
``[Content_Types].xml``; the ``mimetype`` entry ODF puts first). Macro-enabled
Office files have other content types and are refused like anything else,
SVG and HTML included. Only the archive's directory and two small entries
are read, never the documents themselves (no zip bomb is unpacked).
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileKind:
    mimetype: str
    extension: str
    #: Every extension a name of this kind may already end with.
    extensions: tuple[str, ...]
    label: str


PDF = FileKind("application/pdf", "pdf", ("pdf",), "PDF")
PNG = FileKind("image/png", "png", ("png",), "PNG")
JPEG = FileKind("image/jpeg", "jpg", ("jpg", "jpeg"), "JPEG")
WEBP = FileKind("image/webp", "webp", ("webp",), "WebP")

_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = FileKind(_OOXML + "wordprocessingml.document", "docx", ("docx",), "Word")
XLSX = FileKind(_OOXML + "spreadsheetml.sheet", "xlsx", ("xlsx",), "Excel")
PPTX = FileKind(_OOXML + "presentationml.presentation", "pptx", ("pptx",), "PowerPoint")
#: The content type of each kind's main part, as [Content_Types].xml names it.
OOXML_MAIN = {
    DOCX: _OOXML + "wordprocessingml.document.main+xml",
    XLSX: _OOXML + "spreadsheetml.sheet.main+xml",
    PPTX: _OOXML + "presentationml.presentation.main+xml",
}

_ODF = "application/vnd.oasis.opendocument."
ODT = FileKind(_ODF + "text", "odt", ("odt",), "OpenDocument Text")
ODS = FileKind(_ODF + "spreadsheet", "ods", ("ods",), "OpenDocument Spreadsheet")
ODP = FileKind(_ODF + "presentation", "odp", ("odp",), "OpenDocument Presentation")
ODF_BY_MIMETYPE = {kind.mimetype: kind for kind in (ODT, ODS, ODP)}

ALLOWED = (PDF, PNG, JPEG, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP)
BY_MIMETYPE = {kind.mimetype: kind for kind in ALLOWED}

#: The most we read of an entry inside an archive.
_MAX_ENTRY = 512 * 1024


def sniff(path: Path) -> FileKind | None:
    """The kind of the file at ``path``, or None when it is none we accept."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    return None


def _sniff_zip(path: Path) -> FileKind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if entries and entries[0].filename == "mimetype" and "META-INF/manifest.xml" in names:
                declared = _read(archive, entries[0]).decode("ascii", "replace").strip()
                return ODF_BY_MIMETYPE.get(declared)
            if "[Content_Types].xml" in names and "_rels/.rels" in names:
                types = _read(archive, archive.getinfo("[Content_Types].xml"))
                for kind, main in OOXML_MAIN.items():
                    if main.encode() in types:
                        return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            RuntimeError, NotImplementedError):
        return None
    return None


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    """At most _MAX_ENTRY bytes of ``entry`` (a larger one is no valid file)."""
    with archive.open(entry) as fh:
        data = fh.read(_MAX_ENTRY + 1)
    if len(data) > _MAX_ENTRY:
        raise ValueError("entry too large")
    return data
