"""Japanese date formats of our own, by name, for the ``local_date`` template filter.

Django's standard names (DATE_FORMAT, ...) are not set here, so Django's own Japanese
formats stay as they are. Each name must exist in every language (see ``en``).
"""

MONTH_DAY_TIME_FORMAT = "n月j日 H:i"  # 11月25日 14:05 (post and notice times)
FULL_DATE_FORMAT = "Y年n月j日"  # 2026年11月25日
FULL_DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年11月25日 14:05
FULL_DATE_WEEKDAY_FORMAT = "Y年n月j日（D）"  # 2026年12月3日（木）
