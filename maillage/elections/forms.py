"""Forms of the elections pages: close-race filters and the results upload."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.elections.importers import FORMATS
from maillage.elections.importers.xml import looks_like_xml
from maillage.elections.models import Election, Level
from maillage.elections.selectors import SORTS

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_SUFFIXES = (".xlsx", ".csv", ".txt", ".tsv", ".xml")
ZIP_MAGIC = b"PK\x03\x04"


class CloseRaceFilterForm(forms.Form):
    election = forms.ChoiceField(label=_("Élection"), required=False)
    round = forms.ChoiceField(
        label=_("Tour"),
        required=False,
        choices=[
            ("final", _("tour final (2nd tour là où il a eu lieu)")),
            ("1", _("1er tour")),
            ("2", _("2nd tour")),
        ],
    )
    max_gap = forms.DecimalField(
        label=_("Écart entre les deux premiers < (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    max_margin = forms.DecimalField(
        label=_("Marge de l'élu·e < (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    base = forms.ChoiceField(
        label=_("Base des pourcentages"),
        required=False,
        choices=[("exprimes", _("suffrages exprimés")), ("votants", _("votants"))],
    )
    # Constituencies first: that is where seats are won, and the page's default.
    level = forms.ChoiceField(
        label=_("Niveau"),
        required=False,
        choices=sorted(Level.choices, key=lambda choice: choice[0] != Level.CONSTITUENCY),
    )
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput
    )

    def __init__(self, *args, elections: list[Election], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["election"].choices = [(e.slug, e.name) for e in elections]  # type: ignore[attr-defined]


class ResultUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier de résultats"),
        help_text=_(
            "XML du ministère, CSV/TXT ou XLSX de data.gouv.fr (par circonscription, commune ou bureau de vote)."
        ),
    )
    election = forms.ChoiceField(label=_("Élection existante"), required=False)
    new_slug = forms.SlugField(
        label=_("… ou nouvelle élection (identifiant)"),
        required=False,
        max_length=60,
        help_text=_("Par exemple legislatives-2022."),
    )
    type = forms.ChoiceField(
        label=_("Type (nouvelle élection)"),
        required=False,
        choices=[("", "—")] + list(Election.Type.choices),
    )
    date = forms.DateField(
        label=_("Date du 1er tour (nouvelle élection)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    round = forms.ChoiceField(
        label=_("Tour"),
        required=False,
        choices=[("", _("détecter")), ("1", _("1er tour")), ("2", _("2nd tour"))],
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[(name, _("détecter") if name == "auto" else name.upper()) for name in FORMATS],
    )

    def __init__(self, *args, elections: list[Election], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["election"].choices = [("", "—")] + [(e.slug, e.name) for e in elections]  # type: ignore[attr-defined]

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Fichier trop volumineux (200 Mo au plus)."))
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                _("Type de fichier non pris en charge : XML, CSV, TXT, TSV ou XLSX.")
            )
        upload.seek(0)
        head = upload.read(4096)
        upload.seek(0)
        # The content must be what the name says: a workbook is a zip, the ministry's feed is
        # XML. The full check (encoding, header row, first area) follows in the service.
        if suffix == ".xlsx":
            if not head.startswith(ZIP_MAGIC):
                raise forms.ValidationError(
                    _("Ce fichier .xlsx n'est pas un classeur Excel (XLSX) lisible.")
                )
        elif suffix == ".xml" and not looks_like_xml(head):
            raise forms.ValidationError(_("Ce fichier .xml ne contient pas de XML."))
        return upload

    def clean(self) -> dict:
        data = super().clean() or {}
        if bool(data.get("election")) == bool(data.get("new_slug")):
            raise forms.ValidationError(
                _(
                    "Choisissez une élection existante ou donnez l'identifiant d'une nouvelle, pas les deux."
                )
            )
        return data

    @property
    def election_slug(self) -> str:
        return self.cleaned_data.get("election") or self.cleaned_data.get("new_slug") or ""
