"""Signal handlers of the network app, connected in ``NetworkConfig.ready``."""

from django.db.models.signals import post_migrate

import reversion


def ensure_secretariat_group(sender, **kwargs):
    """The 事務局 group with what the secretariat needs in the Wagtail admin.

    It manages facilities, memberships and team links (snippets) and patient pages
    under the private tree. There is no permission that reads timelines: posts are
    not in the admin at all.
    """
    from django.contrib.auth.models import Group, Permission

    from wagtail.models import GroupPagePermission

    from .access import SECRETARIAT_GROUP
    from .models import NetworkRootPage

    group, _ = Group.objects.get_or_create(name=SECRETARIAT_GROUP)
    # No delete permissions: links and memberships end (``until``) so history stays;
    # facilities leave through deregistration.
    wanted = Permission.objects.filter(
        content_type__app_label="network",
        content_type__model__in=["facility", "facilitymembership", "teamlink", "memberlink"],
        codename__regex=r"^(add|change|view)_",
    ) | Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    group.permissions.add(*wanted)
    # The private tree's root and Wagtail's page permissions appear during the same
    # migrate run (cms.site_tree, wagtailcore); whichever emission finds both adds them.
    root = NetworkRootPage.objects.first()
    page_permissions = Permission.objects.filter(
        content_type__app_label="wagtailcore",
        codename__in=["add_page", "change_page", "publish_page"],
    )
    if root is not None:
        for permission in page_permissions:
            GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)


def register():
    from .models import Facility, FacilityMembership, MemberLink, TeamLink

    for model in (Facility, FacilityMembership, TeamLink, MemberLink):
        if not reversion.is_registered(model):
            reversion.register(model)
    post_migrate.connect(ensure_secretariat_group, dispatch_uid="network.secretariat_group")
