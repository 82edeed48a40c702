"""The review inbox (受付審査) in the secretariat's admin menu."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from network import access

from . import admin_views, notices
from .models import MailTemplate

review_urls = (
    [
        path("", admin_views.inbox, name="inbox"),
        path("<int:pk>/", admin_views.detail, name="detail"),
        path("<int:pk>/accept/", admin_views.accept, name="accept"),
        path("family/<int:patient_pk>/", admin_views.family, name="family"),
        path("teams/", admin_views.teams, name="teams"),
    ],
    "forms_review",
)


@hooks.register("register_admin_urls")
def register_review_urls():
    return [path("review/", include(review_urls))]


class SecretariatMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_secretariat(request.user)


@hooks.register("register_admin_menu_item")
def register_review_menu_item():
    return SecretariatMenuItem(_("受付審査"), reverse("forms_review:inbox"), icon_name="tasks", order=120)


@hooks.register("register_admin_menu_item")
def register_teams_menu_item():
    return SecretariatMenuItem(_("チーム一覧"), reverse("forms_review:teams"), icon_name="group", order=160)


class MailTemplateViewSet(SnippetViewSet):
    """The flow mails' wording, editable by the secretariat (defaults in forms.notices)."""

    model = MailTemplate
    icon = "mail"
    menu_label = _("メールの文面")
    add_to_admin_menu = True
    menu_order = 170
    list_display = ["__str__", "subject", "updated_at"]
    panels = [FieldPanel("key", widget=None), FieldPanel("subject"), FieldPanel("body")]


def _key_widget():
    from django import forms

    return forms.Select(choices=[(k, v) for k, v in notices.TEMPLATE_LABELS.items()])


MailTemplateViewSet.panels[0] = FieldPanel("key", widget=_key_widget())
register_snippet(MailTemplateViewSet)
