from django.contrib import admin

from maillage.territory.models import Commune, Constituency, Department, PollingStation


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Constituency)
class ConstituencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department"]
    search_fields = ["code", "name"]
    list_select_related = ["department"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "department", "constituency"]
    search_fields = ["code", "name"]
    list_select_related = ["department", "constituency"]
    raw_id_fields = ["parent", "constituency"]


@admin.register(PollingStation)
class PollingStationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "commune", "canton_label", "constituency"]
    search_fields = ["code", "name", "canton_label"]
    list_select_related = ["commune", "constituency"]
    raw_id_fields = ["commune", "constituency"]
