"""The demo data set: a fictional development zone whose figures reproduce seed 000.

As of 2025-09-30 (2025Q3) the zone has 68 operating 规上 non-public enterprises, 35 of them covered by a party
organisation (35/68 = 51.5 %) and 508 party members; no firm, organisation or member record is dated after that
day, so today's figures are the same. 2025Q2 differs (two firms became 规上 in July, two orgs were founded and one joint link added in Q3). 发展党员:
plans for 2023–2025 and applicants at every stage, the admitted ones linked to members the zone already has
(development.py). 指导员工作: the instructors' visits to their assigned firms, the firms' requests and the
district's quarterly tasks, 2024Q1–2026Q3 (instructor_work.py); these are the only records dated after 2025-09-30
and none of them enters a coverage or member figure.

``build_demo()`` is deterministic (``random.Random(2025)``, objects created in a fixed order, fixed timestamps):
``manage.py build_demo_fixture`` dumps what it builds to ``fixtures/demo.json``. Names are invented; credit codes
and ID numbers use region codes that no county uses, so no generated number can belong to a real unit or person.
"""

from __future__ import annotations

from django.db import transaction

from .builder import Builder
from .development import build_development
from .instructor_work import build_instructor_work
from .zone import build_units


@transaction.atomic
def build_demo() -> dict[str, int]:
    """Create the demo zone in the current database and return how many rows of each kind it wrote.

    Meant for an empty registry (``manage.py build_demo_fixture`` refuses otherwise). Every object passes
    ``full_clean()``, the identity and membership rules, the organisation link rules and (applicants) the stage
    rules; a ValueError means the generator itself is wrong.
    """
    builder = Builder()
    builder.build_areas()
    build_units(builder)
    counts = builder.save()
    counts.update(build_development(builder))  # drawn last: the rest of the zone is as it was before
    counts.update(build_instructor_work(builder))  # its own random generator: the rest stays as it was
    return counts
