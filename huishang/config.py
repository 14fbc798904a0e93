"""Configuration, read from the environment.

Every variable is listed with a comment in `.env.example`. No production default exists for
`SECRET_KEY`: outside development and testing the app refuses to start without one.
"""
import os
import tempfile
from pathlib import Path

from .localtime import DISTRICT_ZONE_NAME

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(url: str | None) -> str:
    """Normalise a DATABASE_URL so that PostgreSQL goes through psycopg 3."""
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'huishang.sqlite'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = os.environ.get("HUISHANG_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    REDIS_URL = os.environ.get("REDIS_URL")
    DISTRICT_NAME = os.environ.get("DISTRICT_NAME", "徐汇区")

    # Sessions and cookies: secure by default behind HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies default on in production (HUISHANG_ENV=production), which runs behind TLS.
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Behind nginx / a load balancer: trust X-Forwarded-For/-Proto/-Host from this many proxies
    # (0 = do not trust them; never set it when clients can reach gunicorn directly).
    TRUST_PROXY = int(os.environ.get("TRUST_PROXY", "0") or 0)
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    TOKEN_MAX_AGE = int(os.environ.get("TOKEN_MAX_AGE", 12 * 3600))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Inspections: default days to rectify a 基本符合/不符合 result; merchants' self-check cadence.
    RECTIFICATION_DAYS = int(os.environ.get("RECTIFICATION_DAYS", 7))
    SELF_CHECK_INTERVAL_DAYS = int(os.environ.get("SELF_CHECK_INTERVAL_DAYS", 30))
    CLAIM_CODE_DAYS = int(os.environ.get("CLAIM_CODE_DAYS", 30))
    QUESTION_ANSWER_DAYS = int(os.environ.get("QUESTION_ANSWER_DAYS", 2))
    NOTIFY_SENDER = os.environ.get("NOTIFY_SENDER") or None
    # Messages beyond the app (docs/messages.md): e-mail over SMTP, SMS through Alibaba Cloud's
    # SendSms API. A channel with no settings is off. At most MESSAGES_DAILY_CAP a day per address.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 25) or 25)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    SMTP_SSL = _bool("SMTP_SSL", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "")
    SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
    SMS_ACCESS_KEY_ID = os.environ.get("SMS_ACCESS_KEY_ID", "")
    SMS_ACCESS_KEY_SECRET = os.environ.get("SMS_ACCESS_KEY_SECRET", "")
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
    SMS_TEMPLATES = os.environ.get("SMS_TEMPLATES", "")  # JSON: {"complaint_forwarded": "SMS_1234", ...}
    MESSAGES_DAILY_CAP = int(os.environ.get("MESSAGES_DAILY_CAP", 5) or 5)

    # Internationalisation: Chinese first, English available.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = DISTRICT_ZONE_NAME  # the district's clock: huishang.localtime
    LANGUAGES = ("zh", "en")

    # flask-smorest / OpenAPI
    API_TITLE = "Huishang 汇商码 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Rate limits: Redis when configured so limits hold across processes.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    # Several deployments (or test runs) may share one Redis: keep their counters apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "huishang")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis restarting: count in this process meanwhile, and go back to Redis by itself once it
    # answers again (scripts/drill_scale_out.py measures it), rather than answering 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)

    WTF_CSRF_TIME_LIMIT = None

    # Breakfast map tiles (empty URL: points drawn without a base map). MAP_TILE_ORIGIN joins the
    # CSP img-src; MAP_TILE_CRS is the tiles' datum: wgs84, or gcj02 for Chinese providers.
    # MAP_TILE_PROVIDER names a known provider instead (amap: GCJ-02, converted; tianditu: needs
    # MAP_TILE_KEY; osm) and overrides the five custom settings (services.core.geo.tile_settings).
    MAP_TILE_PROVIDER = os.environ.get("MAP_TILE_PROVIDER", "")
    MAP_TILE_KEY = os.environ.get("MAP_TILE_KEY", "")
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ORIGIN = os.environ.get("MAP_TILE_ORIGIN", "")
    MAP_TILE_CRS = os.environ.get("MAP_TILE_CRS", "wgs84")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    MAP_TILE_SUBDOMAINS = os.environ.get("MAP_TILE_SUBDOMAINS", "abc")  # what {s} in the URL cycles through
    # Where `flask opendata export` writes the daily zip that /open-data/latest.zip serves.
    OPENDATA_DIR = os.environ.get("OPENDATA_DIR", str(INSTANCE_DIR / "opendata"))
    OPENDATA_LICENCE = os.environ.get("OPENDATA_LICENCE", "CC BY 4.0")

    # Background jobs (docs/deploy.md §9, docs/configuration.md). Celery on Redis when a broker is
    # configured (CELERY_BROKER_URL, else REDIS_URL); without one, jobs run in this process.
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or None
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
    # celery | thread | inline: where a started job runs (default: celery with a broker, else a thread).
    JOBS_RUNNER = os.environ.get("JOBS_RUNNER") or ("celery" if CELERY_BROKER_URL else "thread")
    JOB_FILES_DIR = os.environ.get("JOB_FILES_DIR") or str(INSTANCE_DIR / "jobs")
    JOB_FILES_DAYS = int(os.environ.get("JOB_FILES_DAYS", 7))  # finished jobs and their files are kept this long
    # A message a killed worker held goes to another worker after this many seconds: longer than the
    # longest job (a running job's heartbeat keeps it from being taken twice; see JOB_STALE_SECONDS).
    JOB_VISIBILITY_TIMEOUT = int(os.environ.get("JOB_VISIBILITY_TIMEOUT", 3600))
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", 120))  # no heartbeat this long: its worker died
    # Beat sends again jobs queued this long without a worker taking them (a broker outage lost them).
    JOB_REQUEUE_SECONDS = int(os.environ.get("JOB_REQUEUE_SECONDS", 60))
    JOB_IMPORT_MAX_ROWS = int(os.environ.get("JOB_IMPORT_MAX_ROWS", 200_000))
    JOB_PLATE_WORKERS = int(os.environ.get("JOB_PLATE_WORKERS", 1))  # processes per plates job (prefork: 1)
    # Published citizen faces (services/scan/faces/published.py): the nightly `scan-faces` job renders
    # every shop's face ahead in these languages; anonymous scans are then served without rendering.
    SCAN_PUBLISHED_FACES = _bool("SCAN_PUBLISHED_FACES", True)
    SCAN_PUBLISHED_LOCALES = tuple(x for x in os.environ.get("SCAN_PUBLISHED_LOCALES", "zh,en").split(",") if x)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 — tests only
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    PUBLIC_BASE_URL = "https://hs.example.gov.cn"
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = False
    REDIS_URL = None
    CELERY_BROKER_URL = None
    CELERY_RESULT_BACKEND = None
    JOBS_RUNNER = "inline"  # a started job has finished when the request that started it answers
    JOB_FILES_DIR = os.path.join(tempfile.gettempdir(), "huishang-test-jobs")


def check(config) -> None:
    """Refuse to run in production without a secret key."""
    env = config.get("ENV_NAME", "development")
    if not config.get("SECRET_KEY"):
        if env in {"development", "testing"}:
            config["SECRET_KEY"] = "dev-only-insecure-key"  # noqa: S105 — refused in production
        else:
            raise RuntimeError("SECRET_KEY must be set outside development and tests")
