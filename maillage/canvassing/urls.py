from django.urls import URLPattern, URLResolver

from maillage.canvassing.doorstep.urls import urlpatterns as doorstep_urlpatterns
from maillage.canvassing.turf_urls import urlpatterns as turf_urlpatterns

app_name = "canvassing"

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += turf_urlpatterns
urlpatterns += doorstep_urlpatterns
