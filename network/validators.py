"""Normalisation and validation of the 10-digit facility code (事業所番号)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
FACILITY_CODE_RE = re.compile(r"[0-9]{10}", re.ASCII)


def normalize_facility_code(value):
    """Full-width digits become ASCII digits; surrounding spaces (also 全角) go. Nothing else changes."""
    if value is None:
        return ""
    return str(value).strip().strip("\u3000").translate(FULLWIDTH_DIGITS)


def validate_facility_code(value):
    if not FACILITY_CODE_RE.fullmatch(normalize_facility_code(value)):
        raise ValidationError(
            _("事業所番号は10桁の数字で入力してください（ハイフンや空白は入れないでください）。"),
            code="invalid_facility_code",
        )
