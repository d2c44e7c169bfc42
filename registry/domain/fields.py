"""The one definition of an agreement's fields.

Every field an agreement has is described here once: its label (Swedish, translated
for English pages), its kind of value and limits, the fieldset of the form it sits
in, its name in the JSON API, its header in the spreadsheet, and its key in a seed
file. Everything that handles an agreement reads this table:

- validation (registry/domain/agreements.py) checks each field by its kind and limits;
- the web form (registry/forms.py) is built from it, and the form page lays it out;
- the agreement page lists the facts from it;
- the API's request and response schemas and its serialisation (registry/api/);
- the spreadsheet's columns for export and import (registry/domain/spreadsheet.py);
- the audit trail's snapshot and the change history's labels;
- the seed file loader (registry/seed.py).

Adding a field is: a column on the model, a migration, a row here, and the
translations of its label and help.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..rules.policy import MAX_OFFSET_DAYS
from ..vocab import AGREEMENT_KINDS, AGREEMENT_STATUSES, PUBLICATION_CHOICES
from .validation import LINE_MAX, MAX_LINKS, MAX_OFFSETS, TEXT_MAX  # noqa: F401 (MAX_OFFSETS: the API reads it here)

# Kinds of value. Scalars are stored in the agreement's own row; links in tables of their own.
LINE = "line"  # single-line text
TEXT = "text"  # long text (line breaks allowed)
CODE = "code"  # a code from a vocabulary
DATE = "date"
INT = "int"
GROUP = "group"  # one group (a foreign key)
GROUPS = "groups"  # several groups (a link table)
PEOPLE = "people"
ORGANISATIONS = "organisations"
AGREEMENT = "agreement"  # another agreement (a foreign key)
CYCLE = "cycle"  # a review cycle (recurrence rule text)
OFFSETS = "offsets"  # reminder days before a deadline ("180, 90, 30")
DOCUMENTS = "documents"  # (title, url) pairs

SCALAR_KINDS = (LINE, TEXT, CODE, DATE, INT, CYCLE, OFFSETS)
FOREIGN_KEY_KINDS = (GROUP, AGREEMENT)
LINK_KINDS = (GROUPS, PEOPLE, ORGANISATIONS)

# Form fieldsets, in page order: (legend, help under it).
SECTIONS = {
    "agreement": (_l("Avtalet"), ""),
    "responsibility": (_l("Ansvar och parter"), ""),
    "validity": (_l("Beslut, giltighet och uppföljning"), ""),
    "reminders": (_l("Påminnelser"), _l("Lämna tomt för att använda den ansvariga gruppens inställning.")),
    "relations": (_l("Samband och dokument"), ""),
    "publication": (
        _l("Publicering"),
        _l("Publicerade avtal visas utan inloggning i det öppna registret (/public), utan personer och anteckningar."),
    ),
}


@dataclass(frozen=True)
class Field:
    """One field of an agreement and how every part of the product shows and reads it."""

    name: str  # the domain's key: save_agreement's data, the model's attribute
    label: object  # short label: pages, change history, error summaries
    kind: str
    section: str
    header: str  # spreadsheet column header (the file format is Swedish whatever the language)
    required: bool = False
    max_length: int | None = None  # LINE, TEXT
    low: int | None = None  # INT
    high: int | None = None  # INT
    vocabulary: dict | None = None  # CODE
    unique: bool = False  # LINE: no two agreements share a value (empty is not a value)
    api: str | None = None  # name in the JSON API (default: name)
    seed: str | None = None  # key in a seed file (default: name)
    form_label: object = None  # the form's label, when longer than `label`
    help: object = ""  # shown under the form field
    sheet_help: object = ""  # how to fill the spreadsheet column
    api_description: str = ""
    unit: object = None  # shown after a number on the agreement page
    wide: bool = False  # the form field takes the whole width
    fact: bool = True  # listed among the facts on the agreement page
    blank: object = None  # what the agreement page shows when the field is empty (default "–")
    blank_warns: bool = False  # an empty value is shown as a warning
    audited: bool = True  # recorded in the audit trail
    only_in_status: str | None = None  # a fact on the agreement page only in this status
    default: object = None  # the value when nothing is given, when not the kind's empty value

    @property
    def api_name(self):
        return self.api or self.name

    @property
    def seed_key(self):
        return self.seed or self.name

    @property
    def is_scalar(self):
        return self.kind in SCALAR_KINDS

    @property
    def empty(self):
        """The value of the field when nothing is given."""
        if self.default is not None:
            return self.default
        if self.kind in (*LINK_KINDS, DOCUMENTS):
            return []
        if self.kind in (DATE, INT, GROUP, AGREEMENT) or (self.kind == LINE and self.unique):
            return None
        return ""


FIELDS = (
    Field("title", _l("Titel"), LINE, "agreement", "Titel", required=True, max_length=500, wide=True,
          sheet_help=_l("Måste anges."), fact=False),
    Field("short_name", _l("Kortnamn"), LINE, "agreement", "Kortnamn", max_length=100),
    Field("kind", _l("Typ"), CODE, "agreement", "Typ", required=True, vocabulary=AGREEMENT_KINDS, fact=False,
          sheet_help=_l("Avtal, Överenskommelse, Tillämpningsanvisning, Strategi, …")),
    Field("case_number", _l("Diarienummer"), LINE, "agreement", "Diarienummer", max_length=100, unique=True,
          help=_l("Till exempel RJL 2023/1235"), sheet_help=_l("Används för att känna igen avtalet vid nästa import."),
          api_description="Diarienummer; unique"),
    Field("status", _l("Status"), CODE, "agreement", "Status", required=True, vocabulary=AGREEMENT_STATUSES,
          fact=False,
          sheet_help=_l("Utkast, Gällande, Under revidering, Upphört att gälla, Uppsagt, Ersatt.")),
    Field("description", _l("Beskrivning"), TEXT, "agreement", "Beskrivning", max_length=TEXT_MAX, wide=True,
          fact=False),
    Field("target_group", _l("Målgrupp"), TEXT, "agreement", "Målgrupp", max_length=TEXT_MAX, wide=True, fact=False),
    Field("legal_basis", _l("Lagrum"), LINE, "agreement", "Lagrum", max_length=LINE_MAX, wide=True,
          help=_l("Till exempel 5 kap. 9 a § SoL; 16 kap. 3 § HSL"),
          sheet_help=_l("Lagrum som avtalet vilar på, t.ex. 5 kap. 9 a § SoL; 16 kap. 3 § HSL."),
          api_description="Legal basis, e.g. 5 kap. 9 a § SoL; 16 kap. 3 § HSL"),
    Field("responsible_group", _l("Ansvarig grupp"), GROUP, "responsibility", "Ansvarig grupp", required=True,
          api="responsible_group_id", form_label=_l("Ansvarig grupp (förvaltande/uppföljande)"),
          sheet_help=_l("Måste anges; gruppens namn eller kortnamn.")),
    Field("contributing_groups", _l("Medverkande grupper"), GROUPS, "responsibility", "Medverkande grupper",
          api="contributing_group_ids", sheet_help=_l("Gruppnamn åtskilda med «; ».")),
    Field("owners", _l("Ägare"), PEOPLE, "responsibility", "Ägare", api="owner_ids",
          form_label=_l("Ägare (personer)"), sheet_help=_l("E-postadresser (eller namn) åtskilda med «; »."),
          blank=_l("Ägare saknas"), blank_warns=True,
          api_description="People who own the agreement (ids from /api/v1/people)"),
    Field("parties", _l("Parter"), ORGANISATIONS, "responsibility", "Parter", api="party_ids", fact=False,
          sheet_help=_l("Parternas namn åtskilda med «; »."),
          api_description="Organisations that are parties (ids from /api/v1/organisations)"),
    Field("decision_body", _l("Beslutande organ"), GROUP, "validity", "Beslutande organ", api="decision_body_id",
          sheet_help=_l("Gruppens namn eller kortnamn.")),
    Field("decision_date", _l("Beslutsdatum"), DATE, "validity", "Beslutsdatum", sheet_help=_l("ÅÅÅÅ-MM-DD.")),
    Field("decision_ref", _l("Beslutsreferens"), LINE, "validity", "Beslutsreferens", max_length=LINE_MAX,
          help=_l("Till exempel ReKo 2024-11-15 § 5")),
    Field("valid_from", _l("Giltig från"), DATE, "validity", "Giltig från", sheet_help=_l("ÅÅÅÅ-MM-DD.")),
    Field("expires_on", _l("Giltig till"), DATE, "validity", "Giltig till",
          help=_l("Lämna tomt om avtalet gäller tills vidare."), sheet_help=_l("ÅÅÅÅ-MM-DD; tomt = tills vidare."),
          blank=_l("Tills vidare")),
    Field("revision_due_on", _l("Ny version senast"), DATE, "validity", "Ny version senast",
          only_in_status="under_revision",
          help=_l("Gäller avtal under revidering: när den nya versionen ska vara beslutad. Lämnas fältet "
                  "tomt räknas datumet fram (normalt sex månader från i dag)."),
          sheet_help=_l("ÅÅÅÅ-MM-DD; gäller avtal under revidering, tomt = sex månader framåt."),
          api_description="Under revision: the date the new version must be decided by; "
                          "empty = REVISION_MONTHS (6) months from today"),
    Field("notice_period_months", _l("Uppsägningstid"), INT, "validity", "Uppsägningstid (månader)", low=0,
          high=120, form_label=_l("Uppsägningstid (månader)"), unit=_l("månader"),
          help=_l("Hur många månader före upphörandet en part måste säga upp avtalet."),
          sheet_help=_l("Antal månader, t.ex. 6; tomt = anges inte."),
          api_description="Notice period in months; null = not stated"),
    Field("review_rule", _l("Uppföljningscykel"), CYCLE, "validity", "Uppföljningscykel", seed="review",
          blank=_l("Ingen fast uppföljningscykel"),
          sheet_help=_l("Årligen, Vart 2:e år, Var 6:e månad …; tomt = ingen fast cykel."),
          api_description='Review cycle as an RFC 5545 rule, e.g. "FREQ=YEARLY;INTERVAL=2"; null = none'),
    Field("expiry_offsets", _l("Påminn före slutdatum"), OFFSETS, "reminders", "Påminn före slutdatum (dagar)",
          form_label=_l("Påminn före slutdatum (dagar)"), fact=False,
          help=_l("T.ex. 180, 90, 30, 7. Tomt = ärvs (standard 180, 90, 30, 7)."),
          sheet_help=_l("T.ex. 180, 90, 30; tomt = ärvs.")),
    Field("review_offsets", _l("Påminn före uppföljning"), OFFSETS, "reminders", "Påminn före uppföljning (dagar)",
          form_label=_l("Påminn före uppföljning (dagar)"), fact=False,
          help=_l("T.ex. 60, 14. Tomt = ärvs (standard 60, 14)."), sheet_help=_l("T.ex. 60, 14; tomt = ärvs.")),
    Field("overdue_every_days", _l("Dagar mellan påminnelser efter tidsfristen"), INT, "reminders",
          "Upprepa försenad påminnelse (dagar)", low=1, high=365,
          unit=_l("dagar"), fact=False, help=_l("Tomt = ärvs (standard 7)."), sheet_help=_l("Tomt = ärvs."),
          api_description="null = inherited"),
    Field("parent", _l("Hör till avtal"), AGREEMENT, "relations", "Hör till avtal", api="parent_id", fact=False,
          sheet_help=_l("Diarienummer eller titel på ett avtal i filen eller registret.")),
    Field("replaced_by", _l("Ersatt av"), AGREEMENT, "relations", "Ersatt av", api="replaced_by_id", fact=False,
          sheet_help=_l("Diarienummer eller titel; krävs när status är Ersatt.")),
    Field("documents", _l("Dokument"), DOCUMENTS, "relations", "Dokument", wide=True, fact=False,
          help=_l("En länk per rad: Titel | https://…"), sheet_help=_l("En länk per rad: Titel | https://…"),
          api_description="Replaces the agreement's document links"),
    Field("notes", _l("Anteckningar"), TEXT, "relations", "Anteckningar", max_length=TEXT_MAX, wide=True,
          fact=False),
    Field("publication", _l("Publicering"), CODE, "publication", "Publicering", vocabulary=PUBLICATION_CHOICES,
          default="auto", fact=False, form_label=_l("Publicera i det öppna registret"),
          help=_l("Standardregeln publicerar gällande avtal och överenskommelser (också under revidering)."),
          sheet_help=_l("Enligt standardregeln, Publiceras eller Publiceras inte; tomt = enligt standardregeln."),
          api_description='Publication in the public register (/public): "auto" = published when in force '
                          '(in_force or under_revision) and of kind avtal or overenskommelse; "yes"; "no"'),
)  # fmt: skip

BY_NAME = {f.name: f for f in FIELDS}
BY_API_NAME = {f.api_name: f for f in FIELDS}
SCALARS = tuple(f for f in FIELDS if f.is_scalar)
# Every field save_agreement takes, empty: the base that API bodies and spreadsheet rows apply to.
EMPTY = {f.name: f.empty for f in FIELDS}
# The labels the change history shows for an agreement's fields.
LABELS = {f.name: f.label for f in FIELDS}
MAX_DOCUMENT_TITLE = LINE_MAX
MAX_URL = 1000
OFFSET_DAYS = (1, MAX_OFFSET_DAYS)


def in_section(section):
    return [f for f in FIELDS if f.section == section]


def facts():
    """The fields the agreement page lists among its facts, in table order."""
    return [f for f in FIELDS if f.fact]


__all__ = ["FIELDS", "BY_NAME", "BY_API_NAME", "SCALARS", "EMPTY", "LABELS", "SECTIONS", "MAX_LINKS"]
