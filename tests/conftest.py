import pytest

from config.celery import app as celery_app

# A shared helper module whose asserts should read like the tests' own (tests.excel is also a fixture plugin).
pytest.register_assert_rewrite("tests.excel")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """The SQLite test database is a file, like the embedded default: an in-memory one shared between threads
    locks whole tables and fails at once instead of waiting, so concurrent writers (tests/test_concurrency.py)
    could not be tested on it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")
        # A test database need not survive a power cut: skip the fsyncs.
        database["OPTIONS"]["init_command"] = (
            database["OPTIONS"].get("init_command", "") + "PRAGMA synchronous=OFF;"
        )


@pytest.fixture(autouse=True)
def _celery_mode(request):
    """Unit tests run tasks inline; only tests marked ``integration`` talk to a real broker and worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded and generated files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_caches():
    """Each test starts with empty caches: cached figures, tokens and throttle counts never leak between tests."""
    from django.core.cache import caches

    for alias in ("default", "local"):
        caches[alias].clear()
    yield
