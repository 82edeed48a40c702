from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "forms"
    verbose_name = "様式・申請"
    default_auto_field = "django.db.models.BigAutoField"
