from django.urls import URLPattern, URLResolver

app_name = "canvassing"

urlpatterns: list[URLPattern | URLResolver] = []
