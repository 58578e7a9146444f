"""Staff GDPR actions on one person: the subject-access export and erasure (with a confirm screen)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.roles import Role
from maillage.people.selectors.people import access_person
from maillage.people.services.gdpr import person_erase as erase
from maillage.people.services.gdpr import person_subject_access_export


@role_required(Role.STAFF)
def person_sar(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = access_person(user=request.user, person_id=person_id)
    json_bytes, text = person_subject_access_export(actor=request.user, person=person)
    if request.GET.get("format") == "txt":
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="acces-personne-{person.pk}.txt"'
    else:
        response = HttpResponse(json_bytes, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="acces-personne-{person.pk}.json"'
    return response


@role_required(Role.STAFF)
def person_erase(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = access_person(user=request.user, person_id=person_id)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(request, "people/person_erase.html", {"person": person})
    erase(actor=request.user, person=person)
    messages.success(
        request,
        _(
            "La personne a été effacée. Seules les empreintes de la liste d'opposition sont conservées."
        ),
    )
    return redirect("people:person_list")
