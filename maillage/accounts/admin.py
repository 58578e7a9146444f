from django.contrib import admin

from maillage.accounts.models import Invitation, Team, User, Zone


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    exclude = ["password"]
    filter_horizontal = ["teams", "zones", "groups", "user_permissions"]


admin.site.register(Team)
admin.site.register(Zone)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "invited_by", "created_at", "accepted_at"]
