"""P3: an Excel import (dry run and commit) against parse + COPY and django-import-export."""

from __future__ import annotations

import datetime as dt
import io

from django.db import connection, transaction

from .common import Row, bench_user, median_time, rolled_back


def _import_file(count: int) -> bytes:
    """A workbook of ``count`` new enterprises in the enterprise import layout (the export's own columns)."""
    from openpyxl import Workbook

    from registry.excel.sheets import write_sheet
    from registry.models import Area
    from registry.rules import credit_code_check_char
    from registry.workbook import ENTERPRISES

    area = Area.objects.filter(kind="park").order_by("path").first()
    rows = []
    for i in range(count):
        first17 = f"91440961{i:09d}"
        rows.append(
            {
                "credit_code": first17 + credit_code_check_char(first17),
                "name": f"导入测试企业{i}有限公司",
                "category": "enterprise",
                "economic_type": "private",
                "industry": "制造业",
                "area": area.code,
                "area_name": area.name,
                "above_scale": i % 4 == 0,
                "above_scale_since": None,
                "employees": 50 + i % 300,
                "established_on": dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500),
                "deregistered_on": None,
                "address": "",
                "contact_person": "",
                "contact_phone": "",
                "coverage": "",
                "party_members": 0,
            }
        )
    wb = Workbook(write_only=True)
    write_sheet(
        wb, ENTERPRISES, iter(rows), title_row=False
    )  # as a filled-in import template: header in row 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def bench_import(runs: int, rows: int, out) -> list[Row]:
    from openpyxl import load_workbook

    from registry.excel.importer import run_import

    data = _import_file(rows)
    user = bench_user("admin")
    result = run_import("enterprises", data, dry_run=True, user=user)
    if result.errors:
        raise RuntimeError(f"the benchmark file does not validate: {result.errors[:3]}")

    def parse_and_copy():
        values = [
            tuple("" if v is None else str(v) for v in row)
            for row in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(
                min_row=2, values_only=True
            )
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            width = len(values[0])
            cursor.execute(
                f"CREATE TEMP TABLE bench_rows ({', '.join(f'c{i} text' for i in range(width))}) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY bench_rows FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)

    bound = median_time(parse_and_copy, runs)
    dry = median_time(lambda: run_import("enterprises", data, dry_run=True, user=user), runs)
    commit = median_time(
        rolled_back(lambda: run_import("enterprises", data, dry_run=False, user=user)), max(1, runs // 2)
    )
    out_rows = [
        Row(f"P3 import dry run, {rows} rows", dry, "s", bound, "≤ 3 × (parse + COPY)", dry <= 3 * bound),
        Row(f"P3 import commit, {rows} rows", commit, "s", bound, "(reported)", None),
    ]
    peer = _import_export_time(data, out)
    if peer is not None:
        out_rows.append(
            Row(
                "P3 django-import-export, same file, commit",
                peer,
                "s",
                commit,
                "ours ≥ 5 × faster",
                peer >= 5 * commit,
                note="bound column = ours",
            )
        )
    return out_rows


def _import_export_time(data: bytes, out) -> float | None:
    """The same import with django-import-export (installed only for the benchmark)."""
    try:
        import tablib
        from import_export import fields, resources, widgets
    except ImportError:
        out("  django-import-export is not installed: `make bench` installs it; skipping the comparison")
        return None
    from registry.models import Area, Enterprise

    class ChoiceLabel(widgets.Widget):
        def __init__(self, choices):
            self.by_label = {str(label): value for value, label in choices}
            super().__init__()

        def clean(self, value, row=None, **kwargs):
            return self.by_label.get(value, value)

    class EnterpriseResource(resources.ModelResource):
        credit_code = fields.Field("credit_code", "统一社会信用代码")
        name = fields.Field("name", "单位名称")
        category = fields.Field(
            "category", "类别", widget=ChoiceLabel(Enterprise._meta.get_field("category").choices)
        )
        economic_type = fields.Field(
            "economic_type",
            "经济类型",
            widget=ChoiceLabel(Enterprise._meta.get_field("economic_type").choices),
        )
        industry = fields.Field("industry", "所属行业")
        area = fields.Field("area", "区域代码", widget=widgets.ForeignKeyWidget(Area, "code"))
        employees = fields.Field("employees", "从业人员数", widget=widgets.IntegerWidget())
        established_on = fields.Field("established_on", "成立日期", widget=widgets.DateWidget())

        class Meta:
            model = Enterprise
            import_id_fields = ("credit_code",)
            fields = (
                "credit_code",
                "name",
                "category",
                "economic_type",
                "industry",
                "area",
                "employees",
                "established_on",
            )
            skip_unchanged = True
            clean_model_instances = True

    dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx")

    def run():
        result = EnterpriseResource().import_data(dataset, dry_run=False, raise_errors=True)
        if result.has_errors() or result.has_validation_errors():
            raise RuntimeError("django-import-export reported errors")

    return median_time(rolled_back(run), 1, warmup=0)
