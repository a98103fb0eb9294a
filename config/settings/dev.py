"""Local development and `make run`: embedded database and broker unless set.

DEBUG is on by default (Django's technical pages for `manage.py runserver`); `make run` sets
DEBUG=false so that people trying the clinic meet its own 404, 403 and 500 pages, as in
production. Everything else here holds either way: a development key, plain HTTP, static files
from their folders (runall serves them with `runserver --insecure`), SMS to the console."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "insecure-development-key-never-use-in-production")
os.environ.setdefault("SMS_BACKEND", "console")

from .base import *  # noqa: E402, F403

ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]  # noqa: F405
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False
# No collectstatic step: templates name the files as they are in STATICFILES_DIRS.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
