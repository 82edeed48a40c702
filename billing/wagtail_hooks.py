from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import FeeRule


class FeeRuleViewSet(SnippetViewSet):
    model = FeeRule
    icon = "tag"
    menu_label = "利用料"
    menu_name = "fee_rules"
    add_to_admin_menu = True
    menu_order = 400
    list_display = ["position", "kind_group", "medical_net_mark", "sns_mark", "fee_text", "valid_from", "valid_until"]


register_snippet(FeeRuleViewSet)
