"""Looking up the monthly fee of a facility from the rules stored as data."""

import datetime

from django.db.models import Q

from .models import FeeRule, group_of


def rules_on(date: datetime.date | None = None):
    date = date or datetime.date.today()
    return FeeRule.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=date),
        Q(valid_until__isnull=True) | Q(valid_until__gte=date),
    )


def monthly_fee(kind: str, medical_net: bool, sns: bool = True, date=None) -> int | None:
    """The monthly fee in yen (tax excluded) for a facility, or None when no rule applies.

    A rule whose ``medical_net`` is unset applies whatever the facility's participation.
    """
    group = group_of(kind)
    if group is None:
        return None
    candidates = rules_on(date).filter(kind_group=group, sns=sns).filter(
        Q(medical_net=medical_net) | Q(medical_net__isnull=True)
    )
    rule = candidates.order_by("medical_net", "position").first()
    # An exact medical_net match wins over a rule that does not care.
    exact = candidates.filter(medical_net=medical_net).order_by("position").first()
    rule = exact or rule
    return None if rule is None else rule.monthly_fee
