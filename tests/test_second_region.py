"""A second region without code (issue 14, item 5): Region Örebro län's file loads into an empty
database through the seed command, with its own parties, council and the agreement it is revising."""

from pathlib import Path

from registry.db import db
from registry.domain import revisions
from registry.models import Agreement, AgreementParty, Group, Organisation, Person

OREBRO = Path(__file__).resolve().parent.parent / "registry" / "seed_data" / "orebro.toml"
FAMILY_CENTRES = (
    "Regional samverkan för familjecentral – Överenskommelse mellan Region Örebro län och kommunerna i Örebro län"
)


def load(runner, app):
    result = runner.invoke(args=["seed", "--file", str(OREBRO)])
    assert result.exit_code == 0, result.output
    assert "1 agreements" in result.output and "1 revisions" in result.output
    return app


def test_orebro_loads_into_an_empty_database(runner, app):
    load(runner, app)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            agreement = Agreement.get(Agreement.title == FAMILY_CENTRES)
            assert agreement.status == "under_revision"
            assert agreement.responsible_group.name == "Specifika samverkansrådet för folkhälsa"
            parties = sorted(
                o.name for o in Organisation.select().join(AgreementParty).where(AgreementParty.agreement == agreement)
            )
            assert len(parties) == 13 and "Region Örebro län" in parties and "Örebro kommun" in parties
            assert not any("Jönköping" in name for name in parties)
            # Nothing of the demo region: its groups are not there.
            assert Group.get_or_none(Group.name == "ReKo") is None
            assert {g.name for g in Group.select()} == {
                "Specifika samverkansrådet för folkhälsa",
                "KCRD",
                "Chefsgrupp folkhälsa",
            }
            assert all(p.email.endswith("@example.org") for p in Person.select())
            # Its revision: KCRD's mandate, the project leader, the three steps of the minutes.
            revision = revisions.open_of(agreement)
            assert revision is not None
            assert revision.mandate_by.startswith("KCRD") and revision.mandate_on is None
            assert revision.lead.email == "projektledare.familjecentraler@example.org"
            steps = [s.title for s in revisions.steps_of(revision)]
            assert steps[0].startswith("Utkast") and steps[1].startswith("Barnkonsekvensanalys")
            assert "krav- och kvalitetsboken" in steps[2]
            assert all(s.due_on is None and s.done_on is None for s in revisions.steps_of(revision))
        finally:
            db.close()
    # Loading twice adds nothing.
    again = runner.invoke(args=["seed", "--file", str(OREBRO)])
    assert "created 0 organisations, 0 people, 0 groups" in again.output
    assert "0 agreements, 0 revisions" in again.output
