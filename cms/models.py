"""Public pages. Nothing here ever shows anything about a patient."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The public front page: what the network is and where to sign in."""

    lead = models.CharField(_("リード文"), max_length=300, blank=True)
    body = RichTextField(_("本文"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("lead"), FieldPanel("body")]
    max_count = 1
    subpage_types = ["network.NetworkRootPage", "public.InformationPage"]
    template = "cms/home_page.html"

    class Meta:
        verbose_name = _("トップページ")
