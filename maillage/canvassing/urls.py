from django.urls import URLPattern, URLResolver

from maillage.canvassing.doorstep.urls import urlpatterns as doorstep_urlpatterns

app_name = "canvassing"

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += doorstep_urlpatterns
