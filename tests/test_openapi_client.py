"""A REST client generated from /api/schema/ installs and reads a coverage figure (issue 16, point 17).

openapi-python-client names the client's distribution after the schema's title: a Chinese title gave
"党建覆盖台账-api-client", which no installer accepts. The whole path a client's developer takes is run here:
read the schema from a live server, generate the client, install it with pip, log in and read a figure through it.
Installed offline (``--no-index --no-build-isolation``): the generated project's build backend (pdm-backend) and
its dependencies (httpx, attrs) are dev dependencies, so the test needs no network.
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from registry.models import Area
from registry.periods import Quarter
from reports.engine.figures import headline_indicator, stored_figure
from reports.engine.recompute import recompute
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

# The live server needs committed data (as the browser tests, tests/e2e/conftest.py).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

Q3 = Quarter(2025, 3)
PASSWORD = "client-Pass-12345"


def run(*args: str | Path, cwd: Path) -> None:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{args[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


@pytest.fixture
def world():
    """Two of three above-scale units covered: one by an organisation, one by an instructor only."""
    zone = AreaFactory(code="Z", kind="district")
    park = AreaFactory(code="P1", parent=zone)
    firms = [EnterpriseFactory(area=park, name=f"企业{i}") for i in range(3)]
    for firm in firms:
        AboveScalePeriodFactory(enterprise=firm)
    org = LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=park)).organization
    AssignmentFactory(enterprise=firms[1], start=dt.date(2025, 8, 1))
    MemberFactory(organization=org)
    recompute(periods=[Q3])
    make_user("api-client", role="reader", area=zone, password=PASSWORD)
    return zone


def test_generated_client_installs_and_reads_coverage(live_server, world, tmp_path, monkeypatch):
    response = httpx.get(f"{live_server.url}/api/schema/", timeout=30)
    assert response.status_code == 200
    (tmp_path / "schema.yaml").write_text(response.text, encoding="utf-8")
    # No formatter run on the generated code: nothing here depends on its layout, and ruff need not be on PATH.
    (tmp_path / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    run(
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        "schema.yaml",
        "--config",
        "config.yaml",
        "--meta",
        "pdm",  # a pyproject.toml built by pdm-backend (the default, poetry-core, is a heavier dependency)
        "--output-path",
        "client",
        cwd=tmp_path,
    )
    # The names come from the schema's title, as for anyone generating a client: not overridden here, so a title
    # that makes an invalid project name fails the install below.
    (package,) = [path.parent.name for path in (tmp_path / "client").glob("*/client.py")]
    run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "--target",
        "site",
        "./client",
        cwd=tmp_path,
    )
    installed = tmp_path / "site"
    assert (installed / package / "client.py").exists()
    monkeypatch.syspath_prepend(str(installed))

    client_module = importlib.import_module(f"{package}.client")
    token_api = importlib.import_module(f"{package}.api.auth.auth_token_create")
    coverage_api = importlib.import_module(f"{package}.api.coverage.coverage_retrieve")
    models = importlib.import_module(f"{package}.models")

    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    login = token_api.sync(
        client=anonymous, body=models.TokenRequestRequest(username="api-client", password=PASSWORD)
    )
    assert isinstance(login, models.TokenResponse) and login.token

    client = client_module.AuthenticatedClient(base_url=live_server.url, token=login.token, prefix="Token")
    figure = coverage_api.sync(client=client, area="Z", period=str(Q3))

    expected = stored_figure(Area.objects.get(code="Z"), Q3, headline_indicator())
    assert isinstance(figure, models.Figure)
    assert (figure.area, figure.period, figure.indicator) == ("Z", "2025Q3", expected.indicator.code)
    assert (figure.numerator, figure.denominator) == (expected.numerator, expected.denominator) == (1, 3)
    assert figure.percent == str(expected.percent) == "33.3"
    assert figure.as_of == dt.date(2025, 9, 30)  # typed: a date, not the string the JSON carries
    assert figure.breakdown.single == 1 and figure.breakdown.work == 1 and figure.breakdown.none == 1
