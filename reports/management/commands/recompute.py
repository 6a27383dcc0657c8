from django.core.management.base import BaseCommand, CommandError

from registry.models import Area
from registry.periods import PeriodError, Quarter
from reports.engine.recompute import process_outbox, recompute


class Command(BaseCommand):
    help = "Recompute stored coverage figures (all areas and reporting quarters unless narrowed)."

    def add_arguments(self, parser):
        parser.add_argument("--area", help="area code: only its subtree (and the figures it rolls into)")
        parser.add_argument("--period", help="quarter such as 2025Q3 (default: every reporting quarter)")
        parser.add_argument("--outbox", action="store_true", help="only drain pending recompute requests")

    def handle(self, *args, area=None, period=None, outbox=False, **options):
        if outbox:
            written = process_outbox()
            self.stdout.write(
                f"outbox: {'locked by another worker' if written is None else written.total} rows"
            )
            return
        area_ids = None
        if area:
            found = Area.objects.filter(code=area).first()
            if found is None:
                raise CommandError(f"unknown area code {area!r}")
            area_ids = {found.pk}
        try:
            periods = [Quarter.parse(period)] if period else None
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        written = recompute(periods=periods, area_ids=area_ids)
        self.stdout.write(
            f"created {written.created}, updated {written.updated}, deleted {written.deleted} rows"
        )
