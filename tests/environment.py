"""Loaded by pytest (``-p tests.environment``) before Django is set up: development defaults for the suite.

The caller's environment wins, so CI sets DATABASE_URL and CELERY_BROKER_URL to run the same suite on
PostgreSQL and Redis.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
