"""Base models shared by every app, the audit log and the progress record of long tasks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class AuditLogEntry(models.Model):
    """Who did what to which record, when, with the values before and after.

    Written only by `core.services.audit_log_record`; never updated or deleted by the app
    (erasure keeps the entry but the person's data is gone from `changes`).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("création")
        UPDATE = "update", _("modification")
        DELETE = "delete", _("suppression")
        VIEW = "view", _("consultation")
        EXPORT = "export", _("export")
        LOGIN = "login", _("connexion")
        LOGIN_FAILED = "login_failed", _("échec de connexion")
        LOGOUT = "logout", _("déconnexion")
        ROLE_CHANGE = "role_change", _("changement de rôle")
        CONSENT_CHANGE = "consent_change", _("changement de consentement")
        IMPORT = "import", _("import")
        MERGE = "merge", _("fusion")
        ERASURE = "erasure", _("effacement")
        INVITE = "invite", _("invitation")
        TWO_FACTOR = "two_factor", _("double authentification")

    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("auteur (texte)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    target_type = models.CharField(_("type d'objet"), max_length=100, blank=True)
    target_id = models.CharField(_("identifiant"), max_length=64, blank=True)
    target_label = models.CharField(_("objet"), max_length=255, blank=True)
    changes = models.JSONField(_("valeurs"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        indexes = [
            # Serves the audit page filtered by record: "everything done to person 42".
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_type}#{self.target_id}"


class TaskProgress(models.Model):
    """Progress of one long piece of work (an import, a blast), polled by pages and the CLI.

    The task updates `done`/`total` in batches; a page polls `/tasks/<id>/progress/` with htmx
    and a command prints a bar. `result` holds the summary the work wants to show at the end.

    `heartbeat_at` is written with every move of the bar and, during long steps, by a thread of
    the working process (`task_progress_alive`): a running record whose heartbeat is older than
    `MAILLAGE_TASK_STALE_SECONDS` belongs to a process that is gone, and `task_progress_reap`
    marks it failed. `rerun` says how to run the work again: {"task": path, "kwargs": {…}} for a
    task that only needs its arguments, {"url": …} for work with a page of its own (imports).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        SUCCEEDED = "succeeded", _("terminé")
        FAILED = "failed", _("échoué")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type"), max_length=64)
    label = models.CharField(_("libellé"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveBigIntegerField(default=0)
    done = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    rerun = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("progression d'une tâche")
        indexes = [
            # Serves the stale check run by every progress page and the worker:
            # status = 'running' AND heartbeat_at < now - threshold.
            models.Index(fields=["status", "heartbeat_at"], name="progress_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.percent}%)"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def rerun_url(self) -> str:
        """Where the "run again" button posts, for failed work that can run again."""
        if self.status != self.Status.FAILED:
            return ""
        if self.rerun.get("url"):
            return str(self.rerun["url"])
        if self.rerun.get("task"):
            from django.urls import reverse

            return reverse("core:task_progress_rerun", args=[self.pk])
        return ""

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
