import gc

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from config.celery import app as celery_app
from reports.tooling import bench


class Command(BaseCommand):
    help = "Benchmarks of the hot paths against lower bounds measured in the same run (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=100_000)
        parser.add_argument("--members", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=5, help="measured runs per figure (median)")
        parser.add_argument("--import-rows", type=int, default=10_000)
        parser.add_argument("--http-seconds", type=int, default=10)
        parser.add_argument("--small", action="store_true", help="a quick run on small data (CI)")
        parser.add_argument(
            "--only", nargs="*", choices=["P1", "P2", "P3", "P4"], help="run only these parts"
        )

    def handle(self, *args, **o):
        if connection.vendor != "postgresql":
            raise CommandError("benchmarks run on PostgreSQL: set DATABASE_URL (make bench does)")
        if o["small"]:
            o.update(enterprises=4000, members=40_000, runs=2, import_rows=1000, http_seconds=3)
        # Measure what production runs: with DEBUG on (which `make bench` needs to start the command without a
        # production SECRET_KEY) Django records every query, and a streamed workbook pays for that on every fetch.
        settings.DEBUG = False
        # Publishing goes to an in-memory broker: the benchmark drains the outbox itself, and times it.
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = celery_app.conf.broker_write_url = "memory://"

        def out(text):
            self.stdout.write(text)
            self.stdout.flush()

        bench.ensure_data(o["enterprises"], o["members"], out)
        rows = []
        for title, step in (
            ("P1 recompute", lambda: bench.bench_recompute(o["runs"], out)),
            ("P2 quarterly workbook", lambda: bench.bench_workbook(o["runs"], out)),
            ("P3 import", lambda: bench.bench_import(o["runs"], o["import_rows"], out)),
            ("P4 HTTP", lambda: bench.bench_http(o["http_seconds"], out)),
        ):
            if o["only"] and title.split()[0] not in o["only"]:
                continue
            out(f"{title} …")
            # Each part measures itself, not what earlier parts left: collect their garbage and exempt what
            # survives from later collections (a gen-2 pass over a recompute's leftovers cost P2 a tenth).
            gc.collect()
            gc.freeze()
            rows += step()
        out("")
        out(f"sizes: {o['enterprises']} enterprises, {o['members']} members; median of {o['runs']} runs")
        out(bench.render(rows))
        missed = [r.name for r in rows if r.met is False]
        out("all targets met" if not missed else "targets missed: " + "; ".join(missed))
        if o["small"]:
            out(
                "(a --small run proves the benchmark works; the targets are set for the full sizes, where fixed "
                "costs no longer dominate: run `make bench` for the table the README reports)"
            )
