from django import forms
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    since = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    action = forms.CharField(label=_("操作"), required=False, max_length=60)
    decision = forms.ChoiceField(
        label=_("判定"),
        required=False,
        choices=[("", _("すべて")), ("allowed", _("許可")), ("denied", _("拒否"))],
    )
    actor = forms.CharField(label=_("利用者（メールアドレスの一部）"), required=False, max_length=254)
    patient_id = forms.IntegerField(label=_("患者番号"), required=False, min_value=1)
    disaster_only = forms.BooleanField(label=_("災害モード中の操作のみ"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("開始日は終了日より前の日付にしてください。"))
        return data
