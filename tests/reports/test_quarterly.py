"""The quarterly survey report on the demo zone: narrative, sections, workbook, LibreOffice, background job."""

import io
import os
import shutil
import subprocess
import zipfile

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.models import Area
from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.engine.workqueue import work_queue
from reports.models import ReportRun
from reports.quarterly.report import build_quarterly_report
from reports.quarterly.workbook import write_quarterly_workbook
from tests.factories import make_user

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)
NARRATIVE = (
    "截至2025年9月30日，全区共有规模以上非公有制企业68家，建立党组织的35家，"
    "占规模以上非公企业总数的51.5%；全区党员总数508人。"
)


@pytest.fixture
def demo():
    call_command("loaddata", "demo", verbosity=0)
    recompute(periods=[Q3.year_ago(), Q3.previous(), Q3])
    return Area.objects.get(code="KFQ")


@pytest.fixture
def staff(client, demo):
    user = make_user("clerk", role="staff", area=demo)
    client.force_login(user)
    return user


def test_narrative_reproduces_the_seed_report(demo):
    report = build_quarterly_report(demo, Q3)
    assert report.narrative.startswith(NARRATIVE)
    assert "与上季度相比，建立党组织的规上企业增加3家，覆盖率提高3.0个百分点" in report.narrative
    assert sum(row["denominator"] for row in report.sub_areas) == 68
    assert {item.code: count for item, count, _rows in report.work_items}["single-at-threshold"] == 5


def test_report_work_queue_is_the_live_queue_at_the_quarter_end(demo):
    report = build_quarterly_report(demo, Q3)
    live = work_queue(demo, Q3.last_day)
    counts = live.counts()
    for item, count, names in report.work_items:
        expected = sorted(live.item(item.code).queryset.values_list("name", "pk"))
        assert count == counts[item.code] == len(expected), item.code
        assert names == [name for name, _pk in expected[:20]], item.code
    assert any(count for _item, count, _names in report.work_items)


def test_report_figures_match_the_stats_api(demo):
    report = build_quarterly_report(demo, Q3)
    api = APIClient()
    api.force_authenticate(make_user("reader", role="reader", area=demo))
    stats = api.get("/api/v1/coverage/", {"area": "KFQ", "period": "2025Q3"}).json()
    h = report.headline
    assert (stats["numerator"], stats["denominator"], stats["percent"]) == (
        h.numerator,
        h.denominator,
        str(h.percent),
    )
    assert stats["breakdown"] == h.breakdown.as_dict()
    assert stats["members"]["total"] == report.members.total == 508
    work = api.get(
        "/api/v1/coverage/", {"area": "KFQ", "period": "2025Q3", "indicator": "work-coverage-above-scale"}
    ).json()
    assert (work["numerator"], work["percent"]) == (report.work.numerator, str(report.work.percent))


def test_page_and_api_html(client, staff, demo):
    page = client.get("/reports/quarterly/", {"area": "KFQ", "period": "2025Q3"})
    assert page.status_code == 200
    assert NARRATIVE in page.content.decode()
    api = APIClient()
    api.force_login(staff)
    document = api.get("/api/v1/reports/quarterly/", {"area": "KFQ", "period": "2025Q3", "format": "html"})
    assert document.status_code == 200 and document["Content-Type"].startswith("text/html")
    assert NARRATIVE in document.content.decode() and "navbar" not in document.content.decode()
    assert api.get("/api/v1/reports/quarterly/", {"area": "KFQ", "period": "2025Q5"}).status_code == 400
    assert api.get("/api/v1/reports/quarterly/", {"area": "KFQ", "format": "pdf"}).status_code == 400


def test_workbook_sheets_figures_and_native_chart(client, staff, demo):
    response = client.get("/reports/quarterly.xlsx", {"area": "KFQ", "period": "2025Q3"})
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [
        "汇总",
        "分区域",
        "组建方式",
        "党员构成",
        "变化情况",
        "数字衔接",
        "单位明细",
        "待办事项",
        "覆盖率趋势",
        "上报核对",
    ]
    detail = list(workbook["单位明细"].values)
    assert len(detail) - 2 == 120  # title, header, every operating unit of the zone at the quarter's end
    assert sum(1 for row in detail[2:] if row[4] == "是" and row[3] == "非公企业") == 68
    summary = list(workbook["汇总"].values)
    assert summary[2][0] == NARRATIVE.split("。")[0] + "。"
    figure_rows = {row[0]: row[1:4] for row in summary if row and row[0] and "率" in str(row[0])}
    assert figure_rows["党组织覆盖率（规模以上非公企业）"][:2] == (35, 68)
    assert round(figure_rows["党组织覆盖率（规模以上非公企业）"][2], 3) == 0.515
    assert any(name.startswith("xl/charts/chart") for name in zipfile.ZipFile(io.BytesIO(content)).namelist())


def test_workbook_opens_in_libreoffice(demo, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (apt-get install libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "report.xlsx"
    with source.open("wb") as stream:
        write_quarterly_workbook(build_quarterly_report(demo, Q3), stream)
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_big_area_renders_in_a_job(client, staff, demo, settings, django_capture_on_commit_callbacks):
    settings.REPORT_INLINE_MAX_ENTERPRISES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/reports/quarterly.xlsx", {"area": "KFQ", "period": "2025Q3"})
    assert response.status_code == 302 and response["Location"] == "/reports/runs/"
    run = ReportRun.objects.get()
    assert (run.status, run.progress, run.period) == ("done", 100, Q3)  # Celery is eager in unit tests
    listing = client.get("/reports/runs/")
    assert f"/reports/runs/{run.pk}/download/" in listing.content.decode()
    assert "<td>2025Q3</td>" in listing.content.decode()
    download = client.get(f"/reports/runs/{run.pk}/download/")
    assert load_workbook(io.BytesIO(b"".join(download.streaming_content))).sheetnames[0] == "汇总"
    park = Area.objects.filter(parent=demo).first()
    client.force_login(make_user("park", role="park", area=park))
    assert client.get(f"/reports/runs/{run.pk}/download/").status_code == 404
    assert client.get("/reports/quarterly/", {"area": "KFQ", "period": "2025Q3"}).status_code == 404
