"""Settings of the messaging benchmark's child processes: the test settings, with email going
to the SMTP server the benchmark started (BENCH_SMTP_PORT)."""

import os

from config.test_settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "25"))
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
LOGGING_CONFIG = None
