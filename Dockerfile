# One image for web (gunicorn), worker and beat (Celery). Build: docker compose build
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them (the project installs no packages of its own:
# the apps run from /app).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files are collected at build time and served by WhiteNoise; the key is a throwaway for this step only.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-build-step-key ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home-dir /app registry \
    && mkdir -p /app/var/media \
    && chown -R registry /app/var

USER registry
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
