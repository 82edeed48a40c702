"""Monthly fees per facility (not per user), tax excluded, billed as one annual payment."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel


class KindGroup(models.TextChoices):
    MEDICAL = "medical", _("医療機関（医科、歯科）、薬局")
    SERVICE = "service", _("その他の事業所（訪問看護ST、居宅介護支援事業所等）")
    FREE = "free", _("患者・家族、ヘルパー、民生委員")


# Facility kinds (network.FacilityKind values) in each group.
KIND_GROUPS = {
    KindGroup.MEDICAL: ("medical", "dental", "pharmacy"),
    KindGroup.SERVICE: ("visiting_nurse", "home_care_support", "other_service"),
    KindGroup.FREE: ("family", "free"),
}


def group_of(kind: str) -> str | None:
    for group, kinds in KIND_GROUPS.items():
        if kind in kinds:
            return group
    return None


class FeeRule(models.Model):
    """One row of the fee table (早見表)."""

    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    kind_group = models.CharField(_("施設の種別"), max_length=16, choices=KindGroup.choices)
    medical_net = models.BooleanField(
        _("医療連携（メディカルネット）"),
        null=True,
        blank=True,
        help_text=_("参加している＝はい、参加していない＝いいえ、問わない＝未設定"),
    )
    sns = models.BooleanField(_("SNS連携（みまもりSNS）"), default=True)
    monthly_fee = models.PositiveIntegerField(_("月額（円・税抜）"), help_text=_("0は無料"))
    valid_from = models.DateField(_("適用開始日"), null=True, blank=True)
    valid_until = models.DateField(_("適用終了日"), null=True, blank=True)
    note = models.CharField(_("備考"), max_length=200, blank=True)

    panels = [
        FieldPanel("position"),
        FieldPanel("kind_group"),
        FieldPanel("medical_net"),
        FieldPanel("sns"),
        FieldPanel("monthly_fee"),
        FieldPanel("valid_from"),
        FieldPanel("valid_until"),
        FieldPanel("note"),
    ]

    class Meta:
        verbose_name = _("利用料")
        verbose_name_plural = _("利用料")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="feerule_period_order",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_group_display()} / {self.medical_net_mark} / {self.sns_mark}: {self.fee_text}"

    @property
    def medical_net_mark(self):
        return "〇" if self.medical_net else "－"

    @property
    def sns_mark(self):
        return "〇" if self.sns else "－"

    @property
    def fee_text(self):
        return "無料" if self.monthly_fee == 0 else f"{self.monthly_fee:,}円/月"

    def clean(self):
        super().clean()
        if not self.sns and self.medical_net is not True:
            raise ValidationError(_("SNSにもメディカルネットにも参加しない組み合わせには利用料がありません。"))
