from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "timeline"
    verbose_name = "タイムライン"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        import reversion

        from .models import Post

        if not reversion.is_registered(Post):
            reversion.register(
                Post, fields=["body", "next_visit_date", "plan_change", "care_cautions", "edited_at"]
            )
