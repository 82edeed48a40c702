from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """E-mail and password. The field keeps the name ``username`` (django-axes counts it)."""

    username = forms.EmailField(
        label=_("メールアドレス（ログインID）"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _(
            "メールアドレスまたはパスワードが正しくありません。5回続けて間違えると15分間ログインできなくなります。"
        ),
        "inactive": _("このアカウントは利用できません。施設内管理者または事務局にお問い合わせください。"),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class InvitationPasswordForm(SetPasswordForm):
    """Choosing the first password from an invitation link."""
