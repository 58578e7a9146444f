from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "maillage.core"
    label = "core"
    verbose_name = _("Noyau")


class MaillageAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site: superusers who passed 2FA (see core/admin_site.py)."""

    default = False  # named explicitly in INSTALLED_APPS; CoreConfig stays this module's default
    default_site = "maillage.core.admin_site.MaillageAdminSite"
