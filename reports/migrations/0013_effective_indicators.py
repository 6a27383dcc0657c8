"""有效覆盖 (issue 15): two indicators of effective coverage of 规上 non-public enterprises, listed after the others.

Their figures are computed by the recompute like every indicator's: run ``python manage.py recompute`` once after
migrating, so every open quarter gets their snapshots (and every stored unit its ``effective`` flag).
"""

import datetime as dt

from django.db import migrations

SOURCE = (
    "中共中央办公厅《关于加强和改进非公有制企业党的建设工作的意见（试行）》（中办发〔2012〕11号）："
    "推动党的组织和党的工作从有形覆盖向有效覆盖转变。"
)
INDICATORS = [
    (
        "effective-org-coverage-above-scale",
        "党组织有效覆盖率（规模以上非公企业）",
        "effective_org",
        SOURCE
        + "建立党组织的规上企业中，党组织配备书记且书记在本组织、单独组建的正式党员不少于3名、"
        "按期换届（未超过本届任期届满日期）的，计为有效覆盖。",
    ),
    (
        "effective-work-coverage-above-scale",
        "党的工作有效覆盖率（规模以上非公企业）",
        "effective_work",
        SOURCE + "尚未建立党组织、仅选派党建指导员的规上企业中，本季度党建指导员至少走访一次的，计为有效覆盖。",
    ),
]


def create(apps, schema_editor):
    Indicator = apps.get_model("reports", "Indicator")
    last = max(Indicator.objects.values_list("position", flat=True), default=0)
    for offset, (code, name, numerator, source) in enumerate(INDICATORS, start=1):
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "population": "above_scale",
                "numerator": numerator,
                "decimals": 1,
                "source": source,
                "valid_from": dt.date(2000, 1, 1),
                "is_headline": False,
                "position": last + offset,
            },
        )


def remove(apps, schema_editor):
    apps.get_model("reports", "Indicator").objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0012_effective_coverage")]
    operations = [migrations.RunPython(create, remove)]
