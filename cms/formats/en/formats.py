"""English counterparts of the named formats in ``cms.formats.ja.formats``."""

MONTH_DAY_TIME_FORMAT = "M j, H:i"  # Nov 25, 14:05
FULL_DATE_FORMAT = "M j, Y"  # Nov 25, 2026
FULL_DATETIME_FORMAT = "M j, Y, H:i"  # Nov 25, 2026, 14:05
FULL_DATE_WEEKDAY_FORMAT = "D, M j, Y"  # Thu, Dec 3, 2026
