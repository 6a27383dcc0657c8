"""The shipped indicator definitions: three numerators for each of four populations."""

from django.db import migrations

SOURCE = "中共中央办公厅《关于加强和改进非公有制企业党的建设工作的意见（试行）》（中办发〔2012〕11号）"

POPULATIONS = [
    ("above-scale", "above_scale", "规模以上非公企业"),
    ("enterprise", "enterprise", "非公企业"),
    ("social-org", "social_org", "社会组织"),
    ("all", "all", "两新组织"),
]
NUMERATORS = [
    ("org-coverage", "org", "党组织覆盖率"),
    ("single-rate", "single", "单独组建率"),
    ("work-coverage", "work", "党的工作覆盖率"),
]


def create(apps, schema_editor):
    Indicator = apps.get_model("reports", "Indicator")
    position = 0
    for pop_code, population, pop_name in POPULATIONS:
        for num_code, numerator, num_name in NUMERATORS:
            position += 1
            Indicator.objects.update_or_create(
                code=f"{num_code}-{pop_code}",
                defaults={
                    "name": f"{num_name}（{pop_name}）",
                    "population": population,
                    "numerator": numerator,
                    "decimals": 1,
                    "source": SOURCE,
                    "is_headline": num_code == "org-coverage" and pop_code == "above-scale",
                    "position": position,
                },
            )


def remove(apps, schema_editor):
    apps.get_model("reports", "Indicator").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
