"""Staff pages of people imports: upload, column mapping with a preview, progress, rejected rows."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.services import audit_log_record, task_progress_reap
from maillage.people.imports import presets
from maillage.people.imports.preview import import_job_preview
from maillage.people.imports.reader import open_table
from maillage.people.models import ImportJob
from maillage.people.services.imports import (
    import_job_create,
    import_job_mapping_save,
    import_job_rerun,
)
from maillage.people.tasks import import_job_task

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Fichier (CSV ou XLSX)"))
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Par exemple « REU Vallon 2026 » ou « Pétition école » : la correspondance des colonnes est retenue par source."
        ),
    )
    preset = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("", gettext_lazy("Détecter")), *presets.PRESET_CHOICES],
        required=False,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Essai à blanc (vérifier et compter sans rien enregistrer)"),
        required=False,
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Fichier trop volumineux (500 Mo au plus)."))
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(
                _("Type de fichier non pris en charge : CSV, TXT, TSV ou XLSX.")
            )
        return upload


def _store_upload(upload: object) -> Path:
    folder = Path(settings.MAILLAGE_UPLOAD_DIR) / "people"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"  # type: ignore[attr-defined]
    with path.open("wb") as handle:
        for chunk in upload.chunks():  # type: ignore[attr-defined]
            handle.write(chunk)
    return path


@role_required(Role.STAFF)
@require_http_methods(["GET", "POST"])
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = _store_upload(form.cleaned_data["file"])
        try:
            table = open_table(path)
            preset = form.cleaned_data["preset"] or presets.detect_preset(table.headers)
            presets.mapping_for(
                preset=preset, headers=table.headers
            ) if preset != presets.GENERIC else None
        except ApplicationError as error:
            path.unlink(missing_ok=True)
            form.add_error("file", error.message)
        else:
            job = import_job_create(
                actor=request.user,
                path=path,
                original_name=form.cleaned_data["file"].name,
                source=form.cleaned_data["source"],
                preset=preset,
                dry_run=form.cleaned_data["dry_run"],
            )
            return redirect("people:import_mapping", job_id=job.pk)
    task_progress_reap()  # a job whose process died is listed as failed
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at")
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    return render(
        request, "people/imports/import_list.html", {"form": form, "page": page, "query": ""}
    )


@role_required(Role.STAFF)
@require_http_methods(["GET", "POST"])
def import_mapping(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("people:import_detail", job_id=job.pk)
    try:
        preview = import_job_preview(job=job)
    except ApplicationError as error:
        return render(
            request,
            "people/imports/import_mapping.html",
            {"job": job, "error": error.message},
            status=400,
        )
    errors: list[str] = []
    mapping = preview.mapping
    if request.method == "POST":
        if preview.preset == presets.GENERIC:
            mapping = {
                header: request.POST.get(f"col_{index}", "")
                for index, header in enumerate(preview.headers)
            }
            mapping = {
                header: field if field in presets.FIELDS else ""
                for header, field in mapping.items()
            }
        try:
            import_job_mapping_save(
                job_id=job.pk, preset=preview.preset, mapping=mapping, actor=request.user
            )
        except ApplicationError as error:
            errors.append(error.message)
        else:
            import_job_task.enqueue(job_id=job.pk)
            return redirect("people:import_detail", job_id=job.pk)
    columns = [
        {
            "index": index,
            "header": header,
            "field": mapping.get(header, ""),
            "samples": [row[index] for row in preview.rows if index < len(row) and row[index]][:3],
        }
        for index, header in enumerate(preview.headers)
    ]
    context = {
        "job": job,
        "preview": preview,
        "columns": columns,
        "errors": errors,
        "fields": list(presets.FIELDS.items()),
        "editable": preview.preset == presets.GENERIC,
        "preset_label": dict(presets.PRESET_CHOICES).get(preview.preset, preview.preset),
    }
    return render(
        request, "people/imports/import_mapping.html", context, status=400 if errors else 200
    )


@role_required(Role.STAFF)
def import_detail(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    task_progress_reap()  # a job whose process died shows as failed, with "run again"
    job = get_object_or_404(ImportJob.objects.select_related("progress", "created_by"), pk=job_id)
    # While the task runs, the polled fragment brings the counts; once finished, the page's own
    # summary replaces them (no second table under the bar).
    context = {
        "job": job,
        "progress": job.progress,
        # Jobs whose progress record carries no "run again" link (made before it existed).
        "can_rerun": job.status == ImportJob.Status.FAILED
        and not (job.progress and job.progress.rerun_url)
        and Path(job.stored_path).is_file(),
        "progress_result_template": "people/imports/_progress_result.html",
    }
    return render(request, "people/imports/import_detail.html", context)


@role_required(Role.STAFF)
@require_POST
def import_rerun(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=job_id)
    try:
        import_job_rerun(actor=request.user, job_id=job.pk)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        import_job_task.enqueue(job_id=job.pk)
    return redirect("people:import_detail", job_id=job.pk)


@role_required(Role.STAFF)
def import_rejected(request: AuthenticatedHttpRequest, job_id: int) -> FileResponse:
    job = get_object_or_404(ImportJob, pk=job_id)
    path = Path(job.rejected_path) if job.rejected_path else None
    if path is None or not path.is_file():
        raise Http404(_("Pas de lignes rejetées pour cet import."))
    audit_log_record(
        actor=request.user,
        action=AuditLogEntry.Action.EXPORT,
        target=job,
        target_label=job.original_name,
        changes={"export": "rejected_rows", "rows": job.rejected_count},
    )
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"rejets-import-{job.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )
