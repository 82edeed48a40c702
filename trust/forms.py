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


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        title = f"（{obj.job_title}）" if obj.job_title else ""
        return f"{obj.user.get_full_name()}{title} / {obj.facility.name}"


class IssueCertificateForm(forms.Form):
    membership = MembershipChoiceField(
        label=_("利用者"), queryset=None, empty_label=_("選んでください"),
        error_messages={"invalid_choice": _("この利用者の証明書は発行できません。")},
    )
    device_name = forms.CharField(
        label=_("端末名"), max_length=100, help_text=_("例：訪問用タブレット1、事務所PC")
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = memberships


class AllocateVpnForm(forms.Form):
    facility = forms.ModelChoiceField(label=_("施設"), queryset=None, empty_label=_("選んでください"))
    count = forms.IntegerField(
        label=_("個数"), min_value=1, max_value=10000, initial=2,
        help_text=_("様式1の申請数。原則1施設2個。"),
    )

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class VpnChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class AssignVpnForm(forms.Form):
    number = VpnChoiceField(
        label=_("VPN番号"), queryset=None, empty_label=_("選んでください"),
        error_messages={"invalid_choice": _("このVPN番号はすでに割り当てられているか、この施設の番号ではありません。")},
    )
    membership = MembershipChoiceField(label=_("利用者"), queryset=None, empty_label=_("選んでください"))
    device = forms.CharField(label=_("端末"), max_length=100, required=False)

    def __init__(self, *args, numbers, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].queryset = numbers
        self.fields["membership"].queryset = memberships


class DisasterModeForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=300, help_text=_("例：令和X年X月X日 地震による停電"))
    hours = forms.IntegerField(
        label=_("期間（時間）"), initial=24,
        help_text=_("最長72時間。期間が過ぎると自動的に終わります。"),
    )
