"""The placeholder language: fields checked at save, recipients' data never read as code."""

from __future__ import annotations

from django.test import SimpleTestCase

from maillage.messaging.rendering import TemplateFieldError, compile_message, template_check


class RenderingTests(SimpleTestCase):
    def test_it_fills_the_fields_in_subject_html_and_text(self) -> None:
        compiled = compile_message(
            subject="Bonjour {{ first_name }}",
            body="**Chère {{first_name}}**, à {{ commune }}.\n\n[Répondre]({{ unsubscribe_url }})",
        )
        subject, html, text = compiled.render(
            {
                "first_names": "Inès Marie",
                "commune_name": "VALLON-SUR-MER",
                "_unsubscribe": "https://x.test/u/abc/",
            }
        )
        self.assertEqual(subject, "Bonjour Inès")
        self.assertIn("<strong>Chère Inès</strong>, à Vallon-Sur-Mer.", html)
        self.assertIn('href="https://x.test/u/abc/"', html)
        self.assertIn("**Chère Inès**", text)

    def test_an_unknown_field_is_refused_before_any_send(self) -> None:
        with self.assertRaises(TemplateFieldError) as caught:
            compile_message(subject="Hello", body="Bonjour {{ frist_name }} !")
        self.assertIn("frist_name", caught.exception.message)

    def test_django_tags_are_refused_in_the_author_text(self) -> None:
        for body in ("{% load static %}", "{# note #}", "Bonjour {{ first_name"):
            with self.subTest(body=body), self.assertRaises(TemplateFieldError):
                template_check(body)

    def test_a_name_holding_template_code_renders_as_text(self) -> None:
        compiled = compile_message(subject="{{ first_name }}", body="Salut {{ first_name }} !")
        evil = "{{unsubscribe_url}}{%_debug_%}<script>alert(1)</script>**x**"
        subject, html, text = compiled.render({"first_names": evil, "_unsubscribe": "SECRET-LINK"})
        self.assertEqual(subject, evil)
        self.assertNotIn("SECRET-LINK", html + text + subject)
        self.assertIn("{{unsubscribe_url}}{%_debug_%}&lt;script&gt;", html)
        self.assertNotIn("<script>", html)
        self.assertNotIn("<strong>x</strong>", html)
        self.assertIn(evil, text)

    def test_the_author_html_is_sanitised(self) -> None:
        compiled = compile_message(
            subject="s",
            body='<script>x()</script><a href="javascript:x()">a</a> <b onclick="y">b</b>',
        )
        _subject, html, _text = compiled.render({})
        self.assertNotIn("<script", html)
        self.assertNotIn("javascript:", html)
        self.assertNotIn("onclick", html)
