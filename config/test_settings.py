"""Settings for the test suite: the real settings, with fast password hashing and tasks run
inline unless a test asks for the database backend."""

import os

os.environ.setdefault("MAILLAGE_DEV", "1")
os.environ.setdefault("TASKS_BACKEND", "immediate")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAILLAGE_REQUIRE_2FA_FOR_ADMINS = False
LANGUAGE_CODE = "fr"
# The browser tests check every page under the enforced Content-Security-Policy, whatever DEBUG says.
MAILLAGE_CSP_REPORT_ONLY = False
