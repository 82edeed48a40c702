"""The English catalogue: extracting it, compiling it, and checking that it is complete.

Japanese is the source language: the msgids in code and templates are the Japanese texts,
so there is no Japanese catalogue. ``locale/en/LC_MESSAGES/django.po`` holds the English
texts and ``django.mo`` (committed, so serving needs nothing extra) is compiled from it.

``make messages`` (``manage.py update_translations``) re-extracts the msgids from the
project's own apps and templates and compiles the catalogue; a new text arrives with an
empty msgstr to fill in. ``tests/cms/test_translations.py`` fails while any msgid has no
English text or the ``.mo`` is not what the ``.po`` compiles to.
"""

import os
import shutil
import subprocess  # noqa: S404 - fixed gettext commands, no shell
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.test import override_settings

# Catalogues we keep (Japanese is the source, so it needs none).
LANGUAGES = ["en"]
DOMAIN = "django"
# Not ours, or not shipped: virtualenvs, node packages, data, benchmarks, tests, docs.
IGNORE = [
    ".*",
    "node_modules",
    "var",
    "bench",
    "tests",
    "docs",
    "scripts",
    "locale",
    "media",
    "static_collected",
]
MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"
MSGATTRIB = shutil.which("msgattrib") or "/usr/bin/msgattrib"


class _MakeMessages(makemessages.Command):
    # A new msgid arrives empty instead of pre-filled with a near match marked fuzzy
    # (fuzzy entries are not compiled, and a near match is usually wrong for Japanese).
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]


def po_path(language, root=None):
    return Path(root or settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(root=None, languages=LANGUAGES):
    """Run makemessages over the project at ``root``, writing ``root/locale/<lang>/``."""
    root = Path(root or settings.BASE_DIR)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with override_settings(LOCALE_PATHS=[root / "locale"]):
            call_command(
                _MakeMessages(),
                locale=list(languages),
                domain=DOMAIN,
                ignore_patterns=IGNORE,
                add_location="file",
                no_obsolete=True,
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    for language in languages:
        _drop_creation_date(po_path(language, root))


def _drop_creation_date(po):
    # The extraction time changes on every run; without it, the catalogue (and its .mo)
    # changes only when a text does, and branches do not conflict over one header line.
    if po.exists():
        lines = po.read_text(encoding="utf-8").splitlines(keepends=True)
        po.write_text(
            "".join(line for line in lines if not line.startswith('"POT-Creation-Date:')),
            encoding="utf-8",
        )


def compile_po(po, mo):
    """Compile ``po`` to ``mo`` with msgfmt, checking formats and header."""
    subprocess.run([MSGFMT, "--check", "-o", str(mo), str(po)], check=True)  # noqa: S603


def compile_all(root=None, languages=LANGUAGES):
    for language in languages:
        po = po_path(language, root)
        compile_po(po, po.with_suffix(".mo"))


def untranslated(language, root=None):
    """The msgids of ``language``'s catalogue without a translation (empty or fuzzy)."""
    found = []
    for flag in ("--untranslated", "--only-fuzzy"):
        out = subprocess.run(  # noqa: S603
            [MSGATTRIB, flag, "--no-wrap", "--no-location", str(po_path(language, root))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found += [
            line[len('msgid "') : -1]
            for line in out.splitlines()
            if line.startswith('msgid "') and line != 'msgid ""'
        ]
    return found


def copy_sources(destination):
    """Copy the project's sources (what makemessages reads) to ``destination``."""
    root = Path(settings.BASE_DIR)

    def ignore(directory, names):
        return [
            name
            for name in names
            if any(Path(name).match(pattern) for pattern in IGNORE)
            or name.endswith((".pyc", ".mo", ".po"))
        ]

    shutil.copytree(root, destination, ignore=ignore, dirs_exist_ok=True)
