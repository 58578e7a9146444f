"""Admin for the people app: a read-only window on the records, because every write to a person
goes through the services (derived keys, denormalised history, audit log, suppression ledger).
Only superusers who passed 2FA reach the admin (core/admin_site.py); staff create and assign
lists on the lists page (people:list_index), which records every assignment in the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from maillage.people.models import (
    DuplicateCandidate,
    ImportJob,
    ImportMapping,
    Person,
    PersonList,
    Segment,
    SuppressionEntry,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # erasure is a GDPR action with its own page, ledger and audit entry


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "birth_name",
        "usage_name",
        "first_names",
        "birth_year",
        "commune_code",
        "polling_station_code",
    ]
    list_filter = ["is_voter", "is_contact", "is_member", "is_activist", "is_volunteer"]
    search_fields = ["search_name", "=id"]
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    # Support level is art. 9 data: it stays on the audited contact sheet, not in the admin.
    exclude = ["current_support", "support_updated_at"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind"]
    search_fields = ["name", "slug"]
    list_filter = ["kind"]


@admin.register(PersonList)
class PersonListAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_by", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["members", "created_by"]


@admin.register(Segment)
class SegmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_by", "updated_at"]
    search_fields = ["name"]


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyAdmin):
    list_display = ["first", "second", "score", "status"]
    list_filter = ["status"]


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(ReadOnlyAdmin):
    list_display = ["kind", "scope", "value_hash", "reason", "created_at"]
    list_filter = ["kind", "scope"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "original_name",
        "source",
        "preset",
        "status",
        "created_count",
        "rejected_count",
        "created_at",
    ]
    list_filter = ["status", "preset"]


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["source", "preset", "updated_at"]
