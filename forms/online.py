"""The online form of each definition: Django fields and validation made from the same data.

``form_class(definition)`` returns a ``django.forms.Form`` subclass (made once per
version). E-mail fields marked ``confirm`` are asked twice; facility codes must be exactly
10 digits (full-width digits accepted); kana is normalised to full-width katakana; dates
accept the browser's date picker and Japanese-era text (令和8年11月25日, R8.11.25); the
VPN count is 1 or 2 or blank. ``to_json`` turns cleaned data into what a submission stores
and the PDF prints.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata

from django import forms as djforms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone

from network.validators import normalize_facility_code, validate_facility_code

from . import definitions as d

MSG_EMAIL_MISMATCH = "メールアドレスが一致しません。同じアドレスを2回入力してください。"
MSG_KANA = "フリガナはカタカナ（またはひらがな）で入力してください。"
MSG_DATE = "日付は「2026-04-01」または「令和8年4月1日」の形で入力してください。"
MSG_PHONE = "電話番号は数字とハイフンで入力してください（例：0776-24-0387）。"
MSG_POSTAL = "郵便番号は7桁の数字で入力してください（例：910-0001）。"
MSG_AGREE = "内容を確認し、チェックを入れてください。"
MSG_VPN = "VPN申請数は原則1施設2個までです。WEB会議を使用しない場合は空欄にしてください。"

ERA_START = {"令和": 2019, "平成": 1989, "昭和": 1926, "大正": 1912, "明治": 1868}
ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}
_WAREKI = re.compile(r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")
_KANA = re.compile(r"^[\u30a0-\u30ff\u3000 ・ー]+$")


def parse_japanese_date(text: str) -> datetime.date | None:
    """令和8年11月25日 / R8.11.25 / 2026-11-25 / 2026/11/25 → date; None if not a date form."""
    text = unicodedata.normalize("NFKC", text or "").strip().upper()
    if not text:
        return None
    match = _WAREKI.match(text)
    if match:
        era = ERA_LETTERS.get(match.group(1), match.group(1))
        year = 1 if match.group(2) == "元" else int(match.group(2))
        try:
            return datetime.date(ERA_START[era] + year - 1, int(match.group(3)), int(match.group(4)))
        except ValueError:
            raise ValidationError(MSG_DATE, code="invalid_date") from None
    match = re.match(r"^(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?$", text)
    if match:
        try:
            return datetime.date(*(int(g) for g in match.groups()))
        except ValueError:
            raise ValidationError(MSG_DATE, code="invalid_date") from None
    raise ValidationError(MSG_DATE, code="invalid_date")


class JapaneseDateField(djforms.DateField):
    widget = djforms.DateInput(attrs={"type": "date", "data-wareki": ""}, format="%Y-%m-%d")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        return parse_japanese_date(str(value))


def normalize_kana(value: str) -> str:
    text = unicodedata.normalize("NFKC", value or "").strip()
    # ひらがな → カタカナ (the forms ask for フリガナ).
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


class KanaField(djforms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = normalize_kana(value)
        if not _KANA.match(value):
            raise ValidationError(MSG_KANA, code="invalid_kana")
        return value


class FacilityCodeField(djforms.CharField):
    def clean(self, value):
        value = normalize_facility_code(super().clean(value))
        if value:
            validate_facility_code(value)
        return value


def _django_field(f: d.Field):
    common = {"label": f.label, "required": f.required, "help_text": f.help}
    if f.kind == d.TEXTAREA:
        return djforms.CharField(
            max_length=f.max_length, widget=djforms.Textarea(attrs={"rows": max(3, f.lines + 1)}), **common
        )
    if f.kind == d.KANA:
        return KanaField(max_length=f.max_length, **common)
    if f.kind == d.EMAIL:
        return djforms.EmailField(
            max_length=254, widget=djforms.EmailInput(attrs={"autocomplete": "email"}), **common
        )
    if f.kind == d.FACILITY_CODE:
        return FacilityCodeField(
            max_length=20,
            widget=djforms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            **common,
        )
    if f.kind == d.PHONE:
        return djforms.CharField(
            max_length=f.max_length,
            validators=[RegexValidator(r"^[0-9]{2,5}-?[0-9]{1,4}-?[0-9]{3,4}$", MSG_PHONE)],
            widget=djforms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            **common,
        )
    if f.kind == d.POSTAL:
        return djforms.CharField(
            max_length=f.max_length,
            validators=[RegexValidator(r"^[0-9]{3}-?[0-9]{4}$", MSG_POSTAL)],
            widget=djforms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            **common,
        )
    if f.kind in (d.DATE, d.BIRTH_DATE):
        return JapaneseDateField(**common)
    if f.kind == d.CHOICE:
        return djforms.ChoiceField(choices=list(f.choices), widget=djforms.RadioSelect, **common)
    if f.kind == d.NUMBER:
        return djforms.IntegerField(
            min_value=f.min_value,
            max_value=f.max_value,
            error_messages={"max_value": MSG_VPN, "min_value": MSG_VPN},
            widget=djforms.NumberInput(attrs={"inputmode": "numeric"}),
            **common,
        )
    if f.kind == d.AGREE:
        return djforms.BooleanField(
            label=f.label, required=True, help_text=f.help, error_messages={"required": MSG_AGREE}
        )
    return djforms.CharField(max_length=f.max_length, **common)


class DefinitionForm(djforms.Form):
    definition: d.FormDefinition
    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        for f in self.definition.fields:
            if f.kind == d.EMAIL and f.confirm:
                first = (cleaned.get(f.name) or "").strip().lower()
                again = (cleaned.get(f"{f.name}_confirm") or "").strip().lower()
                if f.name in cleaned and (first or again) and first != again:
                    self.add_error(f"{f.name}_confirm", MSG_EMAIL_MISMATCH)
                if first:
                    cleaned[f.name] = first
        admin_email = cleaned.get("admin_email")
        if admin_email and self.definition.number == "1":
            from network.rules import admin_email_conflict

            message = admin_email_conflict(admin_email)
            if message:
                self.add_error("admin_email", message)
        return cleaned

    def layout(self):
        """[(section title, [bound fields])] in the order of the definition."""
        sections = []
        if "patient" in self.fields:
            sections.append((self.fields["patient"].label, [self["patient"]]))
        for section in self.definition.sections:
            bound = []
            for f in section.fields:
                bound.append(self[f.name])
                if f.kind == d.EMAIL and f.confirm:
                    bound.append(self[f"{f.name}_confirm"])
            sections.append((section.title, bound))
        return sections

    def table_rows(self):
        """The ledger's rows as [(row number, [bound fields])]."""
        table = self.definition.table
        if table is None:
            return []
        return [
            (row, [self[f"r{row}_{col.name}"] for col in table.columns])
            for row in range(1, table.rows + 1)
        ]


@functools.cache
def _form_class(version: str, slug: str):
    definition = d.BY_SLUG[slug]
    attrs = {"definition": definition}
    for f in definition.fields:
        attrs[f.name] = _django_field(f)
        if f.kind == d.EMAIL and f.confirm:
            attrs[f"{f.name}_confirm"] = djforms.EmailField(
                label=f"{f.label}（確認のため再入力）",
                required=f.required,
                max_length=254,
                widget=djforms.EmailInput(attrs={"autocomplete": "off"}),
            )
    for f in definition.table_fields():
        field = _django_field(f)
        field.max_length = 100 if f.kind != d.DATE else None
        attrs[f.name] = field
    return type(f"Form_{slug.replace('-', '_')}", (DefinitionForm,), attrs)


def form_class(definition: d.FormDefinition):
    return _form_class(definition.version, definition.slug)


def to_json(definition: d.FormDefinition, cleaned: dict, *, date=None) -> dict:
    """Cleaned data → JSON-safe values (dates as ISO strings); ``_date`` is the date of application."""
    values = {}
    for f in [*definition.fields, *definition.table_fields()]:
        value = cleaned.get(f.name)
        if isinstance(value, datetime.date):
            value = value.isoformat()
        if value in (None, "") and f.kind not in (d.AGREE,):
            continue
        values[f.name] = value
    values["_date"] = (date or timezone.localdate()).isoformat()
    return values
