from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("確認コード"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "input-code",
            }
        ),
        help_text=_("認証アプリに表示される6桁の数字、またはバックアップコード"),
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())
