"""PostgreSQL as Django's own backend, with a health check a busy connection skips (`base`)."""
