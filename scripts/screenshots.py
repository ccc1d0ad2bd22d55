"""Screenshots of the main pages from a running demo, for the README.

    make run                                    # the demo on http://127.0.0.1:5000
    .venv/bin/python scripts/screenshots.py     # writes docs/screenshots/*.png

Phone (390 px) and desktop (1280 px), German and Arabic, as a visitor, a
member and staff (the demo's log-ins). Needs the ``playwright`` package and a
Chromium (``/usr/bin/chromium`` or ``--chromium``); never downloads a browser.
``--pages`` and ``--widths`` pick a few for a quick look.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-passwort"
# (name, who, path): who is None for a visitor, else the demo account's local part
PAGES = [
    ("home", None, "/"),
    ("calendar", None, "/calendar"),
    ("event", None, "/events/1"),
    ("home-member", "member", "/"),
    ("dashboard", "staff", "/staff/"),
    ("menu", "staff", "/staff/"),  # on a phone: with the menu opened
]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}


def main() -> None:
    from datetime import date

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--languages", default="de,ar")
    parser.add_argument("--widths", default="phone,desktop", help="phone, desktop or pixels, e.g. 320")
    parser.add_argument("--pages", default="", help="names of PAGES to take (default: all)")
    parser.add_argument("--full-page", action="store_true", help="the whole page, not only the first screen")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    today = date.today()
    wanted = set(filter(None, args.pages.split(",")))
    pages = [p for p in PAGES if not wanted or p[0] in wanted]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        for lang in args.languages.split(","):
            for width_name in args.widths.split(","):
                width, height = WIDTHS.get(width_name) or (int(width_name), 700)
                contexts = {}
                for name, who, path in pages:
                    if name == "menu" and width >= 768:
                        continue  # on wide screens the navigation is always open
                    if who not in contexts:
                        context = browser.new_context(viewport={"width": width, "height": height},
                                                      locale="de-DE")
                        context.add_cookies([{"name": "lang", "value": lang, "url": args.base_url}])
                        page = context.new_page()
                        if who:
                            page.goto(f"{args.base_url}/login")
                            page.fill('main input[name="email"]', f"{who}@demo.example.org")
                            page.fill('main input[name="password"]', PASSWORD)
                            page.click("main form.form button[type=submit]")
                            # Their saved language wins over the cookie: switch it.
                            page.goto(f"{args.base_url}/")
                            current = page.evaluate("document.documentElement.lang")
                            if current != lang:
                                page.click(".lang-menu summary")
                                page.click(f'.language-switcher button[value="{lang}"]')
                        contexts[who] = (context, page)
                    context, page = contexts[who]
                    page.goto(args.base_url + path.format(year=today.year, month=today.month))
                    if name.startswith("menu") and page.locator(".site-menu > summary").is_visible():
                        page.click(".site-menu > summary")
                    target = out / f"{name}-{width_name}-{lang}.png"
                    page.screenshot(path=str(target), full_page=args.full_page)
                    print(target)
                for context, _page in contexts.values():
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()
