"""The private tree under the home page: network root → facilities index, patients index."""

from django.db import migrations


def create_tree(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    home = HomePage.objects.get(depth=2)

    def page(model_name, title, slug, path, depth, url_path, numchild):
        model = apps.get_model("network", model_name)
        content_type, _ = ContentType.objects.get_or_create(
            model=model_name.lower(), app_label="network"
        )
        return model.objects.create(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=content_type,
            path=path,
            depth=depth,
            numchild=numchild,
            url_path=url_path,
            locale_id=home.locale_id,
            live=True,
            show_in_menus=False,
        )

    root = page("NetworkRootPage", "ネットワーク", "network", home.path + "0001", 3, "/home/network/", 2)
    page("FacilitiesIndexPage", "施設", "facilities", root.path + "0001", 4, "/home/network/facilities/", 0)
    page("PatientsIndexPage", "患者", "patients", root.path + "0002", 4, "/home/network/patients/", 0)
    Page.objects.filter(pk=home.pk).update(numchild=1)


def remove_tree(apps, schema_editor):
    apps.get_model("network.NetworkRootPage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial"), ("cms", "0002_create_homepage")]
    operations = [migrations.RunPython(create_tree, remove_tree)]
