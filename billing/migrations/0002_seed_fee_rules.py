"""The guide's seven fee rows (早見表), tax excluded. Only when the table is empty."""

from django.db import migrations

ROWS = [
    # (kind group, medical net, sns, monthly fee)
    ("medical", True, True, 3000),
    ("medical", True, False, 3000),
    ("medical", False, True, 1000),
    ("service", True, True, 1000),
    ("service", True, False, 1000),
    ("service", False, True, 500),
    ("free", None, True, 0),
]


def seed(apps, schema_editor):
    FeeRule = apps.get_model("billing", "FeeRule")
    if FeeRule.objects.exists():
        return
    for position, (group, net, sns, fee) in enumerate(ROWS, start=1):
        FeeRule.objects.create(
            position=position, kind_group=group, medical_net=net, sns=sns, monthly_fee=fee
        )


def unseed(apps, schema_editor):
    apps.get_model("billing", "FeeRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
