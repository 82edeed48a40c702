"""One page type for the public information pages, with blocks for the generated parts.

The text is ordinary editable content (seeded from the recruitment guide, see
``public.seed``). Three blocks insert what is kept as data elsewhere, so it is never typed
into a page: the fee table (``billing.FeeRule``), the list of forms with their PDFs and
online forms (``forms.definitions``) and the guide's 提出様式の早見表 as a chooser of the
nine situations.
"""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page


class InformationPage(Page):
    body = StreamField(
        [
            ("heading", blocks.CharBlock(label=_("見出し"), form_classname="title")),
            ("paragraph", blocks.RichTextBlock(label=_("本文"), features=["bold", "link", "ol", "ul"])),
            (
                "fee_table",
                blocks.StaticBlock(
                    label=_("利用料の早見表"),
                    admin_text=_("利用料（事務局管理画面の「利用料」）から作る表が入ります。"),
                    template="public/blocks/fee_table.html",
                ),
            ),
            (
                "forms_list",
                blocks.StaticBlock(
                    label=_("様式の一覧"),
                    admin_text=_("様式1〜8と管理台帳のPDF・オンライン入力へのリンクが入ります。"),
                    template="public/blocks/forms_list.html",
                ),
            ),
            (
                "situations",
                blocks.StaticBlock(
                    label=_("提出様式の早見表"),
                    admin_text=_("場面を選ぶと必要な様式が表示される早見表が入ります。"),
                    template="public/blocks/situations.html",
                ),
            ),
        ],
        blank=True,
        verbose_name=_("本文"),
    )

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    template = "public/information_page.html"

    class Meta:
        verbose_name = _("情報ページ")
        verbose_name_plural = _("情報ページ")

    def get_context(self, request, *args, **kwargs):
        from billing.fees import rules_on
        from forms import definitions

        context = super().get_context(request, *args, **kwargs)
        kinds = {block.block_type for block in self.body}
        if "fee_table" in kinds:
            context["fee_rules"] = list(rules_on())
        if "forms_list" in kinds:
            context["form_definitions"] = definitions.FORMS
        if "situations" in kinds:
            context["situations"] = definitions.SITUATIONS
            context["mark_meanings"] = definitions.MARK_MEANINGS
            chosen = definitions.SITUATION_BY_KEY.get(request.GET.get("situation", ""))
            if chosen is not None:
                context["chosen"] = chosen
                context["chosen_forms"] = [
                    (definitions.BY_NUMBER[number], mark, dict(definitions.MARK_MEANINGS)[mark])
                    for number, mark in chosen.forms
                ]
        context["info_pages"] = (
            InformationPage.objects.live().sibling_of(self, inclusive=True).in_menu().specific()
        )
        return context
