import time

from django.core.management.base import BaseCommand, CommandError

from registry.models import Enterprise
from reports.tooling.synthetic import Sizes, generate, wipe


class Command(BaseCommand):
    help = (
        "Fill the database with a seeded synthetic province (for benchmarks). Refuses a non-empty registry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=100_000)
        parser.add_argument("--members", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=20251)
        parser.add_argument("--force", action="store_true", help="delete every registry row first")

    def handle(self, *args, enterprises, members, seed, force, **options):
        if Enterprise.objects.exists():
            if not force:
                raise CommandError("the registry is not empty (use --force to replace everything)")
            wipe()
        started = time.perf_counter()
        counts = generate(Sizes(enterprises=enterprises, members=members), seed=seed)
        took = time.perf_counter() - started
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()) + f" in {took:.1f}s")
