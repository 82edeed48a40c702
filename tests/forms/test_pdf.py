"""Every form's PDF: blank and filled, read back with pypdf."""

import io

import pytest
from pypdf import PdfReader

from forms import definitions as d
from forms import pdf


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def sample_values(definition):
    values = {"_date": "2026-11-25"}
    for f in definition.fields:
        if f.kind == d.CHOICE:
            values[f.name] = f.choices[-1][0]
        elif f.kind == d.AGREE:
            values[f.name] = True
        elif f.kind == d.DATE:
            values[f.name] = "2026-12-01"
        elif f.kind == d.BIRTH_DATE:
            values[f.name] = "1940-03-15"
        elif f.kind == d.EMAIL:
            values[f.name] = f"{f.name.replace('_', '-')}@example.jp"
        elif f.kind == d.FACILITY_CODE:
            values[f.name] = "1812345678"
        elif f.kind == d.NUMBER:
            values[f.name] = 2
        elif f.kind == d.PHONE:
            values[f.name] = "0776-24-0387"
        elif f.kind == d.POSTAL:
            values[f.name] = "910-0001"
        elif f.kind == d.KANA:
            values[f.name] = "ミマモリ"
        else:
            values[f.name] = f"値{f.name}"
    for f in definition.table_fields()[:7]:
        values[f.name] = "2026-04-01" if f.kind == d.DATE else f"台帳{f.name}"
    return values


@pytest.mark.parametrize("definition", d.FORMS, ids=lambda f: f.slug)
def test_blank_pdf_has_title_and_every_label(definition):
    text = text_of(pdf.render(definition))
    assert definition.heading in text
    assert definition.label in text
    for f in definition.fields:
        assert f.label in text, f.label
    for sig in definition.signatures:
        assert sig.label in text
    for note in definition.notes[:1]:
        assert note[:20] in text


@pytest.mark.parametrize("definition", d.FORMS, ids=lambda f: f.slug)
def test_filled_pdf_contains_the_values(definition):
    values = sample_values(definition)
    text = text_of(pdf.render(definition, values, reference="MM-2026-000123"))
    assert definition.heading in text
    assert "MM-2026-000123" in text
    assert "令和8年11月25日" in text or not definition.dated
    for f in definition.fields:
        shown = pdf.display_value(f, values[f.name])
        assert shown in text, (f.name, shown)


def test_dates_print_in_the_japanese_era():
    values = sample_values(d.FORM_5)
    text = text_of(pdf.render(d.FORM_5, values))
    assert "昭和15年3月15日" in text  # birth date 1940-03-15
    assert "令和8年12月1日" in text  # consent date


def test_choices_show_the_chosen_option_marked():
    values = sample_values(d.FORM_1) | {"medical_net": "yes"}
    text = text_of(pdf.render(d.FORM_1, values))
    assert "■ 参加している" in text
    assert "□ 参加していない" in text


def test_form_5_carries_the_explanation_for_the_patient():
    text = text_of(pdf.render(d.FORM_5))
    assert "個人情報使用説明書（患者・患者関係者用）" in text
    assert "同意はいつでも撤回できます" in text


def test_form_1_notes_from_the_guide():
    text = text_of(pdf.render(d.FORM_1))
    assert "利用者として登録することはできません" in text
    assert "変更は原則禁止" in text
    assert "1機関原則2個" in text


def test_metadata_names_only_the_form():
    reader = PdfReader(io.BytesIO(pdf.render(d.FORM_7, sample_values(d.FORM_7))))
    assert reader.metadata.title == d.FORM_7.heading
    assert "値patient_name" not in str(reader.metadata)


def test_font_is_embedded_when_ipaex_is_installed():
    import os

    from timeline.export import IPAEX_GOTHIC_PATH

    if not os.path.exists(IPAEX_GOTHIC_PATH):
        pytest.skip("fonts-ipaexfont not installed")
    data = pdf.render(d.FORM_1)
    assert b"/FontFile2" in data


def test_no_active_content_in_generated_pdfs():
    from documents.uploads import _check_pdf

    for definition in d.FORMS:
        _check_pdf(pdf.render(definition, sample_values(definition)))


def test_blank_pdf_is_cached_per_version():
    from django.core.cache import cache

    cache.delete(pdf.blank_cache_key(d.FORM_2))
    first = pdf.blank_pdf(d.FORM_2)
    assert cache.get(pdf.blank_cache_key(d.FORM_2)) == first
    assert pdf.blank_pdf(d.FORM_2) is not None


def test_a_changed_definition_is_a_new_version():
    import dataclasses

    changed = dataclasses.replace(d.FORM_2, notes=(*d.FORM_2.notes, "新しい注意"))
    assert changed.version != d.FORM_2.version
    assert pdf.blank_cache_key(changed) != pdf.blank_cache_key(d.FORM_2)


def test_characters_outside_the_font_become_geta():
    values = sample_values(d.FORM_3) | {"after": "新住所🏠"}
    text = text_of(pdf.render(d.FORM_3, values))
    assert "新住所〓" in text or "新住所🏠" in text


def test_long_values_wrap_and_stay_complete():
    long_text = "長い変更内容。" * 60
    values = sample_values(d.FORM_3) | {"before": long_text}
    text = text_of(pdf.render(d.FORM_3, values))
    assert text.count("長い変更内容。") == 60
