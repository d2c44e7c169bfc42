"""The Jönköpings län demo data: faithful to the sources, and idempotent."""

from datetime import date

import pytest

from registry import seed
from registry.domain import meeting_plan, queries, schedule
from registry.models import MODELS, Adoption, Agreement, Group, GroupMeeting, Organisation, Person, Review
from tests.factories import MUNICIPALITIES as FACTORY_MUNICIPALITIES
from tests.factories import agreement

MUNICIPALITIES = set(FACTORY_MUNICIPALITIES)


def _titles_in_group(name):
    group = Group.get(Group.name == name)
    return [a.title for a in Agreement.select().where(queries.in_group(group.id))]


def test_parties_are_the_region_and_thirteen_municipalities(seeded):
    municipalities = {o.name for o in Organisation.select().where(Organisation.kind == "municipality")}
    assert municipalities == MUNICIPALITIES
    assert Organisation.get(Organisation.kind == "region").name == "Region Jönköpings län"
    lakar = agreement("Läkaruppdrag och medicinsk samverkan")
    assert {link.organisation.name for link in lakar.party_links} == MUNICIPALITIES | {"Region Jönköpings län"}


def test_strategy_groups_have_their_lists(seeded):
    assert len(_titles_in_group("Strategigrupp Barn och unga")) == 11
    assert len(_titles_in_group("Strategigrupp Psykiatri och missbruk")) == 3
    assert len(_titles_in_group("Strategigrupp Äldre")) == 7
    reko = Agreement.select().join(Group, on=Agreement.responsible_group).where(Group.name == "ReKo")
    assert reko.count() == 9


def test_lakaruppdrag_expires_end_of_2026_under_reko(seeded):
    lakar = agreement("Läkaruppdrag och medicinsk samverkan")
    assert lakar.expires_on == date(2026, 12, 31)
    assert lakar.responsible_group.name == "ReKo"
    assert lakar.kind == "avtal"
    assert lakar.status == "in_force"


def test_review_cycles_follow_the_sources(seeded):
    barn = Group.get(Group.name == "Strategigrupp Barn och unga")
    rules = {a.review_rule for a in Agreement.select().where(Agreement.responsible_group == barn)}
    assert rules == {"FREQ=YEARLY;INTERVAL=1"}
    ehealth = agreement("e-hälsostrategi")
    assert ehealth.review_rule == "FREQ=YEARLY;INTERVAL=3"
    assert ehealth.next_review_on == date(2028, 1, 1)
    assert ehealth.decision_body.name == "ReKo"
    assert ehealth.responsible_group.name == "Styrgrupp för E-hälsorådet"


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
    for row in Agreement.select():
        assert row.owner_links.count() >= 1, row.title
        assert row.party_links.count() == 14, row.title


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
    assert "28 agreements" in first.output
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
    # The minutes record no decision on an agreement: nothing is made up from them.
    assert Review.select().count() == 0
    assert Adoption.select().count() == 0
    assert not Agreement.select().where(Agreement.case_number.in_(["RJL 2023/1235", "RJL 2025/1101"])).exists()


def test_decision_bodies_follow_the_sources(seeded):
    """ReKo decides the joint agreements (001_… ~173, ~1020–1024, ~1900–1902, ~3412); the hjälpmedel agreement
    goes to each principal's own political body (001_… ~3645–3647), no group of the register."""
    by_body = {}
    for row in Agreement.select():
        by_body.setdefault(row.decision_body.name if row.decision_body_id else None, []).append(row)
    assert len(by_body["ReKo"]) == 27
    assert [a.short_name for a in by_body[None]] == ["Hjälpmedelsavtalet"]
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
