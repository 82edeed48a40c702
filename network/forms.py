from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import FacilityMembership, MembershipRole
from .rules import ADMIN_EMAIL_AS_USER

JOB_TITLE_SUGGESTIONS = [
    "医師",
    "歯科医師",
    "薬剤師",
    "看護師",
    "准看護師",
    "保健師",
    "理学療法士",
    "作業療法士",
    "言語聴覚士",
    "管理栄養士",
    "歯科衛生士",
    "介護支援専門員（ケアマネジャー）",
    "介護福祉士",
    "ホームヘルパー",
    "医療ソーシャルワーカー",
    "事務",
]


class StaffForm(forms.Form):
    """A facility admin adds a staff member; the person gets an invitation e-mail."""

    last_name = forms.CharField(label=_("姓"), max_length=150)
    first_name = forms.CharField(label=_("名"), max_length=150)
    last_name_kana = forms.CharField(label=_("姓（かな）"), max_length=150, required=False)
    first_name_kana = forms.CharField(label=_("名（かな）"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("利用者用メールアドレス"),
        help_text=_("ログインIDになります。管理画面ログイン用のアドレスは使えません。"),
    )
    job_title = forms.CharField(
        label=_("職種"),
        max_length=50,
        widget=forms.TextInput(attrs={"list": "job-titles"}),
    )

    def __init__(self, *args, facility, **kwargs):
        self.facility = facility
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        from .models import Facility

        if Facility.objects.filter(admin_email__iexact=email).exists():
            raise forms.ValidationError(ADMIN_EMAIL_AS_USER)
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is not None:
            if FacilityMembership.objects.filter(user=user, role=MembershipRole.ADMIN).exists():
                raise forms.ValidationError(ADMIN_EMAIL_AS_USER)
            if (
                FacilityMembership.objects.active()
                .filter(user=user, facility=self.facility)
                .exists()
            ):
                raise forms.ValidationError(_("この方はすでにこの施設の利用者です。"))
        return email


class MemberChoiceForm(forms.Form):
    """Choose one of the facility's staff to add to a patient's team."""

    membership = forms.ModelChoiceField(
        label=_("追加する利用者"),
        queryset=FacilityMembership.objects.none(),
        empty_label=_("選んでください"),
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = memberships
        self.fields["membership"].label_from_instance = lambda m: (
            f"{m.user.get_full_name()}（{m.job_title}）" if m.job_title else m.user.get_full_name()
        )
