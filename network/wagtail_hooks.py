"""The secretariat's screens in the Wagtail admin: facilities, patients and teams.

Listings have filters and CSV/XLSX export. Nothing here shows a post: timelines
are not in the admin at all, and patient pages cannot be previewed.
"""

from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

import reversion

from erasure.admin_columns import WithdrawalColumn

from .models import Facility, FacilityMembership, MemberLink, PatientPage, TeamLink


class FacilityViewSet(SnippetViewSet):
    model = Facility
    icon = "home"
    menu_label = _("施設")
    list_display = ["name", "code", "kind", "status", "medical_net", "vpn_request_count"]
    list_filter = ["kind", "status", "medical_net"]
    search_fields = ["name", "name_kana", "code", "admin_email"]
    list_export = [
        "code",
        "name",
        "name_kana",
        "kind",
        "status",
        "postal_code",
        "address",
        "phone",
        "fax",
        "representative",
        "admin_email",
        "medical_net",
        "vpn_request_count",
        "created_at",
    ]
    export_filename = "facilities"
    ordering = ["name_kana"]


class MembershipViewSet(SnippetViewSet):
    model = FacilityMembership
    icon = "user"
    menu_label = _("施設の所属")
    list_display = ["user", "facility", "role", "job_title", "since", "until"]
    list_filter = ["role", "facility"]
    search_fields = ["user__email", "user__last_name", "facility__name"]
    list_export = ["user__email", "user", "facility__code", "facility", "role", "job_title", "relation", "since", "until"]
    export_filename = "memberships"


class TeamLinkViewSet(SnippetViewSet):
    model = TeamLink
    icon = "group"
    menu_label = _("チーム（施設）")
    list_display = ["patient", "facility", "since", "until"]
    list_filter = ["facility", "patient", "until"]
    search_fields = ["patient__title", "patient__name_kana", "facility__name"]
    list_export = ["patient__patient_id", "patient", "facility__code", "facility", "since", "until"]
    export_filename = "team_links"


class MemberLinkViewSet(SnippetViewSet):
    model = MemberLink
    icon = "user"
    menu_label = _("チーム（利用者）")
    list_display = ["patient", "user", "facility", "since", "until"]
    list_filter = ["facility", "patient", "until"]
    search_fields = ["patient__title", "user__email", "user__last_name", "facility__name"]
    list_export = ["patient__patient_id", "patient", "user__email", "user", "facility", "since", "until"]
    export_filename = "member_links"


class NetworkViewSetGroup(SnippetViewSetGroup):
    menu_label = _("ネットワーク")
    menu_icon = "site"
    menu_order = 200
    items = (FacilityViewSet, MembershipViewSet, TeamLinkViewSet, MemberLinkViewSet)


register_snippet(NetworkViewSetGroup)


class PatientListingViewSet(PageListingViewSet):
    model = PatientPage
    icon = "user"
    menu_label = _("患者一覧")
    menu_order = 150
    add_to_admin_menu = True
    name = "patients"
    list_display = [
        "title", "name_kana", "birth_date", "consent_date", "latest_revision_created_at",
        WithdrawalColumn("withdraw", label=_("同意撤回"), accessor=lambda page: ""),
    ]
    list_filter = ["live", "consent_date"]
    list_export = ["patient_id", "title", "name_kana", "birth_date", "sex", "consent_date", "live"]
    export_filename = "patients"


@hooks.register("register_admin_viewset")
def register_patient_listing():
    return PatientListingViewSet()


def _record_version(request, instance):
    """Snippet edits in the admin get a django-reversion version like service changes do."""
    if reversion.is_registered(type(instance)):
        with reversion.create_revision():
            reversion.set_user(request.user)
            reversion.set_comment(str(_("管理画面で変更")))
            reversion.add_to_revision(instance)


@hooks.register("after_create_snippet")
def version_created_snippet(request, instance):
    _record_version(request, instance)


@hooks.register("after_edit_snippet")
def version_edited_snippet(request, instance):
    _record_version(request, instance)
