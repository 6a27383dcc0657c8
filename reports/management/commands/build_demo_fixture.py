"""Build the demo zone in an empty registry and dump it to ``fixtures/demo.json``.

Run it against a throwaway database::

    DEBUG=1 DATABASE_URL=sqlite:////tmp/demo-build.sqlite3 .venv/bin/python manage.py migrate
    DEBUG=1 DATABASE_URL=sqlite:////tmp/demo-build.sqlite3 .venv/bin/python manage.py build_demo_fixture
"""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection

from reports.tooling.demo import build_demo

DUMPED = (
    "registry.Area",
    "registry.Enterprise",
    "registry.AboveScalePeriod",
    "orgs.PartyOrganization",
    "orgs.OrganizationLink",
    "members.Member",
    "members.Membership",
    "members.Employment",
    "members.Mobility",
    "members.Instructor",
    "members.InstructorAssignment",
    "members.DevelopmentPlan",
    "members.Applicant",
    "members.InstructorVisit",
    "members.EnterpriseRequest",
    "members.InstructorTask",
    "members.TaskRecipient",
    "members.TaskCompletion",
)
FLUSHED_APPS = ("registry", "orgs", "members")


class Command(BaseCommand):
    help = "Build the demo zone (reports.tooling.demo.build_demo) in an empty registry and write fixtures/demo.json."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="first delete every registry/orgs/members row (and rows referring to them) and reset ids",
        )
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "fixtures" / "demo.json"),
            help="where to write the fixture (default: fixtures/demo.json)",
        )

    def handle(self, *args, force=False, output=None, **options):
        if force:
            self._flush()
        elif any(apps.get_model(label).objects.exists() for label in DUMPED):
            raise CommandError(
                "The registry already holds data; use a fresh database, or --force to delete "
                "all registry, organisation and member rows first."
            )
        counts = build_demo()
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        call_command(
            "dumpdata",
            *DUMPED,
            exclude=["registry.RecomputeRequest"],
            indent=1,
            output=str(path),
            verbosity=0,
        )
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.stdout.write(f"wrote {path}: {summary}")

    def _flush(self) -> None:
        # Resetting the id sequences keeps primary keys, and so the dump, identical from run to run.
        tables = [m._meta.db_table for label in FLUSHED_APPS for m in apps.get_app_config(label).get_models()]
        sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
        connection.ops.execute_sql_flush(sql)
