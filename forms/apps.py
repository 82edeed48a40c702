from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "forms"
    verbose_name = "様式・申請"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate, post_save

        from django_otp.plugins.otp_totp.models import TOTPDevice

        from search import archive

        from .archive import SubmissionArchiveSource

        archive.register(SubmissionArchiveSource())

        post_save.connect(
            _second_factor_enrolled, sender=TOTPDevice, dispatch_uid="forms.complete_registration"
        )
        post_migrate.connect(_grant_secretariat, dispatch_uid="forms.secretariat")


def _second_factor_enrolled(sender, instance, **kwargs):
    """本登録: a provisional facility's admin with a password and a confirmed second factor."""
    update_fields = kwargs.get("update_fields")
    if instance.confirmed and (update_fields is None or "confirmed" in update_fields):
        from .flows import complete_registration

        complete_registration(instance.user)


def _grant_secretariat(sender, **kwargs):
    """The secretariat edits the flow mails' wording (add/change/view/delete on MailTemplate)."""
    from django.contrib.auth.models import Group, Permission

    from network.access import SECRETARIAT_GROUP

    group = Group.objects.filter(name=SECRETARIAT_GROUP).first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="forms", content_type__model="mailtemplate")
        )
