from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_the_five_services():
    assert set(load_compose()["services"]) == {"postgres", "redis", "web", "worker", "beat"}


def test_app_services_share_one_image_built_from_the_dockerfile():
    services = load_compose()["services"]

    builds = {name: (services[name]["build"], services[name]["image"]) for name in ("web", "worker", "beat")}

    assert builds == {name: (".", "coverage-registry:latest") for name in ("web", "worker", "beat")}
    assert (ROOT / "Dockerfile").is_file()
    assert "python:3.11-slim" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_app_services_run_the_right_processes():
    services = load_compose()["services"]

    assert "gunicorn config.wsgi --bind 0.0.0.0:8000" in services["web"]["command"]
    assert services["worker"]["command"] == ["celery", "-A", "config", "worker", "-l", "info"]
    assert services["beat"]["command"] == ["celery", "-A", "config", "beat", "-l", "info"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].endswith("@postgres:5432/registry")
        assert services[name]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
