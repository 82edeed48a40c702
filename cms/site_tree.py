"""The page skeleton every installation has, made sure of after each migrate.

Root → HomePage (public) → NetworkRootPage (private) → FacilitiesIndexPage and
PatientsIndexPage, and the default Site pointing at the home page. Run from a
post_migrate handler, so that it also exists again after a test database flush;
idempotent, so running it again changes nothing.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_supported_language_variant

HOME_TITLE = "みまもりSNS"
HOME_LEAD = "医療・介護・ご家族が、患者さんごとの非公開のタイムラインで情報を共有するネットワークです。"
HOME_BODY = (
    "<p>みまもりSNSは、在宅療養中の患者さん一人ひとりを中心に、診療所・歯科・薬局・訪問看護"
    "ステーション・居宅介護支援事業所、そして希望される患者さんとご家族が参加する、完全非公開型の"
    "医療・介護連携ネットワークです。</p>"
    "<p>患者さんの情報を見られるのは、その患者さんのチームに登録された方だけです。"
    "通信は暗号化され、事務局も投稿の内容を読むことはできません。</p>"
)


def _child(parent, model, **fields):
    existing = model.objects.child_of(parent).first()
    if existing is not None:
        return existing
    return parent.add_child(instance=model(live=True, **fields))


@transaction.atomic
def ensure_site_tree():
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import Locale, Page, Site

    from network.models import FacilitiesIndexPage, NetworkRootPage, PatientsIndexPage

    from .models import HomePage

    # After a flush the cached content types point at rows that are gone.
    ContentType.objects.clear_cache()
    language = get_supported_language_variant(settings.LANGUAGE_CODE)
    locale, _ = Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's own welcome page stands where ours goes.
        for page in Page.objects.child_of(root).filter(content_type__app_label="wagtailcore"):
            page.delete()
        home = root.add_child(
            instance=HomePage(
                title=HOME_TITLE, slug="home", lead=HOME_LEAD, body=HOME_BODY, locale=locale, live=True
            )
        )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=HOME_TITLE
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    network = _child(home, NetworkRootPage, title="ネットワーク", slug="network", locale=locale)
    _child(network, FacilitiesIndexPage, title="施設", slug="facilities", locale=locale)
    _child(network, PatientsIndexPage, title="患者", slug="patients", locale=locale)
    # Added with the public forms: the private 受付 index and the public information pages.
    from forms.models import SubmissionsIndexPage
    from public.seed import ensure_public_pages

    _child(network, SubmissionsIndexPage, title="受付", slug="submissions", locale=locale)
    ensure_public_pages(home, locale)
