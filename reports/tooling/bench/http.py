"""P4: the coverage endpoint under wrk against a bare Django view, alone and while a recompute runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from django.db import connection

from .common import BASE_DIR, Row, bench_user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# wrk spreading its requests over many paths and tokens: each request takes the next path of a shuffled list (a
# file, one path per line) and the next token, so a per-process cache sees traffic as a real client mix makes it.
SPREAD_SCRIPT = """
local paths, tokens, n = {}, {}, 0
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
for token in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do tokens[#tokens + 1] = token end
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n - 1) % #paths + 1], {["Authorization"] = "Token " .. tokens[(n - 1) % #tokens + 1]})
end
"""


def _wrk(url: str, seconds: int, headers: dict[str, str], script: str | None = None, env=None) -> dict:
    args = ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    if script:
        args += ["-s", script]
    text = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses:\s+(\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        match = re.search(pattern, text)
        if match:
            errors += sum(int(g) for g in match.groups())
    return {"rps": rps, "p99": p99_ms, "errors": errors}


SPREAD_URLS = 10_000
SPREAD_TOKENS = 8


def _spread_paths(path: str) -> int:
    """Write up to SPREAD_URLS distinct coverage paths (area × quarter × indicator with a stored figure), shuffled
    with a fixed seed, one per line; returns how many."""
    import random

    from reports.models import Snapshot

    combos = list(
        Snapshot.objects.order_by("area__code", "period", "indicator__code").values_list(
            "area__code", "period", "indicator__code"
        )
    )
    random.Random(725).shuffle(combos)
    combos = combos[:SPREAD_URLS]
    with open(path, "w") as handle:
        for area, period, indicator in combos:
            handle.write(f"/api/v1/coverage/?area={area}&period={period}&indicator={indicator}\n")
    return len(combos)


def _spread_tokens() -> list[str]:
    """SPREAD_TOKENS readers of the whole synthetic province, one fresh token each."""
    from django.contrib.auth.models import User
    from knox.models import AuthToken

    from registry.models import Area, UserProfile

    root = Area.objects.get(code="SYN")
    tokens = []
    for i in range(SPREAD_TOKENS):
        user, created = User.objects.get_or_create(username=f"bench-reader-{i}")
        if created:
            UserProfile.objects.create(user=user, role="reader", area=root)
        AuthToken.objects.filter(user=user).delete()
        tokens.append(AuthToken.objects.create(user)[1])
    return tokens


def bench_http(seconds: int, out) -> list[Row]:
    from knox.models import AuthToken

    from registry.periods import Quarter

    if shutil.which("wrk") is None:
        out("  wrk is not installed (`apt-get install wrk`): skipping P4")
        return []
    reader = bench_user("reader")
    AuthToken.objects.filter(user=reader).delete()  # one token per run, not one more each time
    _instance, token = AuthToken.objects.create(reader)
    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-0123456789-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "API_THROTTLE_RATE": "100000000/hour",
        "ROOT_URLCONF": "config.bench_urls",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        stats_url = f"{base}/api/v1/coverage/?area=SYN&period={Quarter.current()}"
        auth = {"Authorization": f"Token {token}"}
        _wrk(stats_url, 2, auth)  # warm-up
        _wrk(f"{base}/bench/bare/", 2, {})
        bare = _wrk(f"{base}/bench/bare/", seconds, {})
        stats = _wrk(stats_url, seconds, auth)
        busy = threading.Event()

        def recompute_loop():
            from django.db import connections

            from reports.engine.recompute import recompute

            while not busy.is_set():
                recompute(periods=[Quarter.current()])
            connections.close_all()

        worker = threading.Thread(target=recompute_loop)
        worker.start()
        try:
            during = _wrk(stats_url, seconds, auth)
        finally:
            busy.set()
            worker.join()

        # Realistic traffic: many URLs, several tokens, so the per-process cache is mostly cold.
        with tempfile.TemporaryDirectory() as folder:
            paths = os.path.join(folder, "paths.txt")
            script = os.path.join(folder, "spread.lua")
            with open(script, "w") as handle:
                handle.write(SPREAD_SCRIPT)
            count = _spread_paths(paths)
            spread_env = {"BENCH_PATHS": paths, "BENCH_TOKENS": ",".join(_spread_tokens())}
            out(f"  spreading requests over {count} URLs and {SPREAD_TOKENS} tokens")
            spread = _wrk(base, seconds, {}, script, spread_env)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return [
        Row(
            "P4 coverage endpoint throughput (req/s)",
            stats["rps"],
            "req/s",
            bare["rps"],
            "≥ 0.5 × bare Django view",
            stats["rps"] >= 0.5 * bare["rps"],
        ),
        Row("P4 coverage endpoint p99 latency", stats["p99"], "ms", None, "≤ 100 ms", stats["p99"] <= 100),
        Row(
            "P4 errors",
            stats["errors"] + during["errors"],
            "",
            None,
            "0",
            stats["errors"] + during["errors"] == 0,
        ),
        Row("P4 throughput while a recompute runs", during["rps"], "req/s", bare["rps"], "(reported)", None),
        Row("P4 p99 while a recompute runs", during["p99"], "ms", None, "≤ 100 ms", during["p99"] <= 100),
        Row(
            f"P4 spread over {count} URLs × {SPREAD_TOKENS} tokens (req/s)",
            spread["rps"],
            "req/s",
            bare["rps"],
            "≥ 0.5 × bare Django view",
            spread["rps"] >= 0.5 * bare["rps"],
        ),
        Row("P4 spread p99 latency", spread["p99"], "ms", None, "≤ 100 ms", spread["p99"] <= 100),
        Row("P4 spread errors", spread["errors"], "", None, "0", spread["errors"] == 0),
    ]
