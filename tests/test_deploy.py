"""Production settings pass Django's deployment checklist and refuse to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k8Qz-3vTn_Yp2LwR9sXe5HjB7uGcA4mD1fK6oN0iVbS_tE8yW-qZ3rU7xJ2hL5gP9cM"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    assert len(PRODUCTION_KEY) >= 50
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="registry.example.org",
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


def test_refuses_to_start_without_secret_key_when_not_debug():
    result = manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="registry.example.org")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
