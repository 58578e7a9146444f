from django.urls import URLPattern, URLResolver

app_name = "phonebank"

urlpatterns: list[URLPattern | URLResolver] = []
