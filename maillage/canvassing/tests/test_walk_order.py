"""The walking order, as a pure function: street, odd side then even side, house number with
its suffix, building, floor, flat; households kept together."""

from __future__ import annotations

from django.test import SimpleTestCase

from maillage.canvassing.walk_order import (
    EVEN,
    NO_NUMBER,
    ODD,
    Resident,
    dwelling,
    house_number,
    walk_order,
)
from maillage.people.normalise import household_key, sort_key, street_key


def resident(pk: int, number: str, street: str, complement: str = "", name: str = "") -> Resident:
    return Resident(
        person_id=pk,
        building_key=street_key(number, street, "13999"),
        household_key=household_key(number, street, complement, "13999"),
        address_number=number,
        address_complement=complement,
        address_complement2="",
        sort_name=sort_key(name or f"NOM{pk:03d}", "Camille"),
    )


class HouseNumberTests(SimpleTestCase):
    def test_it_reads_the_number_and_the_side(self) -> None:
        self.assertEqual(house_number("12").value, 12)
        self.assertEqual(house_number("12").side, EVEN)
        self.assertEqual(house_number("7").side, ODD)
        self.assertEqual(house_number("").side, NO_NUMBER)
        self.assertEqual(house_number("SN").side, NO_NUMBER)
        self.assertEqual(house_number("12-14").value, 12)

    def test_bis_and_b_are_the_same_suffix_and_ter_comes_after(self) -> None:
        self.assertEqual(house_number("12 bis").suffix_rank, house_number("12B").suffix_rank)
        ranks = [
            house_number(n).suffix_rank for n in ("12", "12 A", "12 bis", "12 ter", "12 quater")
        ]
        self.assertEqual(ranks, sorted(ranks))
        self.assertEqual(len(set(ranks)), 5)


class DwellingTests(SimpleTestCase):
    def test_it_reads_building_floor_and_flat_as_rolls_write_them(self) -> None:
        self.assertEqual(dwelling("Bât A Esc 2", "3e étage Apt 12").building, "a 2")
        self.assertEqual(dwelling("Bât A Esc 2", "3e étage Apt 12").floor, 3)
        self.assertEqual(dwelling("Bât A Esc 2", "3e étage Apt 12").flat, "12")
        self.assertEqual(dwelling("RDC porte 2").floor, 0)
        self.assertEqual(dwelling("RDC porte 2").flat, "2")
        self.assertEqual(dwelling("Etage 10").floor, 10)
        self.assertEqual(dwelling("").floor, None)


class WalkOrderTests(SimpleTestCase):
    def order(self, residents: list[Resident]) -> list[int]:
        return [p.person_id for p in walk_order(residents)]

    def test_odd_side_then_even_side_then_number_with_suffixes(self) -> None:
        residents = [
            resident(1, "4", "rue de la Paix"),
            resident(2, "3", "rue de la Paix"),
            resident(3, "1", "rue de la Paix"),
            resident(4, "2", "rue de la Paix"),
            resident(5, "3 bis", "rue de la Paix"),
            resident(6, "11", "rue de la Paix"),
            resident(7, "3 ter", "rue de la Paix"),
            resident(8, "10", "rue de la Paix"),
        ]
        # 1, 3, 3 bis, 3 ter, 11 (odd side, 11 after 3: numeric, not text), then 2, 4, 10.
        self.assertEqual(self.order(residents), [3, 2, 5, 7, 6, 4, 1, 8])
        sides = [p.side for p in walk_order(residents)]
        self.assertEqual(sides, [ODD] * 5 + [EVEN] * 3)

    def test_streets_in_order_and_spellings_of_one_street_together(self) -> None:
        residents = [
            resident(1, "2", "Rue Victor Hugo"),
            resident(2, "1", "Bd Voltaire"),
            resident(3, "3", "boulevard Voltaire"),
            resident(4, "1", "Avenue Foch"),
        ]
        # avenue foch < boulevard voltaire < rue victor hugo ("bd" is spelt out as people does).
        self.assertEqual(self.order(residents), [4, 2, 3, 1])

    def test_building_then_floor_then_flat(self) -> None:
        residents = [
            resident(1, "5", "rue Haute", "Bât B 1er étage Apt 3"),
            resident(2, "5", "rue Haute", "Bât A 2e étage Apt 1"),
            resident(3, "5", "rue Haute", "Bât A RDC Apt 10"),
            resident(4, "5", "rue Haute", "Bât A RDC Apt 2"),
            resident(5, "5", "rue Haute", "Bât A 10e étage"),
            resident(6, "5", "rue Haute", "Bât B RDC"),
        ]
        # A: ground floor (flat 2 before flat 10), 2nd, 10th; then B: ground floor, 1st.
        self.assertEqual(self.order(residents), [4, 3, 2, 5, 6, 1])

    def test_a_household_is_one_door_with_its_people_together(self) -> None:
        residents = [
            resident(1, "8", "rue Basse", "Apt 2", name="MARTIN"),
            resident(2, "8", "rue Basse", "Apt 1", name="ZOLA"),
            resident(3, "8", "rue Basse", "Apt 2", name="ALBERT"),
            resident(4, "8", "rue Basse", "Apt 1", name="BERNARD"),
        ]
        placed = walk_order(residents)
        self.assertEqual([p.person_id for p in placed], [4, 2, 3, 1])
        self.assertEqual([p.door for p in placed], [1, 1, 2, 2])
        self.assertEqual([p.position for p in placed], [1, 2, 3, 4])

    def test_people_without_an_address_come_last_each_their_own_door(self) -> None:
        residents = [
            Resident(9, "", "", "", "", "", "albert camille"),
            resident(1, "1", "rue Basse"),
            Resident(8, "", "", "", "", "", "zola camille"),
        ]
        placed = walk_order(residents)
        self.assertEqual([p.person_id for p in placed], [1, 9, 8])
        self.assertEqual([p.door for p in placed], [1, 2, 3])
        self.assertEqual(placed[1].side, NO_NUMBER)

    def test_numbers_without_digits_come_after_both_sides_of_the_street(self) -> None:
        residents = [
            resident(1, "", "chemin des Vignes"),
            resident(2, "2", "chemin des Vignes"),
            resident(3, "1", "chemin des Vignes"),
        ]
        self.assertEqual(self.order(residents), [3, 2, 1])
