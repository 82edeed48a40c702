"""Dates in the reader's language: ``{{ post.created_at|local_date:"MONTH_DAY_TIME_FORMAT" }}``.

Django's ``date`` filter only looks up its own format names, so a literal such as
"n月j日 H:i" in a template would print "11月25日" to English readers too. This filter takes
one of our named formats from ``cms/formats/<language>/formats.py`` (FORMAT_MODULE_PATH),
falling back to the site's language for a language without one. An unknown name is a
programming error and raises.
"""

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()


def named_format(name, lang=None):
    """The format string called ``name`` for ``lang`` (default: the active language)."""
    for language in (lang or get_language() or settings.LANGUAGE_CODE, settings.LANGUAGE_CODE):
        for module in formats.get_format_modules(language):
            value = getattr(module, name, None)
            if value is not None:
                return value
    raise ValueError(f"no date format named {name!r}")


@register.filter(expects_localtime=True, is_safe=False)
def local_date(value, name):
    return date_filter(value, named_format(name))
