"""Minutes are Markdown shown as sanitised HTML: nothing written in them runs
or loads anything in a reader's browser."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from miado_events.meetings.minutes import render_markdown


def elements(html: str) -> list[tuple[str, dict]]:
    """The tags of ``html`` with their attributes, as a browser parses them."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(str(html))
    return found


def test_markdown_becomes_html():
    html = render_markdown("# Masterplan Integration\n\n- **Fördermittel**: *neu*\n- [Antrag](https://example.org/a)")
    assert isinstance(html, Markup)
    assert "<h4>Masterplan Integration</h4>" in html  # under the page h1, a section h2 and its h3
    assert "<strong>Fördermittel</strong>" in html and "<em>neu</em>" in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer">Antrag</a>' in html


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    "Text <script src=https://evil.example/x.js></script> mehr",
    "<SCRIPT>alert(1)</SCRIPT>",
    "```\n</code><script>alert(1)</script>\n```",
])
def test_script_tags_never_reach_the_page(text):
    html = render_markdown(text)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("text", [
    "[Klick](javascript:alert(1))",
    "[Klick](JaVaScRiPt:alert(1))",
    "[Klick](  javascript:alert(1))",
    "[Klick](java&#115;cript:alert(1))",
    "[Klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[Klick](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">Klick</a>',
])
def test_javascript_and_data_links_are_not_links(text):
    html = render_markdown(text)
    assert [tag for tag, _ in elements(html)] == ["p"]  # text, no link
    assert "Klick" in html or "javascript" in html


@pytest.mark.parametrize("text", [
    '<img src=x onerror="alert(1)">',
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    '<div onmouseover="alert(1)">x</div>',
    '[x](https://example.org "t\\" onmouseover=\\"alert(1)")',
    '[x](https://example.org?"onmouseover="alert(1))',
])
def test_on_handlers_are_removed(text):
    for tag, attributes in elements(render_markdown(text)):
        assert tag in ("p", "a")
        assert not [name for name in attributes if name.startswith("on")]


def test_raw_html_shows_as_text():
    html = render_markdown('<iframe src="https://evil.example"></iframe> <b>fett</b>')
    assert "<iframe" not in html and "<b>" not in html
    assert "&lt;b&gt;fett&lt;/b&gt;" in html


def test_images_show_their_description_and_load_nothing():
    html = render_markdown("![Foto vom Treffen](https://tracker.example/pixel.png)")
    assert "<img" not in html and "tracker.example" not in html
    assert "Foto vom Treffen" in html


def test_tables_and_mail_links_stay():
    html = render_markdown("| Thema | Wer |\n|---|---|\n| Projekte | MSO |\n\n[Büro](mailto:mia-do@example.org)")
    assert "<table>" in html and "<td>Projekte</td>" in html
    assert 'href="mailto:mia-do@example.org"' in html


def test_empty_minutes_render_as_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""
