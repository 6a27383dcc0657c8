"""Each member's current row becomes their history: one membership from ``joined_on`` (how it began unknown:
blank), the workplace and mobility over the same span, and ``joined_party_on`` = ``joined_on``. Every stored
quarter's figures are unchanged: the rows hold exactly where the member row held."""

from django.db import migrations
from django.db.models import F

BATCH = 2000


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Membership = apps.get_model("members", "Membership")
    Employment = apps.get_model("members", "Employment")
    Mobility = apps.get_model("members", "Mobility")
    Member.objects.filter(joined_party_on__isnull=True).update(joined_party_on=F("joined_on"))
    rows = Member.objects.values_list(
        "pk", "organization_id", "enterprise_id", "is_mobile", "joined_on", "ended_on", "end_reason"
    ).order_by("pk")
    memberships, employments, mobility = [], [], []
    for pk, organization_id, enterprise_id, is_mobile, start, end, reason in rows.iterator(chunk_size=BATCH):
        memberships.append(
            Membership(member_id=pk, organization_id=organization_id, start=start, end=end, how_ended=reason)
        )
        if enterprise_id:
            employments.append(Employment(member_id=pk, enterprise_id=enterprise_id, start=start, end=end))
        if is_mobile:
            mobility.append(Mobility(member_id=pk, start=start, end=end))
        if len(memberships) >= BATCH:
            _flush(Membership, memberships, Employment, employments, Mobility, mobility)
    _flush(Membership, memberships, Employment, employments, Mobility, mobility)


def _flush(*pairs):
    for model, rows in zip(pairs[::2], pairs[1::2], strict=True):
        model.objects.bulk_create(rows, batch_size=BATCH)
        rows.clear()


def backwards(apps, schema_editor):
    for name in ("Membership", "Employment", "Mobility"):
        apps.get_model("members", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0005_member_history")]

    operations = [migrations.RunPython(forwards, backwards)]
