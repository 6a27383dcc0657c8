from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("members", "0006_member_history_rows")]

    operations = [
        migrations.AlterField(
            model_name="member",
            name="joined_party_on",
            field=models.DateField(
                help_text="成为预备党员的日期；可早于本系统中任何党组织。", verbose_name="入党日期"
            ),
        ),
    ]
