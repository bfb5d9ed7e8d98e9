"""Settings shared by every environment. Everything that differs between machines comes
from the environment (see the README's configuration table)."""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
# The embedded SQLite database, file cache and uploads live here: create it on first start.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,.localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A form sent from an expired page gets a French page in the collectivity's frame.
CSRF_FAILURE_VIEW = "portal.error_views.csrf_failure"

INSTALLED_APPS = [
    "portal",
    "cms_pages",
    "family",
    "planning",
    "billing",
    "pieces",
    "notifications",
    "wagtail.contrib.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail_modeladmin",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_q",
    "csp",
    "allauth",
    "allauth.account",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.security.SecurityHeadersMiddleware",  # CSP (django-csp), Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.tenancy.CollectivityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.tenancy.AdminMembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.collectivity",
            ],
        },
    },
]

# --- Database: SQLite file by default, anything dj-database-url understands otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portail.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task cluster share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and task broker: Redis when REDIS_URL is set, else a file cache (shared by all
# processes of one machine, which allauth's rate limits need) and django-q2's ORM broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portail",
        }
    }
    # Sessions read from Redis (written through to the database, which stays the record):
    # one query fewer on every page of a logged-in parent. Not with the file cache, whose
    # 300 entries a registration rush's sessions would keep culling.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            # Django's file cache with an atomic ``add`` (the throttles need it).
            "BACKEND": "portal.cache.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

Q_CLUSTER = {
    "name": "portail",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "catch_up": False,
    "label": "Tâches planifiées",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Accounts
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:account_space"  # « Mon espace citoyen »
ACCOUNT_ADAPTER = "notifications.accounts.AccountAdapter"  # e-mails through the outbox
ACCOUNT_FORMS = {"signup": "family.forms.signup.SignupForm"}
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link scanner opening the link activates nothing
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False  # the parent logs in after activating
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_CHANGE_EMAIL = True  # a new address is confirmed before it replaces the old one
# The self-hosted CAPTCHA of the sign-up form (portal/captcha.py).
PORTAL_CAPTCHA_ENABLED = env_bool("PORTAL_CAPTCHA_ENABLED", True)
# The payment simulator (billing/views/simulator.py) that stands for the provider in the demo
# and the browser tests: on in dev and test settings only, its URLs absent otherwise.
PORTAL_PAYMENT_SIMULATOR = False
# Supporting documents (pieces/): the size limit per file and per upload, and the antivirus.
PORTAL_DOCUMENT_MAX_BYTES = int(os.environ.get("PORTAL_DOCUMENT_MAX_MB", "10")) * 1024 * 1024
PORTAL_DOCUMENT_MAX_FILES = int(os.environ.get("PORTAL_DOCUMENT_MAX_FILES", "5"))
# clamd (pieces/antivirus.py): off unless a socket or a host is given. On, a file stays
# « analyse en cours » until clamd says it is clean; unreachable, it waits (fails closed).
PORTAL_CLAMD = (
    {"socket": os.environ["PORTAL_CLAMD_SOCKET"]}
    if os.environ.get("PORTAL_CLAMD_SOCKET")
    else {
        "host": os.environ["PORTAL_CLAMD_HOST"],
        "port": int(os.environ.get("PORTAL_CLAMD_PORT", "3310")),
    }
    if os.environ.get("PORTAL_CLAMD_HOST")
    else None
)
if PORTAL_CLAMD:
    PORTAL_CLAMD["timeout"] = float(os.environ.get("PORTAL_CLAMD_TIMEOUT", "30"))
# Behind N reverse proxies, the client address is the N-th from the right of X-Forwarded-For
# (allauth's rate limits and the subscriber-code throttle both use it).
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/15m/ip,5/15m/key",
    "signup": "20/h/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "5/h/ip,3/h/key",
    "resend_activation": "10/h/ip,3/h/key",
}
# The project's own throttles (portal.throttle): (attempts, seconds), per subject. Each takes
# its slot before the check it guards, so parallel requests cannot pass more than the limit.
PORTAL_THROTTLES = {
    # Wagtail's admin log-in (portal.accounts.admin_login), per address and per e-mail.
    "admin_login": (5, 15 * 60),
    # Subscriber-code look-ups that fail, per account and per address.
    "subscriber_code": (5, 15 * 60),
    # Sign-ups through the CAPTCHA's question (no JavaScript), per address: far fewer than
    # with the proof of work (ACCOUNT_RATE_LIMITS["signup"], 20 an hour).
    "signup_question": (3, 60 * 60),
}

# --- Internationalisation: French is the source language of the UI.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français")]
WAGTAILADMIN_USER_LOGIN_FORM = "portal.forms.AdminLoginForm"

# --- Files: static through WhiteNoise; uploads in a local folder or S3-compatible storage.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # The ALTCHA widget, installed by npm (package.json), never copied into the repo.
    ("vendor/altcha", BASE_DIR / "node_modules" / "altcha" / "dist" / "main"),
    ("vendor/altcha/i18n", BASE_DIR / "node_modules" / "altcha" / "dist" / "i18n"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Private files (documents, health data, photos, PDFs) never get a public URL: they are
# served by permission-checked views only.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))

STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    _s3_options = {
        "bucket_name": os.environ.get("S3_BUCKET", ""),
        "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("S3_REGION") or None,
        "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3_options, "location": "media"},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3_options, "location": "private"},
        },
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
        },
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# --- E-mail
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Portail Famille <ne-pas-repondre@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Wagtail
WAGTAIL_SITE_NAME = "Portail Famille"
# Pages restricted to logged-in visitors send them to allauth's log-in, never Wagtail's own.
WAGTAIL_FRONTEND_LOGIN_URL = "/compte/connexion/"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://localhost:8000")
WAGTAILDOCS_EXTENSIONS = ["pdf", "odt", "docx", "png", "jpg", "jpeg"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Security headers (portal/security.py). Public pages: no inline script, no style
# attribute; the nonce is for the collectivity's colour (base.html) and the ALTCHA widget's
# stylesheet; ALTCHA's proof-of-work runs in workers started from blob: URLs.
_CSP_IMG_SRC = [SELF, "data:"]
if STORAGE_BACKEND == "s3":  # CMS images are served from the bucket
    from urllib.parse import urlsplit

    _endpoint = urlsplit(os.environ.get("S3_ENDPOINT_URL") or "")
    _CSP_IMG_SRC.append(
        f"{_endpoint.scheme}://{_endpoint.netloc}"
        if _endpoint.netloc
        else f"https://{os.environ.get('S3_BUCKET', '')}.s3.amazonaws.com"
    )
_CSP_COMMON = {
    "default-src": [SELF],
    "img-src": _CSP_IMG_SRC,
    "font-src": [SELF],
    "connect-src": [SELF],
    "worker-src": [SELF, "blob:"],
    "object-src": [NONE],
    "base-uri": [SELF],
    # After « Payer », the confirmation form's answer redirects to PayFiP (form-action
    # governs the redirects that follow a form submission).
    "form-action": [SELF, "https://www.payfip.gouv.fr"],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
    }
}
# The back office (/admin/ only): Wagtail's templates carry inline scripts and style
# attributes, its previews open in a same-origin frame.
PORTAL_ADMIN_CONTENT_SECURITY_POLICY = {
    **_CSP_COMMON,
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [*_CSP_IMG_SRC, "blob:"],
    "font-src": [SELF, "data:"],
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
}
PORTAL_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# No avatar requests to a third party from the back office (and none the policy would block).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Tenancy wiring (portal must not import the domain apps; they are named here).
PORTAL_EDITOR_SITE_SETTINGS = [
    "portal.Collectivity",
    "cms_pages.NavigationSettings",
    "cms_pages.BrandingSettings",
]
# Django permissions every agent group gets ("app_label.codename"); domain apps add theirs.
PORTAL_AGENT_PERMISSIONS: list[str] = [
    "family.view_family",
    "family.add_family",
    "family.change_family",
    "family.view_subscription",
    "family.delete_subscription",
    "family.view_changerequest",
    "family.change_changerequest",
    "family.view_authorizationtype",
    "family.add_authorizationtype",
    "family.change_authorizationtype",
]
# Demo loaders, in order (see portal/demo.py).
PORTAL_DEMO_LOADERS = [
    "cms_pages.demo.load",
    "family.demo.load",
    "planning.demo.load",
    "billing.demo.load",
    "pieces.demo.load",
]
