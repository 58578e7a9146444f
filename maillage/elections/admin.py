from django.contrib import admin

from maillage.elections.models import (
    AreaResult,
    CandidateResult,
    Election,
    ResultImport,
    ResultUpload,
    Round,
)


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "type", "date", "rounds"]
    search_fields = ["name", "slug"]
    inlines = [RoundInline]


class CandidateInline(admin.TabularInline):
    model = CandidateResult
    extra = 0


@admin.register(AreaResult)
class AreaResultAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "election",
        "round_number",
        "level",
        "cast",
        "gap_votes",
        "margin_votes",
        "is_final",
    ]
    list_filter = ["election", "level", "round_number", "is_final"]
    search_fields = ["code", "name"]
    list_select_related = ["election"]
    raw_id_fields = ["round", "election"]
    inlines = [CandidateInline]


@admin.register(ResultImport)
class ResultImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "election", "format", "level", "area_count", "created_at"]
    list_select_related = ["election"]


@admin.register(ResultUpload)
class ResultUploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "election_slug", "status", "created_by", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["progress", "result_import", "created_by", "stored_path"]
