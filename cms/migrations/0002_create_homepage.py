"""Replace Wagtail's welcome page with our HomePage and point the default Site at it."""

from django.db import migrations

LEAD = "医療・介護・ご家族が、患者さんごとの非公開のタイムラインで情報を共有するネットワークです。"
BODY = (
    "<p>みまもりSNSは、在宅療養中の患者さん一人ひとりを中心に、診療所・歯科・薬局・訪問看護"
    "ステーション・居宅介護支援事業所、そして希望される患者さんとご家族が参加する、完全非公開型の"
    "医療・介護連携ネットワークです。</p>"
    "<p>患者さんの情報を見られるのは、その患者さんのチームに登録された方だけです。"
    "通信は暗号化され、事務局も投稿の内容を読むことはできません。</p>"
)


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")

    Page.objects.filter(depth=2, slug="home").delete()
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    locale = Locale.objects.order_by("pk").first()
    home = HomePage.objects.create(
        title="みまもりSNS",
        draft_title="みまもりSNS",
        slug="home",
        content_type=content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale_id=locale.pk,
        live=True,
        lead=LEAD,
        body=BODY,
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page_id": home.pk, "site_name": "みまもりSNS"},
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("cms.HomePage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial"), ("wagtailcore", "0098_apitoken")]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
