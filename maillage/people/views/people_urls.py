"""Routes of the people, segment, dedupe and GDPR pages."""

urlpatterns: list = []
