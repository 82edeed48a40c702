"""The English catalogue is complete, compiled from its .po, and used.

These fail when a text in the code or templates has no English translation, when the
catalogue was not re-extracted after texts changed, or when the committed .mo is not what
the committed .po compiles to. The cure is always ``make messages`` (then fill in what it
lists).
"""

import gettext
import re
import shutil

from django.utils import translation

import polib
import pytest

from cms import translations

PO = translations.po_path("en")
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _texts(entry):
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.fixture(scope="module")
def committed():
    return polib.pofile(str(PO))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """What `make messages` extracts from the code and templates right now (in a copy)."""
    root = tmp_path_factory.mktemp("sources")
    translations.copy_sources(root)
    translations.extract(root)
    return polib.pofile(str(translations.po_path("en", root)))


def test_every_text_in_code_and_templates_has_an_english_translation(committed, extracted):
    translated = {_key(e) for e in committed if "fuzzy" not in e.flags and all(_texts(e))}
    missing = [e.msgid for e in extracted if _key(e) not in translated]
    assert not missing, f"no English text for {missing}: run `make messages` and translate them"


def test_the_catalogue_holds_exactly_the_texts_of_the_code(committed, extracted):
    """Nothing left over from removed texts: the catalogue was re-extracted."""
    assert {_key(e) for e in committed} == {_key(e) for e in extracted}


def test_catalogue_is_not_empty_and_has_plurals(committed):
    assert len(committed) > 300
    assert any(e.msgid_plural for e in committed)
    assert committed.metadata["Language"] == "en"
    assert committed.metadata["Plural-Forms"].startswith("nplurals=2;")


def test_translations_keep_every_placeholder(committed):
    wrong = [
        (e.msgid, text)
        for e in committed
        for text in _texts(e)
        if sorted(set(PLACEHOLDER.findall(text))) != sorted(set(PLACEHOLDER.findall(e.msgid)))
    ]
    assert not wrong


def test_no_japanese_is_left_in_the_english_texts(committed):
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
    assert not [text for e in committed for text in _texts(e) if kana_or_kanji.search(text)]


def test_committed_mo_is_exactly_what_the_po_compiles_to(committed, tmp_path):
    """Byte for byte, so a .po edited without `make messages` cannot ship with an old .mo.

    (File times mean nothing after a git checkout, so the content is compared.)
    """
    fresh = tmp_path / "django.mo"
    translations.compile_po(PO, fresh)
    with MO.open("rb") as shipped, fresh.open("rb") as compiled:
        shipped_catalog = gettext.GNUTranslations(shipped)._catalog  # noqa: SLF001
        compiled_catalog = gettext.GNUTranslations(compiled)._catalog  # noqa: SLF001
    assert shipped_catalog == compiled_catalog
    assert MO.read_bytes() == fresh.read_bytes()


def test_english_is_served_from_the_catalogue():
    with translation.override("en"):
        assert translation.gettext("患者一覧") == "Patients"
        assert translation.ngettext("未読 %(n)s件", "未読 %(n)s件", 2) % {"n": 2} == "2 unread"
    with translation.override("ja"):
        assert translation.gettext("患者一覧") == "患者一覧"


def test_a_new_text_arrives_empty_and_is_served_once_filled_in(tmp_path):
    """The maintainer's loop: `make messages`, fill in the empty msgstr, `make messages`."""
    translations.copy_sources(tmp_path)
    (tmp_path / "locale").mkdir()
    shutil.copytree(PO.parents[1], tmp_path / "locale" / "en")
    template = tmp_path / "cms" / "templates" / "cms" / "added_by_a_branch.html"
    template.write_text('{% load i18n %}{% translate "新しい画面の見出し" %}', encoding="utf-8")

    translations.extract(tmp_path)
    assert translations.untranslated("en", tmp_path) == ["新しい画面の見出し"]
    catalogue = polib.pofile(str(translations.po_path("en", tmp_path)))
    assert catalogue.find("患者一覧").msgstr == "Patients"  # existing texts are kept
    assert not [e for e in catalogue if "fuzzy" in e.flags]

    catalogue.find("新しい画面の見出し").msgstr = "New screen heading"
    catalogue.save()
    translations.extract(tmp_path)
    translations.compile_all(tmp_path)
    assert translations.untranslated("en", tmp_path) == []
    with translations.po_path("en", tmp_path).with_suffix(".mo").open("rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("新しい画面の見出し") == "New screen heading"
