from django import forms
from django.utils.translation import gettext_lazy as _

from network.models import Facility

from . import archive


class ArchiveSearchForm(forms.Form):
    q = forms.CharField(label=_("氏名・かな・キーワード"), required=False, max_length=200)
    reference = forms.CharField(label=_("受付番号"), required=False, max_length=40)
    date_from = forms.DateField(
        label=_("日付（から）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("日付（まで）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    facility = forms.ModelChoiceField(
        label=_("施設"), required=False, queryset=Facility.objects.all(), empty_label=_("すべて")
    )
    form = forms.ChoiceField(label=_("様式"), required=False)
    status = forms.ChoiceField(label=_("状態"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", _("すべて")), *archive.form_choices()]
        self.fields["status"].choices = [("", _("すべて")), *archive.status_choices()]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("日付の範囲が逆になっています（「から」を「まで」より前に）。"))
        return data

    def criteria(self):
        d = self.cleaned_data
        return archive.ArchiveCriteria(
            text=d.get("q") or "",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            facility=d.get("facility"),
            status=d.get("status") or "",
            form=d.get("form") or "",
            reference=d.get("reference") or "",
        )
