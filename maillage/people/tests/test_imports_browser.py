"""A staff member imports a list in a real browser: upload, map columns, progress, rejected rows."""

from __future__ import annotations

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, screenshot
from maillage.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNUPS = (
    "Nom de famille;Prénom;Mél perso;Portable;Couleur\n"
    "MARTIN;Camille;camille@example.org;06 12 34 56 78;bleu\n"
    "DURAND;Jean;jean@example.org;12;vert\n"  # bad phone
    ";Zoé;zoe@example.org;;rouge\n"  # no name
    "PETIT;Noé;noe@example.org;07 81 23 45 67;jaune\n"
)


def test_staff_upload_map_watch_the_progress_and_download_the_rejected_rows(
    desktop_page, live_server, tmp_path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path
    UserFactory(email="samir@example.org", full_name="Samir Staff", role=Role.STAFF)
    page = desktop_page
    browser_login(page, live_server, "samir@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/people/imports/")
    upload = tmp_path / "inscriptions.csv"
    upload.write_text(SIGNUPS, encoding="utf-8")
    page.get_by_label("Fichier (CSV ou XLSX)").set_input_files(str(upload))
    page.get_by_label("Source").fill("Inscriptions forum")
    page.get_by_role("button", name="Envoyer et associer les colonnes").click()

    # The mapping screen: "Mél perso" is not guessed, staff pick the field by hand.
    page.wait_for_selector("[data-testid=mapping]")
    assert page.locator("#col_0").input_value() == "birth_name"
    assert page.locator("#col_3").input_value() == "mobile"
    assert page.locator("#col_2").input_value() == ""
    page.locator("#col_2").select_option("email")
    page.locator("#col_4").select_option("tag")
    assert "camille@example.org" in page.get_by_test_id("preview").inner_text()
    screenshot(page, "import-mapping")
    page.get_by_role("button", name="Lancer l'import").click()

    # The task ran (inline backend): the bar shows 100 % and the summary is there.
    page.wait_for_selector("[data-testid=summary]")
    assert page.get_by_test_id("progress-percent").inner_text() == "100 %"
    summary = page.get_by_test_id("summary").inner_text()
    assert "Créées\t2" in summary and "Rejetées\t2" in summary
    screenshot(page, "import-progress")

    with page.expect_download() as download_info:
        page.get_by_test_id("rejected-download").click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    lines = content.strip().splitlines()
    assert lines[0] == "Nom de famille;Prénom;Mél perso;Portable;Couleur;ligne;motif"
    assert lines[1] == "DURAND;Jean;jean@example.org;12;vert;3;téléphone invalide : 12"
    assert lines[2] == ";Zoé;zoe@example.org;;rouge;4;nom manquant"
    assert Person.objects.get(birth_name="MARTIN").emails.get().address == "camille@example.org"
