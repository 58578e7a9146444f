"""Admin of the phone bank: the seats of the phone room (their Asterisk channel and who sits at
each). Campaigns and queues change only through the pages and services (audit, atomic claims)."""

from __future__ import annotations

from django.contrib import admin

from maillage.phonebank.models import Seat


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "user")
    search_fields = ("name", "channel", "user__email")
    autocomplete_fields = ("user",)
