# ImportJob moves to registry (registry.0004_import_job holds its state). The table is renamed, so every job
# and its stored result are kept; the content type (and its permissions) moves with it.

from django.db import migrations


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    types = content_type.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label=target, model="importjob").exists():
        types.filter(app_label=source, model="importjob").update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "reports", "registry")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "registry", "reports")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0008_quarter_field"),
        ("registry", "0004_import_job"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ImportJob")],
            database_operations=[migrations.AlterModelTable(name="ImportJob", table="registry_importjob")],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
