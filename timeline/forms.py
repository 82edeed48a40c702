from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from documents.uploads import check_upload

from .models import MAX_BODY_CHARS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class PostFields(forms.Form):
    """Text and the structured fields of the home-care information-sharing bonus."""

    body = forms.CharField(
        label=_("本文"),
        required=False,
        max_length=MAX_BODY_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("様子・申し送りなど")}),
        error_messages={"max_length": _("本文は%(limit_value)d文字以内にしてください（現在%(show_value)d文字）。")},
    )
    next_visit_date = forms.DateField(
        label=_("次回訪問日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    plan_change = forms.CharField(
        label=_("治療方針の変更"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    care_cautions = forms.CharField(
        label=_("ケア上の注意点"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django's own Japanese message for NUL characters is misleading; say what is wrong.
        nul = ProhibitNullCharactersValidator(
            message=_("使えない制御文字（NUL）が含まれています。貼り付けた文章を確認してください。")
        )
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators = [
                    v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
                ] + [nul]

    def has_content(self):
        data = self.cleaned_data
        return bool(
            data.get("body", "").strip()
            or data.get("next_visit_date")
            or data.get("plan_change", "").strip()
            or data.get("care_cautions", "").strip()
        )


class PostForm(PostFields):
    ack_requested = forms.BooleanField(label=_("全員に確認をお願いする"), required=False)
    facility = forms.TypedChoiceField(label=_("所属施設として投稿"), coerce=int, required=False)
    files = MultipleFileField(
        label=_("写真・PDF"),
        help_text=_("%(count)d個まで、1ファイル%(mb)dMBまで（JPEG・PNG・HEIC・PDF）")
        % {"count": settings.MAX_ATTACHMENTS_PER_POST, "mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/heic,image/heif,application/pdf"}),
    )

    def __init__(self, *args, facilities, for_family=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_family = for_family
        if for_family:
            # The patient and family write plain messages; the bonus fields are for professionals.
            for name in ("next_visit_date", "plan_change", "care_cautions", "ack_requested"):
                del self.fields[name]
        self.facilities = {f.pk: f for f in facilities}
        self.fields["facility"].choices = [(f.pk, f.name) for f in facilities]
        if len(facilities) < 2:
            self.fields["facility"].widget = forms.HiddenInput()

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        limit = settings.MAX_ATTACHMENTS_PER_POST
        if len(files) > limit:
            raise ValidationError(
                _("添付できるファイルは%(limit)d個までです（%(count)d個選ばれています）。")
                % {"limit": limit, "count": len(files)}
            )
        checked, errors = [], []
        for uploaded in files:
            try:
                checked.append(check_upload(uploaded))
            except ValidationError as exc:
                errors += [f"{_safe_name(uploaded.name)}: {m}" for m in exc.messages]
        if errors:
            raise ValidationError(errors)
        return checked

    def clean_facility(self):
        value = self.cleaned_data.get("facility")
        if value in self.facilities:
            return self.facilities[value]
        if len(self.facilities) == 1:
            return next(iter(self.facilities.values()))
        raise ValidationError(_("投稿する所属施設を選んでください。"))

    def clean(self):
        data = super().clean()
        if not self.errors and not self.has_content() and not data.get("files"):
            raise ValidationError(_("本文を入力するか、写真・PDFを添付してください。"))
        return data


class EditForm(PostFields):
    version = forms.IntegerField(widget=forms.HiddenInput())

    def clean(self):
        data = super().clean()
        if not self.errors and not self.has_content():
            raise ValidationError(_("本文が空です。投稿を消す場合は「削除」を使ってください。"))
        return data


def _safe_name(name):
    return "".join(ch for ch in (name or "")[-60:] if ch.isprintable())


class ChangeRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("お願いの内容"),
        choices=[("edit", _("修正してほしい")), ("delete", _("削除してほしい"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("理由を書いてください。")},
    )


class AnswerForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("回答"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("対応しました（削除の依頼なら削除します）")), ("no", _("お断りします"))],
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(label=_("ひとこと"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class PreferenceForm(forms.Form):
    email = forms.ChoiceField(label=_("メールでのお知らせ"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        from .models import NotificationPreference

        super().__init__(*args, **kwargs)
        self.fields["email"].choices = NotificationPreference.Email.choices


class ExportForm(forms.Form):
    """The period of a care-record export."""

    MAX_DAYS = 366

    start = forms.DateField(label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("終了日"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise ValidationError(_("終了日は開始日と同じか、それより後にしてください。"))
            if (end - start).days >= self.MAX_DAYS:
                raise ValidationError(_("一度に出力できるのは1年分までです。期間を分けてください。"))
        return data
