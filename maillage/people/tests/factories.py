"""factory_boy factories for the people app, shared by every people test module."""

from __future__ import annotations

import factory
from django.utils import timezone

from maillage.people.models import EmailAddress, Interaction, Person, PhoneNumber, Tag
from maillage.people.normalise import fold, household_key, search_key, sort_key, street_key


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Étiquette {n}")
    slug = factory.LazyAttribute(lambda o: fold(o.name).replace(" ", "-"))
    kind = Tag.Kind.OTHER


class PersonFactory(factory.django.DjangoModelFactory):
    """A fictional voter of Marseille (13055), station 1, constituency 1303."""

    class Meta:
        model = Person

    birth_name = factory.Sequence(lambda n: f"MARTIN{n}")
    usage_name = ""
    first_names = factory.Sequence(lambda n: f"Camille{n} Marie")
    sex = "F"
    birth_year = 1980
    birth_month = 5
    birth_day = 17
    address_number = "12"
    address_street = "RUE DE LA REPUBLIQUE"
    address_complement = ""
    postcode = "13002"
    commune_name = "MARSEILLE"
    commune_code = "13055"
    polling_station_code = "13055_0001"
    constituency_code = "1303"
    department_code = "13"
    is_voter = True
    building_key = factory.LazyAttribute(
        lambda o: street_key(o.address_number, o.address_street, o.postcode)
    )
    household_key = factory.LazyAttribute(
        lambda o: household_key(
            o.address_number, o.address_street, o.address_complement, o.postcode
        )
    )
    search_name = factory.LazyAttribute(
        lambda o: search_key(o.first_names, o.usage_name, o.birth_name)
    )
    sort_name = factory.LazyAttribute(
        lambda o: sort_key(o.usage_name or o.birth_name, o.first_names)
    )


class EmailAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailAddress

    person = factory.SubFactory(PersonFactory)
    address = factory.Sequence(lambda n: f"personne{n}@example.org")
    is_primary = True


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneNumber

    person = factory.SubFactory(PersonFactory)
    # Valid French mobiles in E.164 (06 12 34 xx xx).
    number = factory.Sequence(lambda n: f"+3361234{n % 10000:04d}")
    kind = PhoneNumber.Kind.MOBILE
    is_primary = True


class InteractionFactory(factory.django.DjangoModelFactory):
    """A raw history row: it does not update `Person.current_support`; use the interaction
    service when a test needs the denormalised fields kept."""

    class Meta:
        model = Interaction

    person = factory.SubFactory(PersonFactory)
    channel = "door"
    result = Interaction.Result.TALKED
    support_level = None
    occurred_at = factory.LazyFunction(timezone.now)
