"""Settings for the coverage registry, read from the environment.

With nothing configured the registry runs embedded: SQLite and Celery in eager mode, DEBUG on. In production set
SECRET_KEY, DEBUG=0, DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis).
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "bootstrap",
    "auditlog",
    "axes",
    "csp",
    "registry",
    "orgs",
    "members",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.UploadSizeLimitMiddleware",
    "config.middleware.PlainQueryMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.ChangedQuartersMiddleware",  # inside MessageMiddleware: its message is stored
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.AuditlogMiddleware",  # django-auditlog's, with the address from registry.clientip
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = env.str("ROOT_URLCONF", default="config.urls")  # make bench adds a bare view
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.access",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    # Persistent connections: opening one costs more than a whole stats request.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Our server-side cursors (QuerySet.iterator: exports, workbooks) always read to the end, so plan them for every
    # row; PostgreSQL's default assumes the caller reads a tenth and may pick a plan twice as slow for the rest.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c cursor_tuple_fraction=1")
    if env.bool("DATABASE_POOL", default=False):
        DATABASES["default"]["OPTIONS"]["pool"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server and a management command read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    # Concurrent writers queue instead of failing with "database is locked": a transaction takes the write lock
    # when it begins (a deferred one that reads, then writes, fails at once if another writer got there first),
    # and waits up to 20 s for it. Writes are serialised, so a locked re-read and a version check are exact.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = env.int("SQLITE_BUSY_TIMEOUT", default=20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out logins before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
FIXTURE_DIRS = [BASE_DIR / "fixtures"]  # fixtures/demo.json: `manage.py loaddata demo`

# Celery: without a broker the embedded default runs tasks eagerly, in the web process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# A worker process whose resident memory grew past this (KiB) after a task is replaced by a fresh one, so one big
# import cannot leave a worker holding hundreds of MB; uploads are bounded before parsing by the IMPORT_* limits.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=300 * 1024)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 20 * 60,
    # Publishing must not hang a web request when Redis is down or stalled: one attempt, each connect, read and
    # write bounded to 2 s (registry.outbox then skips publishing for a while). The outbox keeps the work.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's hashed, expiring tokens ("Authorization: Token <token>"), remembered briefly in the cache
        "registry.api.auth.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "registry.api.base.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "registry.api.renderers.CSVRenderer",
        "registry.api.renderers.XLSXRenderer",
    ],
    "EXCEPTION_HANDLER": "registry.api.base.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per token user (or per address for anonymous calls); past the rate a client gets 429 with Retry-After.
    # Counted in each process's memory (registry/api/throttles.py): no cache round trip per request.
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.api.throttles.LocalAnonRateThrottle",
        "registry.api.throttles.LocalUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_RATE", default="6000/hour"),
        "anon": env.str("API_ANON_THROTTLE_RATE", default="600/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {"TOKEN_TTL": dt.timedelta(hours=env.int("API_TOKEN_HOURS", default=24 * 30))}
# A token that checked out is trusted this long without asking the database (registry/api/auth.py): a revoked
# token, a deactivated user or a changed role takes effect within it. Expiry is checked on every request.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=60)

# Cache: Redis (django-redis) when CACHE_URL or REDIS_URL is set, else each process's own memory (embedded default).
# A Redis outage never fails a request (IGNORE_EXCEPTIONS): reads miss and the database answers. Sessions stay in
# the database. The API's stored figures are cached in each process's memory ("local") per "figures generation",
# a number in the shared cache that every recompute that writes bumps (reports/figures.py); FIGURE_CACHE_SECONDS
# bounds what a generation cannot see: an area moved or an indicator edited, and without Redis (the generation is
# then per process) a recompute run by another process.
_CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if _CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": "registry",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "registry",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
# Always this process's memory: figures and API token checks (registry/api/auth.py), where a round trip to Redis
# on every request costs more than it saves (measured: it halves the coverage endpoint's throughput).
CACHES["local"] = {
    "BACKEND": "config.cache.ObjectCache",  # objects, not pickled copies, over cachetools (config/cache.py)
    "LOCATION": "registry-local",
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}
FIGURE_CACHE_SECONDS = env.int("FIGURE_CACHE_SECONDS", default=60)
API_DESCRIPTION = """党建覆盖台账 REST 接口：两新组织（非公有制企业和社会组织）、党组织、党员、党建指导员的登记，\
以及党的组织覆盖、工作覆盖等统计数字（每个百分数都同时给出分子和分母）。

**认证**：先用账号和密码换取令牌，之后每个请求都带上请求头 `Authorization: Token <令牌>`。

```
POST /api/v1/auth/token/
{"username": "zhangsan", "password": "••••••"}

200 {"token": "3f1c…"}
```

令牌有有效期（默认 30 天），过期或修改密码后重新获取。

**范围和权限**：每个账号只能看到本人所在区域及其下级区域的数据，区域之外的记录返回 404；\
只读角色（园区党工委、只读接口）写入时返回 403。

**约定**
- 日期写作 `2025-09-30`，季度写作 `2025Q3`。
- 百分数以字符串返回，四舍五入保留一位小数，例如 `"51.5"`；分母为 0 时为 `null`。
- 列表分页：`?page=2&page_size=100`（每页最多 1000 条），返回 `count`、`next`、`previous`、`results`。
- 列表和统计数字加 `?format=csv` 或 `?format=xlsx` 即下载为文件；其中身份证号码、联系电话和出生日期始终脱敏。
- 记录不能删除（DELETE 返回 405），以日期结束，例如单位的注销/迁出日期、党组织的撤销日期、党员的减少日期。
- 修改时可带请求头 `If-Match`（读取时得到的 `ETag`）：记录已被他人修改则返回 412，不保存。
- 出错时：400 返回 `{"字段名": ["说明"]}`，401、403、404 返回 `{"detail": "说明"}`，请求过于频繁返回 429。
"""
SPECTACULAR_SETTINGS = {
    # ASCII: client generators turn the title into a package name ("coverage-registry-api-client"); a Chinese one
    # is not a valid requirement and the generated client cannot be installed. The Chinese name is in the text.
    "TITLE": "Coverage Registry API",
    "DESCRIPTION": API_DESCRIPTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our own static files, never a CDN
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",  # ours (config/urls.py), not Swagger's
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations are grouped (tags) and named (operationId, e.g. coverage_retrieve) by the path after /api/v1/.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Texts for clients in place of developers' docstrings (registry/api/docs.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.docs.client_texts",
    ],
    "TAGS": [
        {"name": "auth", "description": "令牌：用账号和密码换取接口令牌"},
        {
            "name": "coverage",
            "description": "覆盖统计：覆盖率（分子、分母）、季度走势、统计口径、计入统计的单位",
        },
        {"name": "reports", "description": "季度调查报告：Excel 工作簿或可打印的网页"},
        {"name": "development", "description": "发展党员统计：年度计划完成情况和各阶段人数"},
        {
            "name": "submissions",
            "description": "季度报送：园区核实后报送，区委组织部审核通过或退回；报送进度",
        },
        {"name": "reported-figures", "description": "上报数字：向上级报送的党内统计数字，与台账计算结果核对"},
        {"name": "areas", "description": "区域：区/开发区、园区、片区/街道、社区，逐级组成区域树"},
        {"name": "enterprises", "description": "两新组织（非公企业、社会组织）：登记、修改、注销/迁出"},
        {"name": "organizations", "description": "党组织：单独组建、联合组建，及其覆盖的单位"},
        {"name": "members", "description": "党员：登记、组织关系转接、转正、延长预备期、历史记录"},
        {"name": "instructors", "description": "党建指导员"},
        {
            "name": "instructor-assignments",
            "description": "党建指导员选派：指导员派驻到哪个单位、从何时到何时",
        },
        {"name": "applicants", "description": "发展党员：入党申请人、入党积极分子、发展对象"},
        {"name": "development-plans", "description": "发展党员指导性计划：每个区域每年一条"},
        {
            "name": "instructor-visits",
            "description": "党建指导员走访记录：指导员哪天走访、指导了哪个单位，内容和发现的问题",
        },
        {
            "name": "enterprise-requests",
            "description": "企业诉求：单位提出的诉求、受理和办结日期、办理结果，以及季度办结率",
        },
        {"name": "imports", "description": "Excel 批量导入：模板下载、校验（试导入）和导入、后台任务进度"},
        {
            "name": "instructor-evaluations",
            "description": "指导员年度考核：按考核细则计算的各项得分、总分和等次",
        },
    ],
}

# Production hardening: on unless DEBUG.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SILENCED_SYSTEM_CHECKS = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Coverage engine: the first quarter the registry reports on, and the beat schedule that keeps figures fresh.
COVERAGE_FIRST_PERIOD = env.str("COVERAGE_FIRST_PERIOD", default="2023Q1")
# Quarter close (季度报送): the areas that submit (codes; default every area directly under the district) and how
# many days after a quarter's end their submission is due.
SUBMISSION_AREAS = env.list("SUBMISSION_AREAS", default=[])
SUBMISSION_DUE_DAYS = env.int("SUBMISSION_DUE_DAYS", default=10)
# Quarterly workbooks of areas with more units than this render in a Celery job instead of in the request.
REPORT_INLINE_MAX_ENTERPRISES = env.int("REPORT_INLINE_MAX_ENTERPRISES", default=5000)
CELERY_BEAT_SCHEDULE = {
    "sweep-recompute-outbox": {"task": "reports.sweep_outbox", "schedule": 60.0},
    "refresh-current-period": {"task": "reports.refresh_current_period", "schedule": 6 * 3600.0},
    "delete-expired-api-tokens": {"task": "reports.delete_expired_tokens", "schedule": 3600.0},
}

# Excel import limits (registry.excel.sheets): checked before openpyxl parses anything; IMPORT_MAX_ROWS against
# the sheet's declared dimension too, so an oversized sheet is refused before a row is parsed.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_ZIP_RATIO = env.int("IMPORT_MAX_ZIP_RATIO", default=200)
IMPORT_MAX_ZIP_ENTRIES = env.int("IMPORT_MAX_ZIP_ENTRIES", default=1000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
# Uploads larger than this run as a Celery job (registry.ImportJob) instead of inside the API request.
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", default=512 * 1024)

# Roles, audit and hardening (issue 6).
# Every create/update/end of these records is logged field by field (django-auditlog); personal data is masked.
_MASK = "registry.masking.mask_for_log"
_STAMPS = ["created_at", "updated_at"]  # every save changes updated_at: not worth a line in the history
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "registry.Area",
    {
        "model": "registry.Enterprise",
        "exclude_fields": _STAMPS,
        "mask_fields": ["contact_phone"],
        "mask_callable": _MASK,
    },
    "registry.AboveScalePeriod",
    "registry.UserProfile",
    {"model": "orgs.PartyOrganization", "exclude_fields": _STAMPS},
    "orgs.OrganizationLink",
    {
        "model": "members.Member",
        "exclude_fields": _STAMPS,
        "mask_fields": ["id_number", "phone"],
        "mask_callable": _MASK,
    },
    {
        "model": "members.Instructor",
        "exclude_fields": _STAMPS,
        "mask_fields": ["phone"],
        "mask_callable": _MASK,
    },
    "members.InstructorAssignment",
    "members.Membership",
    "members.Employment",
    "members.Mobility",
    {
        "model": "members.Applicant",
        "exclude_fields": _STAMPS,
        "mask_fields": ["id_number", "phone"],
        "mask_callable": _MASK,
    },
    {"model": "members.DevelopmentPlan", "exclude_fields": _STAMPS},
    {"model": "members.InstructorVisit", "exclude_fields": _STAMPS},
    {"model": "members.EnterpriseRequest", "exclude_fields": _STAMPS},
    {"model": "members.InstructorTask", "exclude_fields": ["created_at"]},
    {"model": "members.TaskCompletion", "exclude_fields": ["created_at"]},
    "members.TaskRecipient",
    "members.EvaluationScheme",
    "members.EvaluationItem",
    {"model": "members.EvaluationEntry", "exclude_fields": ["updated_at"]},
    # A submission's steps (its report snapshot is kept on the row, not repeated in the log).
    {
        "model": "reports.Submission",
        "exclude_fields": ["updated_at", "figures", "report_html", "report_file"],
    },
    {"model": "reports.ReportedFigure", "exclude_fields": ["recorded_at"]},
)
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Login lockout (django-axes, database handler): 5 failures of one username from one address lock it.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "registry.api.auth.lockout_response"  # JSON under /api/, the lockout page elsewhere
# The lockout keys on the client's address. Behind a reverse proxy, name it here (addresses or networks, comma-
# separated): only a connection from one of them has its X-Forwarded-For read (registry/clientip.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "registry.clientip.client_ip"

# Content Security Policy (django-csp): our own origin only, no inline script. data: images are Bootstrap's
# inline SVG icons (select arrows, check marks), not an outside origin.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Upload limits: a request body larger than MAX_UPLOAD_BYTES is refused with 413 before it is read;
# form fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE are refused by Django; files above
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to disk instead of memory.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
