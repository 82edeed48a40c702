"""The secretariat edits fee rules: add/change/view on FeeRule for the 事務局 group."""

from django.db.models.signals import post_migrate


def ensure_default_rules(sender, **kwargs):
    """The guide's rows again when the table is empty (a fresh or flushed database)."""
    import importlib

    from .models import FeeRule

    if FeeRule.objects.exists():
        return
    seed = importlib.import_module("billing.migrations.0002_seed_fee_rules")
    for position, (group, net, sns, fee) in enumerate(seed.ROWS, start=1):
        FeeRule.objects.create(
            position=position, kind_group=group, medical_net=net, sns=sns, monthly_fee=fee
        )


def grant_secretariat(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from network.access import SECRETARIAT_GROUP

    group = Group.objects.filter(name=SECRETARIAT_GROUP).first()
    if group is None:
        return
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="billing",
            content_type__model="feerule",
            codename__regex=r"^(add|change|view)_",
        )
    )


def register():
    post_migrate.connect(grant_secretariat, dispatch_uid="billing.secretariat")
    post_migrate.connect(ensure_default_rules, dispatch_uid="billing.default_rules")
