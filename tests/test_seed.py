"""The Jönköpings län demo data: faithful to the sources, and idempotent."""

import tomllib
from datetime import date

import pytest

from registry import seed
from registry.domain import meeting_plan, queries, revisions, schedule
from registry.models import MODELS, Adoption, Agreement, Group, GroupMeeting, Organisation, Person, Review
from tests.factories import MUNICIPALITIES as FACTORY_MUNICIPALITIES
from tests.factories import agreement

MUNICIPALITIES = set(FACTORY_MUNICIPALITIES)


SEED = tomllib.loads(seed.DEMO_FILE.read_text(encoding="utf-8"))
# ReKo's list "Överenskommelser och avtal i samverkan" (001_… ~554–582), as rows: the KomHem agreement with its
# guidelines and Överenskommelse habilitering, and six more.
REKO_LIST = {
    "KomHem-avtal",
    "Tillämpningsanvisningar till KomHem-avtalet",
    "Överenskommelse habilitering",
    "Läkaruppdrag",
    "Trygg och säker utskrivning",
    "Vård och omsorg i hemmet",
    "Avvikelsehantering i samverkan",
    "Bedömning av egenvård",
    "SIP",
}
# Strategigrupp Äldre's list (001_… ~1912–1938).
AELDRE_LIST = {
    "Vård och omsorg i hemmet",
    "Överenskommelse om fördjupat arbetssätt för målgruppen sjuka, sköra äldre",
    "SIP",
    "Visam",
    "Läkaruppdrag",
    "Trygg och säker utskrivning",
    "Överenskommelse om samverkan vid utredning och uppföljning vid kognitiv svikt/demenssjukdom",
}


def _titles_in_group(name):
    group = Group.get(Group.name == name)
    return [a.title for a in Agreement.select().where(queries.in_group(group.id))]


def _names(rows):
    """Each agreement by its short name, or its title when it has none."""
    return {a.short_name or a.title for a in rows}


def _responsible(name):
    return Agreement.select().join(Group, on=Agreement.responsible_group).where(Group.name == name)


def test_parties_are_the_region_and_thirteen_municipalities(seeded):
    municipalities = {o.name for o in Organisation.select().where(Organisation.kind == "municipality")}
    assert municipalities == MUNICIPALITIES
    assert Organisation.get(Organisation.kind == "region").name == "Region Jönköpings län"
    lakar = agreement("Läkaruppdrag och medicinsk samverkan")
    assert {link.organisation.name for link in lakar.party_links} == MUNICIPALITIES | {"Region Jönköpings län"}


def test_strategy_groups_have_their_lists(seeded):
    """Each group's list in the source: Barn och unga's "elva aktuella överenskommelser" (001_… ~948) besides its
    draft proposal; Psykiatri och missbruk's three (~1659–1675); Äldre's seven (~1912–1938); ReKo's list
    (~554–582), besides the SIP guidelines (~663) and the Region's strategy (an assumption, see the seed file)."""
    barn = _responsible("Strategigrupp Barn och unga")
    assert barn.where(Agreement.status != "draft").count() == 11
    assert [a.status for a in barn.where(Agreement.status == "draft")] == ["draft"]
    assert _responsible("Strategigrupp Psykiatri och missbruk").count() == 3
    aeldre = Group.get(Group.name == "Strategigrupp Äldre")
    assert _names(Agreement.select().where(queries.in_group(aeldre.id))) >= AELDRE_LIST
    assert _names(_responsible("Strategigrupp Äldre")) == AELDRE_LIST - _names(_responsible("ReKo"))
    assert _names(_responsible("ReKo")) == REKO_LIST | {
        "Tillämpningsanvisningar till överenskommelsen om samordnad individuell plan (SIP)",
        "Regionens strategi 2020–2030",
    }


def test_lakaruppdrag_expires_end_of_2026_under_reko(seeded):
    lakar = agreement("Läkaruppdrag och medicinsk samverkan")
    assert lakar.expires_on == date(2026, 12, 31)
    assert lakar.responsible_group.name == "ReKo"
    assert lakar.kind == "avtal"
    assert lakar.status == "in_force"


def test_review_cycles_follow_the_sources(seeded):
    barn = Group.get(Group.name == "Strategigrupp Barn och unga")
    listed = Agreement.select().where((Agreement.responsible_group == barn) & (Agreement.status != "draft"))
    assert {a.review_rule for a in listed} == {"FREQ=YEARLY;INTERVAL=1"}  # the eleven (001_… ~948–952)
    ehealth = agreement("E-hälsostrategi")
    assert ehealth.review_rule == "FREQ=YEARLY;INTERVAL=3"
    # "revideras var tredje år" (001_… ~3414–3416), counted from the assumed start of its period 2023–2025.
    assert ehealth.next_review_on == date(2026, 1, 1)


def test_ehealth_strategy_2023_2025_is_under_revision_due_2026(seeded):
    """001_… ~3345: "E-hälsostrategi 2023-2025"; ~3412–3416: "upprättas av e-hälsorådet, antas av ReKo och redovisas
    för Primärkommunalt samverkansorgan. Strategin revideras var tredje år." """
    ehealth = Agreement.get(Agreement.short_name == "E-hälsostrategin")
    assert ehealth.title == "E-hälsostrategi 2023-2025"
    assert ehealth.kind == "strategi"
    assert ehealth.status == "under_revision"
    assert ehealth.revision_due_on.year == 2026
    assert ehealth.valid_from == date(2023, 1, 1)
    assert ehealth.responsible_group.name == "Styrgrupp för E-hälsorådet"
    assert ehealth.decision_body.name == "ReKo"
    pks = Group.get(Group.short_name == "PKS")
    assert pks.name == "Primärkommunalt samverkansorgan (PKS)" and pks.kind == "forum"
    assert ehealth.responsible_group.reports_to == pks
    work = revisions.open_of(ehealth)
    assert (work.mandate_by, work.due_on) == ("ReKo", date(2026, 1, 1))
    assert work.lead.email == "handlaggare.e-halsoradet@example.org"


def test_tillampningsanvisningar_belong_to_komhem(seeded):
    komhem = Agreement.get(Agreement.short_name == "KomHem-avtal")
    children = {c.kind for c in komhem.children}
    assert "tillampningsanvisning" in children


def test_group_structure(seeded):
    reko = Group.get(Group.name == "ReKo")
    assert reko.parent.name == "Kommunalt forum"
    assert {g.name for g in reko.children} >= {
        "Strategigrupp Barn och unga",
        "Strategigrupp Psykiatri och missbruk",
        "Strategigrupp Äldre",
        "Styrgrupp för E-hälsorådet",
        "Styrgruppen för hjälpmedelsverksamheten",
    }
    assert all(g.chair is not None and g.mailbox for g in Group.select())


def test_only_placeholder_addresses(seeded):
    addresses = [p.email for p in Person.select()] + [g.mailbox for g in Group.select()]
    assert addresses and all(a.endswith("@example.org") for a in addresses)


def test_every_agreement_has_an_owner_and_parties(seeded):
    """The parties an agreement names in the seed file, else the Region and its 13 municipalities."""
    named = {item["title"]: set(item["parties"]) for item in SEED["agreements"] if "parties" in item}
    for row in Agreement.select():
        assert row.owner_links.count() >= 1, row.title
        parties = {link.organisation.name for link in row.party_links}
        assert parties == named.get(row.title, MUNICIPALITIES | {"Region Jönköpings län"}), row.title
    assert named["Tillsammans möter vi framtidens behov av hälso- och sjukvård 2020-2030"] == {"Region Jönköpings län"}
    assert (
        named["Tillsammans möter vi framtidens behov inom området främjande, hälsa, stöd, omsorg och vård 2021-2030"]
        == MUNICIPALITIES
    )


def _snapshot():
    return {model.__name__: model.select().count() for model in MODELS}


def test_seeding_twice_changes_nothing(seeded):
    before = _snapshot()
    lakar = agreement("Läkaruppdrag")
    lakar.notes = "Ändrad av användare"
    lakar.save()
    created = seed.load()
    assert set(created.values()) == {0}
    assert _snapshot() == before
    assert agreement("Läkaruppdrag").notes == "Ändrad av användare"


def test_seed_command(runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert f"{len(SEED['agreements'])} agreements" in first.output
    again = runner.invoke(args=["seed", "--if-empty"])
    assert again.exit_code == 0
    assert "not empty" in again.output


def test_seed_file_with_unknown_group_is_refused(runner, tmp_path):
    bad = tmp_path / "other-region.toml"
    bad.write_text(
        '[[agreements]]\ntitle = "Familjecentral"\nkind = "overenskommelse"\nresponsible_group = "Folkhälsorådet"\n',
        encoding="utf-8",
    )
    result = runner.invoke(args=["seed", "--file", str(bad)])
    assert result.exit_code == 1
    assert "Folkhälsorådet" in result.output


def test_another_region_loads_its_own_file(runner, app, tmp_path):
    other = tmp_path / "orebro.toml"
    other.write_text(
        'default_parties = ["Region Örebro län", "Örebro kommun"]\n'
        '[[organisations]]\nname = "Region Örebro län"\nkind = "region"\n'
        '[[organisations]]\nname = "Örebro kommun"\nkind = "municipality"\n'
        '[[groups]]\nname = "KCRD"\nkind = "leadership"\n'
        '[[agreements]]\ntitle = "Regional samverkan för familjecentral"\nkind = "overenskommelse"\n'
        'responsible_group = "KCRD"\nstatus = "under_revision"\n',
        encoding="utf-8",
    )
    result = runner.invoke(args=["seed", "--file", str(other)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        agreement = Agreement.get(Agreement.title == "Regional samverkan för familjecentral")
        assert {link.organisation.name for link in agreement.party_links} == {"Region Örebro län", "Örebro kommun"}
        assert not Organisation.select().where(Organisation.name == "Region Jönköpings län").exists()


def test_secretary_and_meetings_from_the_sources(seeded):
    assert [p.email for p in Person.select().where(Person.is_secretary)] == ["sekreterare.reko@example.org"]
    forum = Group.get(Group.name == "Kommunalt forum")
    assert [m.meets_on for m in forum.meetings.order_by(GroupMeeting.meets_on)] == [
        date(2023, 4, 14),
        date(2025, 5, 9),
    ]


def test_kommunalt_forum_meetings_carry_their_paragraphs_and_case_numbers(seeded):
    """000_… ~7, ~175–180: §§ 12–19, § 15 Anmälningsärenden, "RJL 2023/1235"; 003_… ~10, ~190–197: §§ 9–16,
    § 11 Anmälningsärenden Kommunalt forum 2025, "RJL 2025/1101". Neither decided on an agreement."""
    forum = Group.get(Group.name == "Kommunalt forum")
    notes = {m.meets_on: m.note for m in forum.meetings}
    first, second = notes[date(2023, 4, 14)], notes[date(2025, 5, 9)]
    assert "§§ 12–19" in first and "§ 15 Anmälningsärenden" in first and "RJL 2023/1235" in first
    assert "§§ 9–16" in second and "§ 11 Anmälningsärenden" in second and "RJL 2025/1101" in second
    assert "RJL 2025/1101" not in first and "RJL 2023/1235" not in second
    assert not any(m.cancelled for m in forum.meetings)
    # The minutes record no decision on an agreement: nothing is made up from them. The one party decision in
    # the sources is Regionfullmäktige's on the Region's strategy, 2020-12-01 (002_… ~46).
    assert Review.select().count() == 0
    assert [(a.organisation.name, a.body, a.decided_on) for a in Adoption.select()] == [
        ("Region Jönköpings län", "Regionfullmäktige", date(2020, 12, 1))
    ]
    assert not Agreement.select().where(Agreement.case_number.in_(["RJL 2023/1235", "RJL 2025/1101"])).exists()


def test_decision_bodies_follow_the_sources(seeded):
    """ReKo decides the joint agreements (001_… ~173, ~1020–1024, ~1900–1902, ~3412); the hjälpmedel agreement
    goes to each principal's own political body (001_… ~3645–3647), no group of the register."""
    by_body = {}
    for row in Agreement.select():
        by_body.setdefault(row.decision_body.name if row.decision_body_id else None, []).append(row)
    # Every agreement of the action plan's lists, its drafts and the e-health strategy: ReKo.
    joint = (
        Agreement.select()
        .join(Group, on=Agreement.responsible_group)
        .where(
            Group.name.in_(
                [
                    "ReKo",
                    "Strategigrupp Barn och unga",
                    "Strategigrupp Psykiatri och missbruk",
                    "Strategigrupp Äldre",
                    "Styrgrupp för E-hälsorådet",
                ]
            )
        )
    )
    assert _names(by_body["ReKo"]) == _names(joint) - {"Regionens strategi 2020–2030"}
    # The others go to the parties' own bodies, or the sources name none.
    assert _names(by_body[None]) == {
        "Hjälpmedelsavtalet",
        "Regionens strategi 2020–2030",
        "Kommunernas strategi 2021–2030",
        "Jämlik hälsa",
        "Handlingsplan jämlik hälsa 2021-2023",
        "SBU-överenskommelsen",
        "SBU:s handlingsplan 2024–2027",
    }
    assert set(by_body) == {"ReKo", None}
    responsible = {a.responsible_group.name for a in by_body["ReKo"]}
    assert responsible == {
        "ReKo",
        "Strategigrupp Barn och unga",
        "Strategigrupp Psykiatri och missbruk",
        "Strategigrupp Äldre",
        "Styrgrupp för E-hälsorådet",
    }
    # The deciding meeting is ReKo's: a yearly Barn och unga follow-up due 2026-01-01, 14 parties, is decided by
    # 2025-10-03, at ReKo's meeting on Friday 2025-09-12 (its second Friday in October comes after that day).
    youth = agreement("Överenskommelse ungdomsmottagningar")
    decision = schedule.Meetings([youth]).deciding_meeting(youth, date(2026, 1, 1))
    assert (decision.group.name, decision.meets_on) == ("ReKo", date(2025, 9, 12))


def test_meeting_plans_follow_the_sources(seeded):
    """Barn och unga and Psykiatri och missbruk meet six times a year (001_… ~913, ~1647); the days, and ReKo's
    rule, are assumptions marked in the seed file; the other groups have no plan in the sources."""
    rules = {g.name: g.meeting_rule for g in Group.select()}
    for name in ("Strategigrupp Barn och unga", "Strategigrupp Psykiatri och missbruk"):
        group = Group.get(Group.name == name)
        year = meeting_plan.plan_of(group).between(date(2026, 1, 1), date(2026, 12, 31))
        assert len(year) == 6, name
    assert rules["ReKo"] == "FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12"
    for name in ("Strategigrupp Äldre", "Styrgrupp för E-hälsorådet", "Styrgruppen för hjälpmedelsverksamheten"):
        assert rules[name] == "", name
    assert rules["Kommunalt forum"] == ""  # two single meetings only


def test_seed_meetings_as_tables_with_notes(app, tmp_path):
    """A group's `meetings` may mix dates and tables with `day` and `note`; loading again adds nothing."""
    path = tmp_path / "meetings.toml"
    path.write_text(
        '[[groups]]\nname = "Forum"\nmeetings = [2024-03-01, { day = 2024-06-07, note = "§§ 1–5, dnr X 2024/1" }]\n',
        encoding="utf-8",
    )
    assert seed.load(path)["meetings"] == 2
    forum = Group.get(Group.name == "Forum")
    assert {(m.meets_on, m.note) for m in forum.meetings} == {
        (date(2024, 3, 1), ""),
        (date(2024, 6, 7), "§§ 1–5, dnr X 2024/1"),
    }
    assert seed.load(path)["meetings"] == 0


def test_seed_meeting_without_a_day_or_with_a_bad_note_is_refused(app, tmp_path):
    for meetings, words in (
        ('[{ note = "utan dag" }]', "meetings"),
        ('["inte ett datum"]', "meetings"),
        ('[{ day = 2024-06-07, note = "två\\nrader" }]', "note"),
    ):
        path = tmp_path / "bad.toml"
        path.write_text(f'[[groups]]\nname = "Forum"\nmeetings = {meetings}\n', encoding="utf-8")
        with pytest.raises(seed.SeedError, match=words):
            seed.load(path)


def test_demo_accounts_keep_the_groups_their_people_have(seeded):
    """The secretary's account (no groups in the seed file) leaves her ReKo membership as it is, so
    "Mina avtal" shows ReKo's agreements; an account with groups gets them added."""
    from registry import seed
    from registry.domain.queries import person_group_ids
    from registry.models import Group, Person

    def groups_of(email):
        person = Person.get(Person.email == email)
        return {Group.get_by_id(pk).name for pk in person_group_ids(person.id)}

    before = groups_of("sekreterare.reko@example.org")
    assert "ReKo" in before
    seed.load_users()
    assert groups_of("sekreterare.reko@example.org") == before
    assert "Strategigrupp Äldre" in groups_of("beredning.aldre@example.org")


def test_harmful_use_proposal_is_a_draft_with_its_legal_basis(seeded):
    """001_… ~1417–1461: Barn och unga's working group "tar fram ett förslag på överenskommelse" (follow-up
    2025-12-05), which "5 kap. 9 a § SoL och 16 kap. 3 § HSL" require. A draft that all fourteen must adopt."""
    draft = Agreement.get(Agreement.status == "draft")
    assert "skadligt bruk eller beroende" in draft.title
    assert draft.legal_basis == "5 kap. 9 a § SoL; 16 kap. 3 § HSL"
    assert draft.responsible_group.name == "Strategigrupp Barn och unga"
    assert draft.decision_body.name == "ReKo"
    assert "2025-12-05" in draft.notes
    assert draft.valid_from is None  # no planned start in the sources, so none is assumed
    assert {link.organisation.name for link in draft.party_links} == MUNICIPALITIES | {"Region Jönköpings län"}
    assert all(link.must_adopt for link in draft.party_links)
    assert not draft.adoptions.exists()


def test_dated_strategies_and_action_plans(seeded):
    """The dated documents the sources name, with their dates (days the sources do not give are assumptions)."""
    region = agreement("Tillsammans möter vi framtidens behov av hälso- och sjukvård 2020-2030")
    assert (region.kind, region.status, region.decision_date) == ("strategi", "under_revision", date(2020, 12, 1))
    assert region.decision_ref == "Regionfullmäktige 2020-12-01"  # 002_… ~46
    assert region.expires_on == date(2030, 12, 31)
    municipal = Agreement.get(Agreement.short_name == "Kommunernas strategi 2021–2030")
    assert (municipal.valid_from, municipal.expires_on) == (date(2021, 1, 1), date(2030, 12, 31))
    assert municipal.responsible_group.short_name == "PKS"  # 002_… ~44: "utarbetats via PKS"
    equal = Agreement.get(Agreement.short_name == "Jämlik hälsa")
    assert (equal.valid_from, equal.expires_on) == (date(2016, 1, 1), date(2025, 12, 31))  # 001_… ~3130
    assert equal.responsible_group.name == "Folkhälsa"
    assert [d.url for d in equal.documents] == [
        "https://utveckling.rjl.se/strategier--handlingsplaner/"
        "strategin-tillsammans-for-jamlik-halsa-och-ett-bra-liv-i-jonkopings-lan-folkhalsa/"
    ]
    plan = agreement("Handlingsplan jämlik hälsa 2021-2023")
    assert (plan.kind, plan.parent, plan.expires_on) == ("handlingsplan", equal, date(2023, 12, 31))
    sbu = Agreement.get(Agreement.short_name == "SBU-överenskommelsen")
    assert sbu.valid_from.year == 2010  # 003_… ~795–798: "Inkluderades i samverkansarbetet 2010 genom överenskommelse"
    assert {link.organisation.name for link in sbu.party_links} == {"Jönköpings kommun", "Region Jönköpings län"}
    action = agreement("SBU:s handlingsplan 2024–2027")
    assert (action.kind, action.parent) == ("handlingsplan", sbu)
    assert (action.valid_from, action.expires_on) == (date(2024, 1, 1), date(2027, 12, 31))  # 003_… ~833
    assert action.responsible_group.short_name == "SBU"
    assert [link.group.short_name for link in action.contributor_links] == ["BBU"]


def test_groups_the_sources_name(seeded):
    """PKS (001_… ~3414; 000_… § 18; 003_… § 14), Samordningsgrupp rehabilitering (000_… ~1131), the Folkhälsa and
    Funktionsnedsättning plans' groups (001_… ~88–90), SBU and BBU (003_… ~355–359, ~806–821)."""
    groups = {g.name: g for g in Group.select()}
    assert {
        "Primärkommunalt samverkansorgan (PKS)",
        "Samordningsgrupp rehabilitering",
        "Folkhälsa",
        "Funktionsnedsättning",
        "Samverkansorganet för barn och ungdom (SBU)",
        "Beredningsgrupp för barn och ungdom (BBU)",
    } <= set(groups)
    for name in ("Samordningsgrupp rehabilitering", "Folkhälsa", "Funktionsnedsättning"):
        assert groups[name].parent.name == "ReKo", name
    bbu = groups["Beredningsgrupp för barn och ungdom (BBU)"]
    assert bbu.parent == bbu.reports_to == groups["Samverkansorganet för barn och ungdom (SBU)"]
    assert groups["Primärkommunalt samverkansorgan (PKS)"].parent is None


def test_deepening_documents_belong_to_the_home_care_agreement(seeded):
    """001_… ~2706–2720: the home-care agreement "med fördjupningsdokument för gruppen sköra och mest sjuka äldre",
    like the children's "Fördjupad beskrivning" (~991–993)."""
    home = Agreement.get(Agreement.short_name == "Vård och omsorg i hemmet")
    frail = agreement("Överenskommelse om fördjupat arbetssätt för målgruppen sjuka, sköra äldre")
    children = agreement("Fördjupad beskrivning arbetssätt för målgruppen barn")
    assert frail.parent == home and children.parent == home


def test_revisions_the_sources_describe(seeded):
    """HälsoSAMS: the placed children's agreements revised, follow-up 2025-09-12 (001_… ~1539–1560); SIP with its
    guidelines, by all three strategy groups (~663–670)."""
    placed = Agreement.select().where(Agreement.title.contains("placer") & (Agreement.kind == "overenskommelse"))
    by_group = {(a.responsible_group.short_name, a.status, a.revision_due_on) for a in placed}
    assert by_group == {
        ("Barn och unga", "under_revision", date(2025, 9, 12)),
        ("Psykiatri och missbruk", "in_force", None),  # the adults' agreement: not part of HälsoSAMS
    }
    assert len([a for a in placed if a.responsible_group.short_name == "Barn och unga"]) == 2
    sip = Agreement.get(Agreement.short_name == "SIP")
    assert sip.status == "under_revision"
    assert {link.group.name for link in sip.contributor_links} == {
        "Strategigrupp Barn och unga",
        "Strategigrupp Psykiatri och missbruk",
        "Strategigrupp Äldre",
    }
    assert [(c.kind, c.status) for c in sip.children] == [("tillampningsanvisning", "under_revision")]


def test_every_revision_under_way_is_a_piece_of_work(seeded):
    """The agreements the sources say are being revised carry a revision with its mandate, due date and, for
    HälsoSAMS, the plan's three steps (001_… ~1539–1560), each due date the agreement's own."""
    under_way = Agreement.select().where(
        (Agreement.status == "under_revision") & (Agreement.kind != "tillampningsanvisning")
    )
    assert under_way.count() == len(SEED["revisions"]) == 5
    for row in under_way:
        work = revisions.open_of(row)
        assert work is not None, row.title
        assert work.mandate_by, row.title
        assert work.due_on == row.revision_due_on, row.title
    placed = [a for a in under_way if "placer" in a.title]
    assert len(placed) == 2
    for row in placed:
        work = revisions.open_of(row)
        assert work.due_on == date(2025, 9, 12) and work.started_on == date(2025, 1, 1)
        assert [step.title for step in revisions.steps_of(work)] == [
            "Klargöra länets processflöde för placerade barns hälsa utifrån HälsoSAMS",
            "Se över vilka delar som länet vill ha kvar som specifika för sitt samarbete",
            "Revidera överenskommelsen utifrån att ha HälsoSAMS som gemensamt arbetssätt",
        ]


def test_document_links_from_the_sources(seeded):
    """002_… ~388–391 (KomHem), 001_… ~702 (Läkaruppdrag), ~983 (Barn och unga), ~1946–1948 (Äldre)."""
    komhem = Agreement.get(Agreement.short_name == "KomHem-avtal")
    assert [d.url for d in komhem.documents] == [
        "https://folkhalsaochsjukvard.rjl.se/api/Evolution/pdf/6f993e0a-1013-471e-9eeb-b386978e2ed4"
    ]
    lakar = agreement("Läkaruppdrag")
    assert any("86ca4f3a-2582-41d3-8253-98e600e1e0ac" in d.url for d in lakar.documents)
    for row in _responsible("Strategigrupp Barn och unga").where(Agreement.status != "draft"):
        assert [d.url for d in row.documents] == [
            "https://folkhalsaochsjukvard.rjl.se/uppdrag-och-avtal/kommunsamverkan/?accordionAnchor=24817"
        ], row.title
    for row in _responsible("Strategigrupp Äldre"):
        assert "https://folkhalsaochsjukvard.rjl.se/vardstod/samordnade-insatser/" in {d.url for d in row.documents}


def test_seed_file_records_adoptions(app, tmp_path):
    """An agreement's `adoptions` are recorded as the parties' decisions; a non-party is refused."""
    path = tmp_path / "adopted.toml"
    text = (
        '[[organisations]]\nname = "Region X"\nkind = "region"\n'
        '[[organisations]]\nname = "Kommun Y"\nkind = "municipality"\n'
        '[[groups]]\nname = "Forum"\n'
        '[[agreements]]\ntitle = "Strategi"\nkind = "strategi"\nresponsible_group = "Forum"\n'
        'parties = ["Region X"]\n'
        'adoptions = [{ party = "PARTY", body = "Regionfullmäktige", decided_on = 2020-12-01, decision_ref = "§ 5" }]\n'
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("PARTY", "Kommun Y"), encoding="utf-8")
    with pytest.raises(seed.SeedError, match="Kommun Y"):
        seed.load(bad)
    path.write_text(text.replace("PARTY", "Region X"), encoding="utf-8")
    assert seed.load(path)["agreements"] == 1
    row = Adoption.get()
    assert (row.organisation.name, row.body, row.decided_on, row.decision_ref) == (
        "Region X",
        "Regionfullmäktige",
        date(2020, 12, 1),
        "§ 5",
    )
    assert seed.load(path)["agreements"] == 0 and Adoption.select().count() == 1


def test_a_draft_gets_no_default_start(app, tmp_path):
    """default_valid_from is the assumed start of agreements in force; a draft has not started."""
    path = tmp_path / "draft.toml"
    path.write_text(
        'default_valid_from = 2025-01-01\n[[groups]]\nname = "Forum"\n'
        '[[agreements]]\ntitle = "Utkast"\nkind = "overenskommelse"\nresponsible_group = "Forum"\nstatus = "draft"\n'
        '[[agreements]]\ntitle = "Gällande"\nkind = "overenskommelse"\nresponsible_group = "Forum"\n',
        encoding="utf-8",
    )
    seed.load(path)
    assert Agreement.get(Agreement.title == "Utkast").valid_from is None
    assert Agreement.get(Agreement.title == "Gällande").valid_from == date(2025, 1, 1)
