"""The message catalogues stay complete and the templates hold no text that
bypasses them.

Checks, each against the real files of the repository:

a. no catalogue entry is untranslated (empty msgstr, or an empty plural form)
   or marked fuzzy;
b. messages.pot and every catalogue hold exactly the msgids in the sources
   (re-extracted with pybabel into a temporary file);
c. a translation keeps the %(name)s placeholders of its msgid;
d. templates show no user-facing text outside ``_()`` / ``{% trans %}``;
e. the app renders German by default and English on ``Accept-Language: en``.

The small ``*_detects_*`` tests feed each checker a broken sample, so a
checker that silently stopped finding anything would show up here too.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from miado_events.config import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "miado_events" / "translations"
POT = TRANSLATIONS / "messages.pot"
TEMPLATES = ROOT / "templates"
MAKEFILE = ROOT / "Makefile"
POT_ARG = "miado_events/translations/messages.pot"

# The arguments of `pybabel extract` in the Makefile target `extract-messages`
# (test_makefile_pybabel_commands keeps the two identical). "--ignore-dirs"
# matters: without it Babel skips every directory whose name starts with "_"
# or ".", so templates/_macros/ would never be extracted.
EXTRACT_ARGS = [
    "-F", "miado_events/babel.cfg",
    "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2",
    "--ignore-dirs", ".* __pycache__",
    "--no-location", "--sort-output",
    "--project", "MIA-DO Events",
    "-o", POT_ARG,
    ".",
]
PYBABEL_GLOBAL_OPTIONS = {"-q", "--quiet", "-v", "--verbose"}

HINT_EXTRACT = (
    "Run `make extract-messages`, translate the new entries in every "
    "miado_events/translations/<lang>/LC_MESSAGES/messages.po (English: msgstr = msgid) "
    "and run `make translations`."
)


def catalogue_paths() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def read_catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f)  # the locale comes from the "Language:" header


def describe(key) -> str:
    context, msgid = key
    text = " / ".join(msgid) if isinstance(msgid, tuple) else msgid
    return repr(text) + (f" (context {context!r})" if context else "")


def msgid_keys(catalog) -> set:
    """(context, msgid) of every live entry; the header and #~ obsolete entries excluded."""
    return {(m.context, m.id) for m in catalog if m.id}


# --- a. untranslated and fuzzy entries -------------------------------------

def catalogue_problems(catalog) -> list[str]:
    problems = []
    if catalog.fuzzy:
        problems.append("the header is marked fuzzy")
    for message in catalog:
        if not message.id:
            continue
        where = f"line {message.lineno}: {describe((message.context, message.id))}"
        if message.fuzzy:
            problems.append(f"{where} is marked fuzzy")
        if message.pluralizable:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != catalog.num_plurals:
                problems.append(f"{where} has {len(forms)} plural forms, the language needs "
                                f"{catalog.num_plurals}")
            if any(not form for form in forms):
                problems.append(f"{where} has an empty plural form")
        elif not message.string:
            problems.append(f"{where} has no translation")
    return problems


def test_every_language_has_a_catalogue():
    found = {path.parent.parent.name for path in catalogue_paths()}
    assert found, f"no catalogues under {TRANSLATIONS}"
    missing = set(LANGUAGES) - found
    assert not missing, (
        f"no messages.po for {sorted(missing)}: run `pybabel init -i {POT_ARG} "
        f"-d miado_events/translations -l <lang>` and translate it")


@pytest.mark.parametrize("path", catalogue_paths(), ids=lambda p: p.parent.parent.name)
def test_catalogue_is_complete_and_not_fuzzy(path):
    problems = catalogue_problems(read_catalogue(path))
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


# --- b. catalogues in step with the sources --------------------------------

def run_extract(output: Path, *, quiet: bool = True) -> subprocess.CompletedProcess:
    args = [str(output) if arg == POT_ARG else arg for arg in EXTRACT_ARGS]
    command = [sys.executable, "-m", "babel.messages.frontend"]
    command += (["-q"] if quiet else []) + ["extract"] + args
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction of the sources: (msgid keys, files pybabel scanned)."""
    output = tmp_path_factory.mktemp("extract") / "messages.pot"
    result = run_extract(output, quiet=False)
    scanned = set(re.findall(r"^extracting messages from (\S+)", result.stderr, re.M))
    with output.open("rb") as f:
        return msgid_keys(read_po(f)), scanned


def difference_report(name: str, wanted: set, have: set) -> list[str]:
    report = []
    missing = sorted(wanted - have, key=str)
    stale = sorted(have - wanted, key=str)
    if missing:
        report.append(f"{name} lacks {len(missing)} msgid(s) used in the sources:\n    "
                      + "\n    ".join(describe(key) for key in missing))
    if stale:
        report.append(f"{name} holds {len(stale)} msgid(s) no longer in the sources:\n    "
                      + "\n    ".join(describe(key) for key in stale))
    return report


def test_extraction_scans_every_template(extracted):
    _, scanned = extracted
    templates = {path.relative_to(ROOT).as_posix() for path in TEMPLATES.rglob("*")
                 if path.suffix in {".html", ".txt"}}
    assert templates, f"no templates under {TEMPLATES}"
    skipped = sorted(templates - scanned)
    assert not skipped, (
        f"pybabel extract does not read {skipped}; check miado_events/babel.cfg "
        "and --ignore-dirs")


def test_pot_matches_sources(extracted):
    keys, _ = extracted
    with POT.open("rb") as f:
        pot_keys = msgid_keys(read_po(f))
    report = difference_report("miado_events/translations/messages.pot", keys, pot_keys)
    assert not report, "\n".join(report) + "\n" + HINT_EXTRACT


@pytest.mark.parametrize("path", catalogue_paths(), ids=lambda p: p.parent.parent.name)
def test_catalogue_matches_sources(extracted, path):
    keys, _ = extracted
    report = difference_report(str(path.relative_to(ROOT)), keys,
                               msgid_keys(read_catalogue(path)))
    assert not report, "\n".join(report) + "\n" + HINT_EXTRACT


def makefile_pybabel_commands() -> list[list[str]]:
    text = MAKEFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(line.strip().replace("$(PYBABEL)", "pybabel", 1))
            for line in text.splitlines() if line.strip().startswith("$(PYBABEL)")]


def test_makefile_pybabel_commands():
    """`make extract-messages` extracts exactly like this module, and every pybabel
    call puts -q/-v before the subcommand (they are global options; after it
    pybabel stops with "no such option: -q")."""
    commands = makefile_pybabel_commands()
    assert commands, "no $(PYBABEL) commands in the Makefile"
    problems = []
    extract_calls = 0
    for tokens in commands:
        rest = tokens[1:]
        position = next((i for i, t in enumerate(rest) if not t.startswith("-")), len(rest))
        before, subcommand, after = rest[:position], rest[position:position + 1], rest[position + 1:]
        shown = shlex.join(tokens)
        if set(before) - PYBABEL_GLOBAL_OPTIONS:
            problems.append(f"unknown global options in: {shown}")
        misplaced = PYBABEL_GLOBAL_OPTIONS.intersection(after)
        if misplaced:
            problems.append(f"{sorted(misplaced)} is a global pybabel option and must come "
                            f"before {subcommand[0]!r} (pybabel -q {subcommand[0]} ...) in: {shown}")
        if subcommand == ["extract"]:
            extract_calls += 1
            if [t for t in after if t not in PYBABEL_GLOBAL_OPTIONS] != EXTRACT_ARGS:
                problems.append(f"extract arguments differ from this test's EXTRACT_ARGS "
                                f"{shlex.join(EXTRACT_ARGS)} in: {shown}")
    assert extract_calls == 1, "the Makefile should run `pybabel extract` once"
    assert not problems, "\n".join(problems)


# --- c. placeholders -------------------------------------------------------

PLACEHOLDER = re.compile(
    r"%%|%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> tuple[set[str], int]:
    """The placeholders in ``text`` and the count of stray % signs
    (a stray % breaks Python %-formatting at run time)."""
    found = {m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%"}
    stray = PLACEHOLDER.sub("", text).count("%")
    return found, stray


def placeholder_problems(catalog) -> list[str]:
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set().union(*(placeholders(i)[0] for i in ids))
        got = [placeholders(s) for s in strings if s]
        where = f"line {message.lineno}: {describe((message.context, message.id))}"
        used = set().union(*(found for found, _ in got))
        if message.pluralizable:
            # A singular form may leave out the number, so only the union counts.
            bad = used != wanted or any(not found <= wanted for found, _ in got)
        else:
            bad = used != wanted
        if bad:
            problems.append(f"{where}: placeholders {sorted(wanted)} in the msgid, "
                            f"{sorted(used)} in the translation")
        if any(stray for _, stray in got) and not any(placeholders(i)[1] for i in ids):
            problems.append(f"{where}: a single % in the translation (write %% for a percent sign)")
    return problems


@pytest.mark.parametrize("path", catalogue_paths(), ids=lambda p: p.parent.parent.name)
def test_translations_keep_placeholders(path):
    catalog = read_catalogue(path)
    problems = placeholder_problems(catalog)
    problems += [f"line {m.lineno}: {describe((m.context, m.id))}: {e}"
                 for m, errors in catalog.check() for e in errors]
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


# --- d. unwrapped text in templates ----------------------------------------

LETTERS = re.compile(r"[^\W\d_]{2,}")
MARK = "\x00"  # stands in for a Jinja construct, so line numbers stay right
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description",
                      "aria-roledescription", "aria-valuetext"}
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}

# Text that may stand in a template unwrapped: (template, exact text) -> why.
ALLOWED_TEXT = {
    # Postal code and town of the office's address: a proper name, written the
    # same in every language, so there is nothing to translate.
    ("pages/imprint.html", "44122 Dortmund"): "address",
}

_JINJA = jinja2.Environment()


def strip_jinja(source: str) -> str:
    """``source`` with comments, statements, expressions and {% trans %} blocks
    replaced by MARK; every remaining character keeps its line."""
    out: list[str] = []
    line = 1
    in_trans = False
    after_block_begin = False
    previous = None
    for lineno, kind, value in _JINJA.lex(source):
        if kind == "block_begin":
            after_block_begin = True
        elif kind == "name" and after_block_begin:
            after_block_begin = False
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind != "data" or in_trans:
            if previous != "jinja":
                out.append(f" {MARK} ")
                previous = "jinja"
            continue
        if lineno > line:
            out.append("\n" * (lineno - line))
            line = lineno
        out.append(value)
        line += value.count("\n")
        previous = "data"
    return "".join(out)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip = tag
        self._check_attributes(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check_attributes(tag, attrs)

    def handle_endtag(self, tag):
        if tag == self._skip:
            self._skip = None

    def handle_data(self, data):
        if self._skip:
            return
        first = self.getpos()[0]
        for offset, part in enumerate(data.split("\n")):
            if LETTERS.search(part.replace(MARK, " ")):
                self.found.append((first + offset, part.strip(" \t" + MARK)))

    def _check_attributes(self, tag, attrs):
        attributes = dict(attrs)
        visible = set(VISIBLE_ATTRIBUTES)
        if tag == "input" and (attributes.get("type") or "").lower() in BUTTON_INPUT_TYPES:
            visible.add("value")
        for name, value in attrs:
            if name in visible and value and LETTERS.search(value.replace(MARK, " ")):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))


def unwrapped_text(source: str, *, html: bool) -> list[tuple[int, str]]:
    """(line, text) of every piece of visible text outside Jinja."""
    text = strip_jinja(source)
    if html:
        parser = _VisibleText()
        parser.feed(text)
        parser.close()
        found = parser.found
    else:
        found = [(number, part.strip(" \t" + MARK))
                 for number, part in enumerate(text.split("\n"), 1)
                 if LETTERS.search(part.replace(MARK, " "))]
    return [(number, " ".join(part.replace(MARK, "{{…}}").split())) for number, part in found]


def template_violations(templates: Path) -> list[str]:
    violations = []
    for path in sorted(templates.rglob("*")):
        if path.suffix not in {".html", ".txt"} or not path.is_file():
            continue
        name = path.relative_to(templates).as_posix()
        source = path.read_text(encoding="utf-8")
        for number, text in unwrapped_text(source, html=path.suffix == ".html"):
            if (name, text) not in ALLOWED_TEXT:
                violations.append(f"templates/{name}:{number}: {text}")
    return violations


def test_templates_wrap_all_visible_text():
    violations = template_violations(TEMPLATES)
    assert not violations, (
        "text in templates not wrapped in {{ _(\"...\") }}:\n  " + "\n  ".join(violations))


def test_allow_list_entries_still_exist():
    """An allow-list entry nobody needs any more should go."""
    for name, text in ALLOWED_TEXT:
        path = TEMPLATES / name
        found = path.is_file() and any(
            t == text for _, t in unwrapped_text(path.read_text(encoding="utf-8"),
                                                 html=path.suffix == ".html"))
        assert found, f"ALLOWED_TEXT entry {(name, text)!r} no longer matches; remove it"


# --- e. the app speaks German first, English on request --------------------

@pytest.fixture
def plain_app(tmp_path):
    from miado_events import create_app
    from miado_events.extensions import db

    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite3",
        "MAIL_BACKEND": "memory",
    })
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_compiled_catalogue_is_current(lang):
    """The app reads the .mo files (gitignored, built by `make translations`)."""
    po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    hint = f"{mo.relative_to(ROOT)} is missing or stale: run `make translations`"
    assert mo.is_file(), hint
    # read_mo gives plural entries as lists, read_po as tuples: compare as tuples.
    def plain(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with mo.open("rb") as f:
        compiled = {(m.context, plain(m.id)): plain(m.string) for m in read_mo(f) if m.id}
    source = {(m.context, plain(m.id)): plain(m.string) for m in read_catalogue(po)
              if m.id and m.string and not m.fuzzy}
    assert compiled == source, hint


@pytest.mark.parametrize(("accept_language", "lang", "text", "not_text"), [
    (None, "de", "Zum Inhalt springen", "Skip to content"),
    ("fr-FR,fr;q=0.9", "de", "Zum Inhalt springen", "Skip to content"),
    ("en", "en", "Skip to content", "Zum Inhalt springen"),
    ("en-GB,en;q=0.9,de;q=0.5", "en", "Skip to content", "Zum Inhalt springen"),
])
def test_home_page_language(plain_app, accept_language, lang, text, not_text):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = plain_app.test_client().get("/", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in html
    assert text in html
    assert not_text not in html


# --- the checkers find what they should ------------------------------------

SAMPLE_PO = '''msgid ""
msgstr ""
"Language: de\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Done"
msgstr "Fertig"

msgid "Empty"
msgstr ""

#, fuzzy
msgid "Fuzzy"
msgstr "Unscharf"

#, python-format
msgid "Hello %(name)s"
msgstr "Hallo %(nmae)s"

msgid "50 percent"
msgstr "50 %"

#, python-format
msgid "%(n)d seat"
msgid_plural "%(n)d seats"
msgstr[0] "ein Platz"
msgstr[1] "%(n)d Plätze"

#, python-format
msgid "%(n)d place"
msgid_plural "%(n)d places"
msgstr[0] "%(n)d Ort"
msgstr[1] ""
'''


def test_catalogue_checks_detect_problems(tmp_path):
    path = tmp_path / "messages.po"
    path.write_text(SAMPLE_PO, encoding="utf-8")
    catalog = read_catalogue(path)
    problems = "\n".join(catalogue_problems(catalog))
    assert "'Empty' has no translation" in problems
    assert "'Fuzzy' is marked fuzzy" in problems
    assert "'%(n)d place / %(n)d places' has an empty plural form" in problems
    assert "Done" not in problems and "seat" not in problems
    placeholder_report = "\n".join(placeholder_problems(catalog))
    assert "%(nmae)s" in placeholder_report
    assert "single %" in placeholder_report
    assert "seat" not in placeholder_report  # a singular form may omit %(n)d


def test_difference_report_names_missing_msgids():
    report = "\n".join(difference_report("de", {(None, "New text"), (None, "Kept")},
                                         {(None, "Kept"), (None, "Old text")}))
    assert "lacks 1 msgid(s)" in report and "'New text'" in report
    assert "no longer in the sources" in report and "'Old text'" in report


def test_template_check_detects_unwrapped_text():
    source = (
        '{# a comment with words #}\n'
        '<p>{{ _("Wrapped") }}</p>\n'
        '<p>Bare text</p>\n'
        '<img src="x.png" alt="A logo">\n'
        '<input type="search" placeholder="{{ _(\'Search\') }}">\n'
        '<button aria-label="Close {{ name }}">×</button>\n'
        '<script>let words = "not shown";</script>\n'
        '{% if x %}\n'
        '  Shown when x\n'
        '{%- endif %}\n'
        '<style>.a { color: red }</style>\n'
        '{% trans %}Hello{% endtrans %}\n'
    )
    found = unwrapped_text(source, html=True)
    assert found == [
        (3, "Bare text"),
        (4, 'alt="A logo"'),
        (6, 'aria-label="Close {{…}}"'),
        (9, "Shown when x"),
    ]
    assert unwrapped_text('{{ _("Hi") }}\n\n-- \nRegards\n{{ url }}', html=False) == [
        (4, "Regards")]
