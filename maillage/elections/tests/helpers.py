"""Fixture paths and small synthetic files for the elections tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
LG2024_T1 = FIXTURES / "Leg_2024_Resultats_T1_officiel.xlsx"
LG2024_T2 = FIXTURES / "Leg_2024_Resultats_T2_officiel.xlsx"
LG2024_CSV_CP850 = FIXTURES / "lg2024-resultats-circonscriptions-une-ligne-par-candidat2.csv"
LG2017_T1 = FIXTURES / "Leg_2017_Resultats_T1_officiel.xlsx"
LG2017_T2 = FIXTURES / "Leg_2017_Resultats_T2_officiel.xlsx"
BUREAUX_T1 = FIXTURES / "circos23-tour1.csv"
BUREAUX_T2 = FIXTURES / "circos23-tour2.csv"
XML_ARRONDISSEMENT = FIXTURES / "075056AR01.xml"
XML_DEPARTMENT = FIXTURES / "075.xml"
XML_COMMUNES = FIXTURES / "075com.xml"
XML_INDEX = FIXTURES / "075IDX.xml"
XML_OVERSEAS_COMMUNE = FIXTURES / "971101.xml"
XML_REGION = FIXTURES / "001.xml"

# Ardèche 3e (0703) in 2024, both rounds, with the real figures, in the ministry's legislative
# XML schema (FORMATS.md §3.2): no real legislative XML is stored, so the tests write one.
LEGISLATIVE_XML = """<?xml version="1.0" encoding="{encoding}"?>
<Election>
  <Scrutin><Type>Législatives</Type><Annee>2024</Annee></Scrutin>
  <Departement>
    <CodDpt>07</CodDpt><CodMinDpt>07</CodMinDpt><CodDpt3Car>007</CodDpt3Car><LibDpt>Ardèche</LibDpt>
    <Circonscriptions>
      <Circonscription>
        <CodCirElec>0703</CodCirElec><LibCirElec>3ème circonscription</LibCirElec><NbSap>1</NbSap><NbSiePourvus>1</NbSiePourvus>
        <Tours>
          <Tour>
            <NumTour>1</NumTour>
            <Mentions>
              <Inscrits><Nombre>{t1_registered}</Nombre></Inscrits>
              <Abstentions><Nombre>{t1_abstentions}</Nombre><RapportInscrit>  31,68</RapportInscrit></Abstentions>
              <Votants><Nombre>{t1_voters}</Nombre></Votants>
              <Blancs><Nombre>{t1_blank}</Nombre></Blancs>
              <Nuls><Nombre>{t1_null}</Nombre></Nuls>
              <Exprimes><Nombre>{t1_cast}</Nombre><RapportVotant>  97,54</RapportVotant></Exprimes>
            </Mentions>
            <Resultats><Candidats>{t1_candidates}</Candidats></Resultats>
          </Tour>
          <Tour>
            <NumTour>2</NumTour>
            <Mentions>
              <Inscrits><Nombre>{t2_registered}</Nombre></Inscrits>
              <Abstentions><Nombre>{t2_abstentions}</Nombre></Abstentions>
              <Votants><Nombre>{t2_voters}</Nombre></Votants>
              <Blancs><Nombre>{t2_blank}</Nombre></Blancs>
              <Nuls><Nombre>{t2_null}</Nombre></Nuls>
              <Exprimes><Nombre>{t2_cast}</Nombre></Exprimes>
            </Mentions>
            <Resultats><Candidats>{t2_candidates}</Candidats></Resultats>
          </Tour>
        </Tours>
      </Circonscription>
    </Circonscriptions>
  </Departement>
</Election>
"""

CANDIDATE_XML = (
    "<Candidat><NumPanneauCand>{panel}</NumPanneauCand><NomPsn>{last}</NomPsn><PrenomPsn>{first}</PrenomPsn>"
    "<CivilitePsn>{civility}</CivilitePsn><CodNuaCand>{nuance}</CodNuaCand><LibNuaCand>{label}</LibNuaCand>"
    "<NbVoix>{votes}</NbVoix><RapportExprime>  10,00</RapportExprime><Elu>{elected}</Elu></Candidat>"
)

ARDECHE_T1 = [
    (1, "FAURE", "Alexandre", "M.", "EXG", "Extrême gauche", 327, "NON"),
    (2, "ZAGUEDOUN-REYNAUD", "Félix", "M.", "DIV", "Divers", 7, "NON"),
    (3, "BONNETAIN", "Quentin", "M.", "ENS", "Ensemble", 5984, "NON"),
    (4, "PALLOT", "Florence", "Mme", "UG", "Union de la gauche", 16239, "QUALIF T2"),
    (5, "BRUN", "Fabrice", "M.", "DVD", "Divers droite", 15194, "QUALIF T2"),
    (6, "TOUZET", "Laurent", "M.", "REG", "Régionaliste", 331, "NON"),
    (7, "MARCHISIO", "Christophe", "M.", "EXG", "Extrême gauche", 482, "NON"),
    (8, "GRANGIER", "Cyrille", "M.", "RN", "Rassemblement National", 18328, "QUALIF T2"),
    (9, "MARCESSE", "Jacques", "M.", "REC", "Reconquête !", 479, "NON"),
]
ARDECHE_T2 = [
    (4, "PALLOT", "Florence", "Mme", "UG", "Union de la gauche", 18125, "NON"),
    (5, "BRUN", "Fabrice", "M.", "DVD", "Divers droite", 20414, "OUI"),
    (8, "GRANGIER", "Cyrille", "M.", "RN", "Rassemblement National", 20379, "NON"),
]


def legislative_xml(*, encoding: str = "UTF-8", t1_cast: int = 57371) -> str:
    def candidates(rows: list[tuple]) -> str:
        return "".join(
            CANDIDATE_XML.format(
                panel=p,
                last=last,
                first=first,
                civility=civ,
                nuance=nu,
                label=label,
                votes=votes,
                elected=elu,
            )
            for p, last, first, civ, nu, label, votes, elu in rows
        )

    return LEGISLATIVE_XML.format(
        encoding=encoding,
        t1_registered=81022,
        t1_abstentions=22335,
        t1_voters=58687,
        t1_blank=845,
        t1_null=471,
        t1_cast=t1_cast,
        t1_candidates=candidates(ARDECHE_T1),
        t2_registered=81011,
        t2_abstentions=20969,
        t2_voters=60042,
        t2_blank=789,
        t2_null=335,
        t2_cast=58918,
        t2_candidates=candidates(ARDECHE_T2),
    )


# 2022-style data.gouv.fr table: one named block, then unnamed ragged blocks of 9 fields.
HEADER_2022 = (
    "Code du département;Libellé du département;Code de la circonscription;Libellé de la circonscription;Etat saisie;"
    "Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;% Nuls/Ins;% Nuls/Vot;"
    "Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Nuance;Voix;% Voix/Ins;% Voix/Exp;Sièges"
)


def table_2022(rows: list[tuple[str, str, str, str, list[tuple]]]) -> str:
    """rows: (dept, dept label, circ, circ label, [(panel, sex, last, first, nuance, votes, elected)]),
    figures derived from the votes so that they add up."""
    lines = [HEADER_2022]
    for dept, dept_label, circ, circ_label, candidates in rows:
        cast = sum(c[5] for c in candidates)
        voters, registered = cast + 30, cast * 2 + 100
        fields = [
            dept,
            dept_label,
            circ,
            circ_label,
            "Complet",
            str(registered),
            str(registered - voters),
            "50,00",
            str(voters),
            "50,00",
            "20",
            "0,10",
            "1,00",
            "10",
            "0,10",
            "1,00",
            str(cast),
            "40,00",
            "90,00",
        ]
        for panel, sex, last, first, nuance, votes, elected in candidates:
            fields += [str(panel), sex, last, first, nuance, str(votes), "10,00", "20,00", elected]
        lines.append(";".join(fields))
    return "\r\n".join(lines) + "\r\n"
