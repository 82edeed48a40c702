"""Signal handlers of the cms app, connected in ``CmsConfig.ready``."""

from django.db.models.signals import post_migrate


def ensure_site_tree(sender, **kwargs):
    from .site_tree import ensure_site_tree as ensure

    ensure()


def register():
    # Every app's post_migrate: the tables all exist by then, and after a test
    # flush the first emission already rebuilds the tree. Idempotent and cheap.
    post_migrate.connect(ensure_site_tree, dispatch_uid="cms.site_tree")
