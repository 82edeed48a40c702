"""A column of the secretariat's patient listing: the way to the consent withdrawal."""

from django.urls import reverse

from wagtail.admin.ui.tables import Column

from network import access


class WithdrawalColumn(Column):
    cell_template_name = "erasure/withdraw_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        user = getattr(request, "user", None)
        context["withdraw_url"] = (
            reverse("erasure_withdraw", args=[instance.patient_id])
            if user is not None and access.is_secretariat(user)
            else ""
        )
        return context
