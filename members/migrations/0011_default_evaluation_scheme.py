"""The default 《党建指导员考核细则》 (valid from 2020): four items computed from the records, two entered by staff,
100 points in all. A later scheme is added as data (a new row with its own ``valid_from``; the old one gets
``valid_to``), never by changing this one: past years keep the scheme they were scored with (members.evaluation)."""

from django.db import migrations

NAME = "党建指导员考核细则"
VALID_FROM = 2020
ITEMS = (
    # code, title, max points, source, rule
    ("visits", "走访联系单位（每个联系单位每季度至少走访一次）", 30, "computed", "quarterly_visits"),
    ("requests", "企业诉求办理（受理后 30 日内办结）", 20, "computed", "requests_closed_30d"),
    ("organized", "推动联系单位组建党组织", 15, "computed", "firm_organized"),
    ("tasks", "按期完成重点工作任务", 15, "computed", "tasks_on_time"),
    ("training", "参加教育培训", 10, "entered", ""),
    ("commendation", "获得表彰奖励", 10, "entered", ""),
)


def create_scheme(apps, schema_editor):
    Scheme = apps.get_model("members", "EvaluationScheme")
    Item = apps.get_model("members", "EvaluationItem")
    scheme, _created = Scheme.objects.get_or_create(
        name=NAME,
        valid_from=VALID_FROM,
        defaults={"valid_to": None, "excellent_from": 90, "competent_from": 75, "basic_from": 60},
    )
    for position, (code, title, max_points, source, rule) in enumerate(ITEMS, start=1):
        Item.objects.get_or_create(
            scheme=scheme,
            code=code,
            defaults={
                "title": title,
                "max_points": max_points,
                "source": source,
                "rule": rule,
                "position": position,
            },
        )


def remove_scheme(apps, schema_editor):
    Scheme = apps.get_model("members", "EvaluationScheme")
    Entry = apps.get_model("members", "EvaluationEntry")
    schemes = Scheme.objects.filter(name=NAME, valid_from=VALID_FROM)
    Entry.objects.filter(item__scheme__in=schemes).delete()
    schemes.delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0010_task_recipients")]

    operations = [migrations.RunPython(create_scheme, remove_scheme)]
