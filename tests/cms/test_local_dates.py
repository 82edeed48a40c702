"""Named date formats per language (cms/formats, the local_date filter).

Japanese output is byte-identical to the literal formats the templates used before;
English readers get English dates instead of "11月25日".
"""

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context, Template
from django.utils import translation

import pytest

from cms.formats.en import formats as en_formats
from cms.formats.ja import formats as ja_formats
from cms.templatetags.local_dates import named_format

# 2026-11-26 05:05 UTC is 14:05 on Thursday 26 November in Tokyo.
MOMENT = datetime.datetime(2026, 11, 26, 5, 5, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 3)

# (named format, the literal it replaced in the templates)
REPLACED = [
    ("MONTH_DAY_TIME_FORMAT", "n月j日 H:i"),
    ("FULL_DATE_FORMAT", "Y年n月j日"),
    ("FULL_DATETIME_FORMAT", "Y年n月j日 H:i"),
    ("FULL_DATE_WEEKDAY_FORMAT", "Y年n月j日（D）"),
]


def render(source, language, **context):
    with translation.override(language):
        return Template("{% load local_dates %}" + source).render(Context(context))


def names(module):
    return {name for name in dir(module) if name.endswith("_FORMAT")}


def test_every_named_format_exists_in_both_languages():
    assert names(ja_formats) == names(en_formats) == {name for name, _literal in REPLACED}


@pytest.mark.parametrize(
    ("name", "literal", "value"),
    [(name, literal, MOMENT) for name, literal in REPLACED]
    + [(name, literal, DAY) for name, literal in REPLACED if "H:i" not in literal],
)
def test_japanese_output_is_identical_to_the_old_literal(name, literal, value):
    new = render(f'{{{{ value|local_date:"{name}" }}}}', "ja", value=value)
    old = render(f'{{{{ value|date:"{literal}" }}}}', "ja", value=value)
    assert new == old


def test_japanese_dates_in_tokyo_time():
    assert render('{{ v|local_date:"MONTH_DAY_TIME_FORMAT" }}', "ja", v=MOMENT) == "11月26日 14:05"
    assert render('{{ v|local_date:"FULL_DATE_WEEKDAY_FORMAT" }}', "ja", v=DAY) == "2026年12月3日（木）"
    assert render('{{ v|local_date:"FULL_DATETIME_FORMAT" }}', "ja", v=MOMENT) == "2026年11月26日 14:05"


def test_english_dates():
    assert render('{{ v|local_date:"MONTH_DAY_TIME_FORMAT" }}', "en", v=MOMENT) == "Nov 26, 14:05"
    assert render('{{ v|local_date:"FULL_DATE_FORMAT" }}', "en", v=DAY) == "Dec 3, 2026"
    assert render('{{ v|local_date:"FULL_DATETIME_FORMAT" }}', "en", v=MOMENT) == "Nov 26, 2026, 14:05"
    assert render('{{ v|local_date:"FULL_DATE_WEEKDAY_FORMAT" }}', "en", v=DAY) == "Thu, Dec 3, 2026"


def test_a_time_zone_other_than_tokyo_is_converted():
    evening = datetime.datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert render('{{ v|local_date:"MONTH_DAY_TIME_FORMAT" }}', "en", v=evening) == "Nov 26, 13:30"


def test_empty_value_renders_nothing():
    assert render('{{ v|local_date:"FULL_DATE_FORMAT" }}', "en", v=None) == ""


def test_unknown_format_name_is_an_error():
    with pytest.raises(ValueError, match="NO_SUCH_FORMAT"):
        named_format("NO_SUCH_FORMAT", "ja")


def test_no_template_hard_codes_a_japanese_date_format():
    """Japanese literals in |date print Japanese to English readers: use local_date."""
    root = Path(settings.BASE_DIR)
    literal = re.compile(r"""\|date:\s*["'][^"']*[年月日]""")
    templates = [p for p in root.glob("*/templates/**/*") if p.is_file() and ".venv" not in p.parts]
    assert len(templates) > 20
    assert [str(p.relative_to(root)) for p in templates if literal.search(p.read_text(encoding="utf-8"))] == []
