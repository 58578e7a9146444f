"""Routes of the import pages."""

urlpatterns: list = []
