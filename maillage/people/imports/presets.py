"""Layouts of the files people imports accept, and the mapping from their headers to fields.

A mapping is `{header as in the file: field}`, field one of `FIELDS` or "" (kept in
`Person.extra`). REU and e-listelec are fixed layouts matched header by header (REU wording
varies between export versions, so headers are compared folded: case, accents and punctuation
ignored); generic files get a guessed mapping that staff confirm on the mapping screen.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.errors import ApplicationError
from maillage.people.normalise import fold

REU = "reu"
ELISTELEC = "elistelec"
GENERIC = "generic"
PRESETS = (REU, ELISTELEC, GENERIC)
ROLL_PRESETS = (REU, ELISTELEC)
PRESET_CHOICES = [
    (REU, gettext_lazy("Extrait du répertoire électoral unique (REU)")),
    (ELISTELEC, gettext_lazy("e-listelec (ancien format)")),
    (GENERIC, gettext_lazy("Autre fichier (CSV ou XLSX, colonnes à associer)")),
]
# The same, short, where a page names the format of an import already made.
PRESET_SHORT_LABELS = {
    REU: gettext_lazy("REU"),
    ELISTELEC: gettext_lazy("e-listelec"),
    GENERIC: gettext_lazy("autre fichier"),
}

# Every field a column can feed, with its label on the mapping screen.
FIELDS: dict[str, object] = {
    "birth_name": gettext_lazy("Nom de naissance"),
    "usage_name": gettext_lazy("Nom d'usage"),
    "first_names": gettext_lazy("Prénoms"),
    "sex": gettext_lazy("Sexe / civilité"),
    "birth_date": gettext_lazy("Date de naissance (JJ/MM/AAAA ou année)"),
    "birth_year": gettext_lazy("Année de naissance"),
    "birth_place_code": gettext_lazy("Code commune de naissance"),
    "birth_place": gettext_lazy("Commune de naissance"),
    "birth_department": gettext_lazy("Département de naissance"),
    "birth_country": gettext_lazy("Pays de naissance"),
    "nationality": gettext_lazy("Nationalité"),
    "roll_commune_code": gettext_lazy("Code commune de la liste (UGLE)"),
    "roll_list_type": gettext_lazy("Type de liste"),
    "roll_station_code": gettext_lazy("Code du bureau de vote"),
    "roll_number": gettext_lazy("Numéro d'ordre"),
    "department_code": gettext_lazy("Code département"),
    "constituency": gettext_lazy("Circonscription législative"),
    "address_number": gettext_lazy("Numéro de voie"),
    "street_type": gettext_lazy("Type de voie"),
    "address_street": gettext_lazy("Voie / adresse"),
    "address_complement": gettext_lazy("Complément d'adresse 1"),
    "address_complement2": gettext_lazy("Complément d'adresse 2"),
    "address_locality": gettext_lazy("Lieu-dit"),
    "postcode": gettext_lazy("Code postal"),
    "commune_name": gettext_lazy("Commune"),
    "country": gettext_lazy("Pays"),
    "email": gettext_lazy("E-mail"),
    "mobile": gettext_lazy("Téléphone portable"),
    "landline": gettext_lazy("Téléphone fixe"),
    "phone": gettext_lazy("Téléphone"),
    "profession": gettext_lazy("Profession (étiquette)"),
    "tag": gettext_lazy("Étiquette"),
    "consent_email": gettext_lazy("Accord e-mail (oui/non)"),
    "consent_sms": gettext_lazy("Accord SMS (oui/non)"),
    "consent_phone": gettext_lazy("Accord appels (oui/non)"),
    # Labels of the roll's polling station: kept once per station (territory's
    # Commune and PollingStation), not per person.
    "roll_commune_label": gettext_lazy("Libellé de la commune de la liste"),
    "station_label": gettext_lazy("Libellé du bureau de vote"),
    "canton_label": gettext_lazy("Canton du bureau de vote"),
    "constituency_label": gettext_lazy("Libellé de la circonscription du bureau de vote"),
}
STATION_LABEL_FIELDS = ("roll_commune_label", "station_label", "canton_label", "constituency_label")

# REU extract, in order; folded variants seen between export versions map to the same field.
REU_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("roll_commune_code", ("code du l ugle", "code de l ugle", "code ugle")),
    ("roll_commune_label", ("libelle de l ugle", "libelle du l ugle")),
    ("roll_list_type", ("libelle du type de liste",)),
    ("birth_name", ("nom de naissance",)),
    ("usage_name", ("nom d usage",)),
    ("first_names", ("prenoms",)),
    ("sex", ("sexe",)),
    ("birth_date", ("date de naissance",)),
    ("birth_place_code", ("code commune de naissance",)),
    ("birth_place", ("libelle commune de naissance",)),
    ("birth_department", ("code departement de naissance", "code du departement de naissance")),
    ("birth_country", ("pays de naissance",)),
    ("nationality", ("libelle nationalite", "identifiant nationalite")),
    ("address_number", ("numero de voie",)),
    ("address_street", ("libelle de voie",)),
    ("address_complement", ("complement 1",)),
    ("address_complement2", ("complement 2",)),
    ("address_locality", ("lieu dit",)),
    ("postcode", ("code postal",)),
    ("commune_name", ("commune",)),
    ("country", ("pays",)),
    ("roll_station_code", ("code du bureau de vote",)),
    ("station_label", ("libelle du bureau de vote",)),
    ("constituency", ("code circonscription legislative du bureau de vote",)),
    ("canton_label", ("libelle canton du bureau de vote", "code canton du bureau de vote")),
    (
        "constituency_label",
        (
            "libelle circonscription metropolitaine du bureau de vote",
            "code circonscription metropolitaine du bureau de vote",
        ),
    ),
    ("roll_number", ("numero d ordre dans le bureau de vote",)),
]
REU_HEADERS = [
    "code du l'ugle",
    "libellé de l'ugle",
    "libellé du type de liste",
    "nom de naissance",
    "nom d'usage",
    "prénoms",
    "sexe",
    "date de naissance",
    "code commune de naissance",
    "libellé commune de naissance",
    "code département de naissance",
    "pays de naissance",
    "libellé nationalité",
    "numéro de voie",
    "libellé de voie",
    "complément 1",
    "complément 2",
    "lieu-dit",
    "code postal",
    "commune",
    "pays",
    "code du bureau de vote",
    "libellé du bureau de vote",
    "code circonscription législative du bureau de vote",
    "libellé canton du bureau de vote",
    "libellé circonscription métropolitaine du bureau de vote",
    "numéro d'ordre dans le bureau de vote",
]

ELISTELEC_HEADERS = [
    "TypeListe",
    "InfoListe",
    "DateCreationListe",
    "CodeDepartement",
    "CodeCommune",
    "NomCommune",
    "NoElecteurGeneral",
    "Sexe",
    "NomdeNaissance",
    "NomDusage",
    "Prenoms",
    "DateDeNaissance",
    "NomComNaissance",
    "DeptNaissance",
    "PaysNaissance",
    "Nationalite",
    "NomBureauDeVote",
    "NoBureauDeVote",
    "CodeCanton",
    "CodeCirconscription",
    "ComplementDeLocalisation1",
    "ComplementDeLocalisation2",
    "NumeroVoie",
    "TypeVoie",
    "LibelleVoie",
    "LieuDit",
    "CodePostal",
    "VilleLocalite",
    "Pays",
]
ELISTELEC_FIELDS = {
    "TypeListe": "roll_list_type",
    "CodeDepartement": "department_code",
    "CodeCommune": "roll_commune_code",
    "NomCommune": "roll_commune_label",
    "NomBureauDeVote": "station_label",
    "CodeCanton": "canton_label",
    "NoElecteurGeneral": "roll_number",
    "Sexe": "sex",
    "NomdeNaissance": "birth_name",
    "NomDusage": "usage_name",
    "Prenoms": "first_names",
    "DateDeNaissance": "birth_date",
    "NomComNaissance": "birth_place",
    "DeptNaissance": "birth_department",
    "PaysNaissance": "birth_country",
    "Nationalite": "nationality",
    "NoBureauDeVote": "roll_station_code",
    "CodeCirconscription": "constituency",
    "ComplementDeLocalisation1": "address_complement",
    "ComplementDeLocalisation2": "address_complement2",
    "NumeroVoie": "address_number",
    "TypeVoie": "street_type",
    "LibelleVoie": "address_street",
    "LieuDit": "address_locality",
    "CodePostal": "postcode",
    "VilleLocalite": "commune_name",
    "Pays": "country",
}

# Campaign columns added to roll extracts and the usual headers of purchased or hand-made lists.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "birth_name": (
        "nom",
        "nom de naissance",
        "nom de famille",
        "last name",
        "lastname",
        "surname",
        "family name",
        "nomdenaissance",
    ),
    "usage_name": ("nom d usage", "nom marital", "nomdusage"),
    "first_names": ("prenom", "prenoms", "first name", "firstname", "given name"),
    "sex": ("sexe", "civilite", "genre", "gender", "gender code", "sex", "titre"),
    "birth_date": (
        "date de naissance",
        "naissance",
        "ne le",
        "date naissance",
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
        "datedenaissance",
    ),
    "birth_year": ("annee de naissance", "birth year", "annee naissance"),
    "birth_place": ("lieu de naissance", "commune de naissance"),
    "nationality": ("nationalite",),
    "roll_station_code": ("bureau", "bureau de vote", "code bureau", "precinct abbrv", "precinct"),
    "roll_number": ("numero d ordre", "no electeur", "n electeur"),
    "constituency": ("circonscription", "cong dist abbrv"),
    "address_number": ("numero", "numero de voie", "n", "no", "num"),
    "address_street": (
        "adresse",
        "voie",
        "rue",
        "address",
        "street",
        "adresse 1",
        "res street address",
        "libelle de voie",
    ),
    "address_complement": (
        "complement",
        "adresse 2",
        "complement d adresse",
        "batiment",
        "appartement",
        "etage",
    ),
    "address_locality": ("lieu dit",),
    "postcode": ("code postal", "cp", "zip", "zip code", "postcode", "postal code"),
    "commune_name": ("ville", "commune", "city", "localite", "res city desc"),
    "roll_commune_code": ("code commune", "code insee", "insee"),
    "country": ("pays", "country"),
    "email": (
        "email",
        "e mail",
        "mail",
        "courriel",
        "adresse mail",
        "adresse e mail",
        "adresse electronique",
        "email address",
    ),
    "mobile": (
        "portable",
        "mobile",
        "tel portable",
        "telephone portable",
        "gsm",
        "cellulaire",
        "mobile phone",
    ),
    "landline": ("fixe", "tel fixe", "telephone fixe", "domicile"),
    "phone": (
        "telephone",
        "tel",
        "phone",
        "numero de telephone",
        "full phone number",
        "phone number",
    ),
    "profession": ("profession", "metier", "emploi", "occupation", "job"),
    "tag": ("etiquette", "tag", "tags", "interet", "centre d interet"),
    "consent_email": (
        "accord email",
        "consentement email",
        "optin email",
        "opt in email",
        "newsletter",
        "accepte email",
    ),
    "consent_sms": ("accord sms", "consentement sms", "optin sms", "opt in sms"),
    "consent_phone": ("accord telephone", "consentement telephone", "optin telephone"),
}
_SYNONYM_INDEX = {synonym: field for field, synonyms in SYNONYMS.items() for synonym in synonyms}
# Extra columns on roll extracts that have a field of their own; every other one goes to `extra`.
ROLL_EXTRAS = {
    "profession": "profession",
    "portable": "mobile",
    "fixe": "landline",
    "mail": "email",
    "email": "email",
    "telephone": "phone",
}


class MappingError(ApplicationError):
    pass


def _key(header: str) -> str:
    return fold(header).replace("_", " ")


def reu_mapping(headers: list[str]) -> dict[str, str] | None:
    """The REU mapping when every one of the 27 columns is present (in any wording), else None."""
    wanted = {variant: field for field, variants in REU_COLUMNS for variant in variants}
    mapping: dict[str, str] = {}
    found: set[int] = set()
    for header in headers:
        key = _key(header)
        for index, (_field, variants) in enumerate(REU_COLUMNS):
            if key in variants and index not in found:
                found.add(index)
                mapping[header] = wanted[key]
                break
        else:
            mapping[header] = ROLL_EXTRAS.get(key, "")
    return mapping if len(found) == len(REU_COLUMNS) else None


def elistelec_mapping(headers: list[str]) -> dict[str, str] | None:
    """The e-listelec mapping when the exact headers are all present, else None."""
    if not set(ELISTELEC_HEADERS) <= set(headers):
        return None
    return {
        header: ELISTELEC_FIELDS.get(header, ROLL_EXTRAS.get(_key(header), ""))
        for header in headers
    }


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Header → field for a generic file; each field is used once (first column wins)."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        field = _SYNONYM_INDEX.get(_key(header), "")
        if field and field in used and field not in ("tag",):
            field = ""
        mapping[header] = field
        if field:
            used.add(field)
    return mapping


def detect_preset(headers: list[str]) -> str:
    if reu_mapping(headers) is not None:
        return REU
    if elistelec_mapping(headers) is not None:
        return ELISTELEC
    return GENERIC


def mapping_for(
    *, preset: str, headers: list[str], mapping: dict[str, str] | None = None
) -> dict[str, str]:
    """The mapping to use: the preset's own for roll layouts, else the given or guessed one.

    A roll preset on a file without its headers is refused rather than guessed: importing a
    non-roll list as a roll would mark people as voters."""
    if preset == REU:
        found = reu_mapping(headers)
        if found is None:
            raise MappingError(
                _("Ce fichier n'a pas les 27 colonnes d'un extrait REU (en-têtes non reconnus).")
            )
        return found
    if preset == ELISTELEC:
        found = elistelec_mapping(headers)
        if found is None:
            missing = [h for h in ELISTELEC_HEADERS if h not in headers]
            raise MappingError(
                _("En-têtes e-listelec manquants : %(missing)s")
                % {"missing": ", ".join(missing[:5])}
            )
        return found
    if preset != GENERIC:
        raise MappingError(_("Format inconnu : %(preset)s") % {"preset": preset})
    if mapping:
        unknown = sorted({field for field in mapping.values() if field and field not in FIELDS})
        if unknown:
            raise MappingError(
                _("Champs inconnus dans la correspondance : %(fields)s")
                % {"fields": ", ".join(unknown)}
            )
        full = {header: mapping.get(header, "") for header in headers}
    else:
        full = guess_mapping(headers)
    if not any(field in ("birth_name", "usage_name") for field in full.values()):
        raise MappingError(
            _("Aucune colonne n'est associée au nom : choisissez la colonne du nom.")
        )
    return full
