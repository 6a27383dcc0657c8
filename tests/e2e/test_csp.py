"""Under the Content Security Policy the pages and the API docs still work in a real browser: no violations."""

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.test_enterprise_entry import PASSWORD, log_in
from tests.factories import AreaFactory, EnterpriseFactory

pytestmark = pytest.mark.e2e


def test_no_csp_violations_on_pages_and_api_docs(page, live_server, server_errors):
    get_user_model().objects.create_superuser("csp-admin", email="", password=PASSWORD)
    firm = EnterpriseFactory(area=AreaFactory(code="KFQ", name="经济开发区", kind="district"))
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and violations.append(f"{page.url}: {msg.text}"),
    )
    log_in(page, "csp-admin", PASSWORD)
    for url in ["/enterprises/", f"/enterprises/{firm.pk}/", "/enterprises/new/", "/members/", "/periods/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # Swagger UI started from its script file
    assert violations == []
    assert server_errors == []
