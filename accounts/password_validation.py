"""Password rules of the MHLW security guideline (6.0, Q-54).

With a second factor a password needs at least 8 characters; without one, at
least 13. Either way letters and digits are mixed. Who needs a second factor is
decided by ``trust.second_factor`` so that the rule follows the user's real state.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_WITH_SECOND_FACTOR = 8
MIN_WITHOUT_SECOND_FACTOR = 13


class MhlwLengthValidator:
    def _minimum(self, user):
        from trust.second_factor import has_or_needs_second_factor

        if user is not None and getattr(user, "pk", None) and has_or_needs_second_factor(user):
            return MIN_WITH_SECOND_FACTOR
        return MIN_WITHOUT_SECOND_FACTOR

    def validate(self, password, user=None):
        minimum = self._minimum(user)
        if len(password) < minimum:
            raise ValidationError(
                _("パスワードが短すぎます。%(min)d文字以上にしてください。") % {"min": minimum},
                code="password_too_short",
                params={"min": minimum},
            )

    def get_help_text(self):
        return _(
            "二要素認証（認証アプリ）を使う場合は%(with)d文字以上、使わない場合は%(without)d文字以上。"
        ) % {"with": MIN_WITH_SECOND_FACTOR, "without": MIN_WITHOUT_SECOND_FACTOR}


class MixedCharactersValidator:
    def validate(self, password, user=None):
        has_letter = any(ch.isalpha() for ch in password)
        has_digit = any(ch.isdigit() for ch in password)
        if not (has_letter and has_digit):
            raise ValidationError(
                _("パスワードには英字と数字の両方を含めてください。"), code="password_not_mixed"
            )

    def get_help_text(self):
        return _("英字と数字を混ぜてください（記号も使うとより安全です）。")
