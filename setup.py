"""Build hook: a built package (wheel, `pip install .`) is a complete app.

pyproject.toml holds the metadata; this file only adds to setuptools' build_py:

- the translation catalogues are compiled (.po -> .mo, with Babel) into the
  package, so the .mo files need not be committed;
- templates/ and static/, which sit beside the package in the source tree, are
  copied into it (miado_events/templates, miado_events/static), where the app
  factory looks for them when the package is installed.

An editable install (`pip install -e .`, as `make install` does) keeps using the
source tree: `make translations` compiles the catalogues in place there.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGE = "miado_events"
TOP_LEVEL_DIRS = ("templates", "static")


def compile_catalogues(translations: Path) -> list[Path]:
    """Write messages.mo beside every messages.po (fuzzy entries included, as `make translations`)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(translations.glob("*/LC_MESSAGES/*.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=True)
        written.append(mo_path)
    if not written:
        raise SystemExit(f"no catalogues found under {translations}")
    return written


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / PACKAGE
        self._outputs_added = [str(p) for p in compile_catalogues(target / "translations")]
        for name in TOP_LEVEL_DIRS:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"{source} is missing: build from a complete source tree")
            destination = target / name
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))
            self._outputs_added += [str(p) for p in destination.rglob("*") if p.is_file()]

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return super().get_outputs(include_bytecode) + getattr(self, "_outputs_added", [])


setup(cmdclass={"build_py": BuildPyWithAssets})
