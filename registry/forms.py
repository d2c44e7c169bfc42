"""Web forms (Flask-WTF). Field-level checks live here; rules that involve
several fields or the database live in registry.domain.agreements."""

import datetime
import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    Form,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .collation import sorted_organisations, sv_key
from .domain import fields as F
from .domain.adoptions import DECISION_FIELDS
from .domain.agreements import editable_values
from .domain.indicators import field_name, number_text, target_text
from .models import Agreement, Group, Organisation, Person
from .rules import cycles
from .vocab import (
    DOCUMENT_KINDS,
    GROUP_KINDS,
    INDICATOR_DIRECTIONS,
    ORGANISATION_KINDS,
    REVIEW_OUTCOMES,
    ROLES,
)

# WTForms' own messages for a value it cannot read, as sentences that say what to write.
_WTFORMS_MESSAGES = {
    "Not a valid date value.": _l("Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31."),
    "Not a valid integer value.": _l("Värdet är inget heltal. Ange ett heltal, till exempel 6."),
    "Not a valid choice.": _l("Värdet finns inte i listan. Välj ett av listans värden."),
}


class _Messages:
    """WTForms' translations with the messages above put in their place."""

    def __init__(self, translations):
        self.translations = translations

    def gettext(self, string):
        if string in _WTFORMS_MESSAGES:
            return str(_WTFORMS_MESSAGES[string])
        return self.translations.gettext(string) if self.translations else string

    def ngettext(self, singular, plural, n):
        if self.translations:
            return self.translations.ngettext(singular, plural, n)
        return singular if n == 1 else plural


class FlaskForm(_FlaskForm):
    """Flask-WTF's form, with _WTFORMS_MESSAGES."""

    class Meta(_FlaskForm.Meta):
        def get_translations(self, form):
            return _Messages(super().get_translations(form))


def options(pairs):
    """(value, label) pairs as WTForms select options."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


NONE_CHOICE = SelectChoice(value="", label=_l("– ingen –"))
REVIEW_UNITS = options([("none", _l("Ingen fast cykel")), ("years", _l("År")), ("months", _l("Månader"))])


def _optional_int(value):
    """A select's id: None for "none", else the id as an int. A value that cannot be an id (not a
    number, 0, beyond 64 bits, which SQLite cannot even bind) becomes -1, an id no row has: the
    domain refuses it as unknown with a field error, never a 500."""
    from .domain.validation import valid_id

    if value in (None, "", "None"):
        return None
    pk = valid_id(value)
    return -1 if pk is None else pk


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (templates/_macros.html renders it as a fieldset): every
    selection stays visible and one click changes one choice, never the others. With ``all_kind``, a
    box "all of this kind" adds every choice whose ``data-kind`` is that kind (without JavaScript;
    static/choices.js turns it into a button that ticks them)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, all_kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.all_kind = all_kind
        self.add_all = False

    @property
    def all_name(self):
        return f"{self.name}-all"

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.add_all = bool(self.all_kind and formdata and formdata.get(self.all_name))

    def pre_validate(self, form):
        # Choices are filled after the form reads the post, so "all of a kind" is added here.
        if self.add_all:
            chosen = list(self.data or [])
            for choice in self.choices or []:
                if choice.render_kw.get("data-kind") == self.all_kind and choice.value not in chosen:
                    chosen.append(choice.value)
            self.data = chosen
        super().pre_validate(form)

    def selected_labels(self):
        """The labels of what is chosen, in the list's order."""
        return [choice.label for choice in self.iter_choices() if choice.selected]


def group_choices(exclude=None):
    groups = sorted(Group.select(Group.id, Group.name), key=lambda g: sv_key(g.name))
    return options((g.id, g.name) for g in groups if g.id != exclude)


def person_choices(active=False):
    """Everyone (or only the active people), as "Name <email>"."""
    query = Person.select().where(Person.is_active) if active else Person.select()
    people = sorted(query, key=lambda p: sv_key(p.name))
    return options((p.id, f"{p.name} <{p.email}>") for p in people)


def organisation_choices():
    """Organisations, each marked with its kind (data-kind) for "Alla kommuner i länet"."""
    return [
        SelectChoice(value=o.id, label=o.name, render_kw={"data-kind": o.kind})
        for o in sorted_organisations(Organisation.select())
    ]


def agreement_choices(exclude=None):
    query = Agreement.select(Agreement.id, Agreement.title, Agreement.short_name)
    if exclude is not None:
        query = query.where(Agreement.id != exclude)
    labelled = sorted(((a.id, a.short_name or a.title[:90]) for a in query), key=lambda c: sv_key(c[1]))
    return options(labelled)


class PolicyFields(Form):
    """Reminder policy fields shared by the agreement and group forms."""

    expiry_offsets = StringField(
        _l("Påminn före slutdatum (dagar)"),
        filters=[_strip],
        description=_l("T.ex. 180, 90, 30, 7. Tomt = ärvs (standard 180, 90, 30, 7)."),
    )
    review_offsets = StringField(
        _l("Påminn före uppföljning (dagar)"),
        filters=[_strip],
        description=_l("T.ex. 60, 14. Tomt = ärvs (standard 60, 14)."),
    )
    overdue_every_days = IntegerField(
        _l("Dagar mellan påminnelser efter tidsfristen"),
        validators=[Optional()],
        description=_l("Tomt = ärvs (standard 7)."),
    )


def prefilled(form_cls, row, **extra):
    """A form showing a row's stored values (foreign keys as ids) plus extra values."""
    return form_cls(data={**row.__data__, **extra})


def parse_documents(text):
    """Lines of "Title | https://…" (or just a URL) into (title, url) pairs."""
    documents = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        title, sep, url = line.rpartition("|")
        title, url = (title.strip(), url.strip()) if sep else ("", line)
        if not url.startswith(("http://", "https://")):
            raise ValidationError(
                _l(
                    "Rad %(n)s: länken måste börja med http:// eller https://. Skriv en länk per rad: Titel | https://…",
                    n=number,
                )
            )
        documents.append((title or url, url))
    return documents


def _form_field(field):
    """The WTForms field for one field of the table. Forms only parse; the domain checks every limit."""
    label = field.form_label or field.label
    options_ = {"description": field.help}
    kind = field.kind
    if kind == F.LINE:
        return StringField(label, **options_)
    if kind == F.TEXT:
        return TextAreaField(label, **options_)
    if kind == F.CODE:
        return SelectField(label, choices=options(field.vocabulary.items()), **options_)
    if kind == F.DATE:
        return DateField(label, validators=[Optional()], **options_)
    if kind == F.INT:
        return IntegerField(label, validators=[Optional()], **options_)
    if kind in (F.GROUP, F.AGREEMENT):
        return SelectField(label, coerce=_optional_int, validate_choice=False, **options_)
    if kind in F.LINK_KINDS:
        all_kind = "municipality" if kind == F.ORGANISATIONS else None
        return CheckboxListField(label, coerce=_optional_int, validate_choice=False, all_kind=all_kind, **options_)
    if kind == F.OFFSETS:
        return StringField(label, filters=[_strip], **options_)
    if kind == F.DOCUMENTS:
        return TextAreaField(label, **options_)
    raise ValueError(f"no form field for kind {kind!r}")


class _AgreementFormBase(FlaskForm):
    """The agreement form: one field per row of the field table (the cycle as a unit and an interval)."""

    review_unit = SelectField(_l("Uppföljningscykel"), choices=REVIEW_UNITS, default="none")
    review_interval = IntegerField(
        _l("Var"), default=1, validators=[Optional(), NumberRange(1, 100, _l("Ange ett heltal mellan 1 och 100."))]
    )

    def sections(self):
        """[(legend, help, [form fields])] in the table's order; the cycle shows as its unit and interval."""
        laid_out = []
        for key, (legend, help_text) in F.SECTIONS.items():
            shown = []
            for field in F.in_section(key):
                if field.kind == F.CYCLE:
                    shown.extend((self.review_unit, self.review_interval))
                else:
                    shown.append(self[field.name])
            laid_out.append((legend, help_text, shown))
        return laid_out

    @staticmethod
    def is_wide(form_field):
        field = F.BY_NAME.get(form_field.name)
        return bool(field and field.wide)

    def fill_choices(self, agreement_id=None):
        groups = group_choices()
        others = agreement_choices(exclude=agreement_id)
        for field in F.FIELDS:
            if field.kind == F.GROUP:
                self[field.name].choices = [NONE_CHOICE, *groups]
            elif field.kind == F.GROUPS:
                self[field.name].choices = groups
            elif field.kind == F.PEOPLE:
                self[field.name].choices = person_choices()
            elif field.kind == F.ORGANISATIONS:
                self[field.name].choices = organisation_choices()
            elif field.kind == F.AGREEMENT:
                self[field.name].choices = [NONE_CHOICE, *others]

    def removed_links(self, before):
        """What this post takes away from an agreement's links: [(field label, [labels of what goes])],
        and a key naming exactly that removal (the confirm box must carry it to count)."""
        removed, key = [], []
        for field in F.FIELDS:
            if field.kind not in F.LINK_KINDS:
                continue
            form_field = self[field.name]
            gone = [pk for pk in before.get(field.name) or [] if pk not in (form_field.data or [])]
            if gone:
                labels = {choice.value: choice.label for choice in form_field.choices or []}
                removed.append((form_field.label.text, [str(labels.get(pk, pk)) for pk in gone]))
                key.append(f"{field.name}:{','.join(map(str, sorted(gone)))}")
        return removed, ";".join(key)

    def validate_documents(self, field):
        field.parsed = parse_documents(field.data)

    def to_data(self):
        """The form's values in the shape registry.domain.agreements expects."""
        data = {f.name: self[f.name].data for f in F.FIELDS if f.kind not in (F.CYCLE, F.DOCUMENTS)}
        data["review_rule"] = cycles.from_parts(self.review_unit.data, self.review_interval.data or 1)
        data["documents"] = getattr(self.documents, "parsed", [])
        return data

    @classmethod
    def for_agreement(cls, agreement):
        """A form pre-filled from an agreement (GET of the edit page)."""
        unit, interval = cycles.to_parts(agreement.review_rule)
        return cls(
            data={
                **editable_values(agreement),
                "review_unit": unit,
                "review_interval": interval,
                "documents": "\n".join(f"{d.title} | {d.url}" for d in agreement.documents),
            }
        )


AgreementForm = type(
    "AgreementForm",
    (_AgreementFormBase,),
    {f.name: _form_field(f) for f in F.FIELDS if f.kind != F.CYCLE},
)


class ReviewForm(FlaskForm):
    reviewed_on = DateField(
        _l("Uppföljningsdatum"),
        validators=[InputRequired(_l("Ange uppföljningsdatum som ÅÅÅÅ-MM-DD, till exempel 2027-03-31."))],
    )
    outcome = SelectField(_l("Utfall"), choices=options(REVIEW_OUTCOMES.items()))
    reviewer = SelectField(_l("Uppföljd av (person)"), coerce=_optional_int, validate_choice=False)
    reviewer_name = StringField(_l("… eller namn/forum"), validators=[Length(max=255)])
    decision_ref = StringField(
        _l("Beslutsreferens"),
        validators=[Length(max=255)],
        description=_l(
            "Paragrafen i protokollet, till exempel § 5. Avtalssidan visar den med beslutande organ och datum."
        ),
    )
    new_expires_on = DateField(
        _l("Nytt slutdatum"), validators=[Optional()], description=_l("Endast när avtalet förlängs.")
    )
    revision_due_on = DateField(
        _l("Ny version senast"),
        validators=[Optional()],
        description=_l("Endast när avtalet ska revideras. Tomt = sex månader efter uppföljningen."),
    )
    notes = TextAreaField(_l("Anteckningar"))
    deviations = TextAreaField(
        _l("Samverkansavvikelser"),
        description=_l("Avvikelser i samverkan som uppföljningen tog upp, till exempel från arbetsgruppernas analys."),
    )

    @classmethod
    def for_indicators(cls, indicators, latest=None):
        """The form with one optional number field per indicator (indicator_<id>), in their order; each
        says its target and `latest` value ({indicator id: Point})."""
        fields = {}
        for indicator in indicators:
            name = f"{indicator.name} ({indicator.unit})" if indicator.unit else indicator.name
            help_parts = []
            if indicator.target is not None:
                help_parts.append(gettext("Mål %(target)s.", target=target_text(indicator)))
            point = (latest or {}).get(indicator.id)
            if point is not None:
                help_parts.append(
                    gettext(
                        "Förra värdet: %(value)s (%(date)s).",
                        value=number_text(point.value, indicator.unit),
                        date=point.reviewed_on.isoformat(),
                    )
                )
            fields[field_name(indicator.id)] = StringField(
                name,
                filters=[_strip],
                description=" ".join(help_parts),
                render_kw={"inputmode": "decimal", "autocomplete": "off"},
            )
        form_class = type("ReviewFormWithIndicators", (cls,), fields)
        form = form_class()
        form.indicators = list(indicators)
        return form

    indicators = ()

    def indicator_fields(self):
        return [self[field_name(i.id)] for i in self.indicators]

    def fill_choices(self):
        self.reviewer.choices = [NONE_CHOICE, *person_choices()]

    def to_data(self):
        data = {
            name: self[name].data
            for name in (
                "reviewed_on",
                "outcome",
                "reviewer",
                "reviewer_name",
                "decision_ref",
                "new_expires_on",
                "revision_due_on",
                "notes",
                "deviations",
            )
        }
        values = {i.id: self[field_name(i.id)].data for i in self.indicators}
        data["indicator_values"] = {pk: value for pk, value in values.items() if value not in (None, "")}
        return data


class IndicatorForm(FlaskForm):
    """An indicator of an agreement. The form only reads; registry/domain/indicators.py checks."""

    name = StringField(
        _l("Namn"), filters=[_strip], description=_l("Till exempel Andel med fast vårdkontakt eller Prea60.")
    )
    unit = StringField(_l("Enhet"), filters=[_strip], description=_l("Till exempel %, antal eller index."))
    target = StringField(
        _l("Mål"),
        filters=[_strip],
        description=_l("Ett tal, till exempel 70 eller 12,5. Tomt = inget mål."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    direction = SelectField(_l("Riktning"), choices=options(INDICATOR_DIRECTIONS.items()), validate_choice=False)
    description = TextAreaField(
        _l("Beskrivning"), description=_l("Vad som mäts och var siffrorna kommer ifrån, till exempel Prea60.")
    )
    active = BooleanField(_l("Följs upp vid varje uppföljning"), default=True)

    def to_data(self):
        return {name: self[name].data for name in ("name", "unit", "target", "direction", "description", "active")}


class AdoptionForm(FlaskForm):
    """One party's decision on an agreement. The form only parses; registry/domain/adoptions.py checks."""

    must_adopt = BooleanField(_l("Parten ska anta avtalet"))
    body = StringField(_l("Beslutande organ"))
    decided_on = DateField(_l("Beslutsdatum"), validators=[Optional()])
    decision_ref = StringField(_l("Paragraf"), description=_l("Paragrafen i protokollet, till exempel § 12."))
    case_number = StringField(
        _l("Partens diarienummer"),
        description=_l("Partens eget diarienummer för ärendet, till exempel RJL 2023/1235."),
    )
    signed_on = DateField(_l("Undertecknat"), validators=[Optional()])
    document_url = StringField(
        _l("Länk till beslutet"),
        filters=[_strip],
        description=_l("Protokollsutdraget eller det undertecknade avtalet."),
    )

    def for_party(self, organisation):
        """The deciding body's example names the party's own: Regionstyrelsen, or its kommunstyrelse."""
        example = "Regionstyrelsen" if organisation.kind == "region" else f"Kommunstyrelsen, {organisation.name}"
        self.body.description = _l("Till exempel %(example)s.", example=example)
        return self

    def to_data(self):
        return {name: self[name].data for name in ("must_adopt", *DECISION_FIELDS)}


class GroupForm(FlaskForm, PolicyFields):
    name = StringField(_l("Namn"), validators=[DataRequired(_l("Namn måste anges.")), Length(max=255)])
    short_name = StringField(_l("Kortnamn"), validators=[Length(max=100)])
    kind = SelectField(_l("Typ av grupp"), choices=options(GROUP_KINDS.items()))
    parent = SelectField(_l("Överordnad grupp"), coerce=_optional_int, validate_choice=False)
    reports_to = SelectField(
        _l("Rapporterar till"),
        coerce=_optional_int,
        validate_choice=False,
        description=_l("Det organ gruppen bereder ärenden för eller redovisar till, till exempel Kommunalt forum."),
    )
    chair = SelectField(_l("Ordförande"), coerce=_optional_int, validate_choice=False)
    mailbox = StringField(
        _l("Funktionsbrevlåda"),
        filters=[_strip],
        validators=[Optional(), Email(_l("E-postadressen är inte giltig. Skriv den som namn@exempel.se."))],
    )
    description = TextAreaField(_l("Beskrivning"))
    meeting_rule = StringField(
        _l("Mötesregel"),
        filters=[_strip],
        validators=[Length(max=500)],
        description=_l(
            "En upprepningsregel (RRULE), till exempel FREQ=MONTHLY;BYDAY=2FR;BYMONTH=1,2,3,4,5,6,8,9,10,11,12 "
            "för andra fredagen varje månad utom juli. Tomt: ingen fast mötesplan, bara enstaka möten."
        ),
    )
    meeting_rule_start = DateField(
        _l("Mötesplanen börjar"),
        validators=[Optional()],
        description=_l(
            "Behövs när regeln har INTERVAL eller COUNT, eller inte anger någon dag. Tomt: regeln gäller utan startdag."
        ),
    )
    lead_time_days = IntegerField(
        _l("Underlag klart före möte (dagar)"),
        default=14,
        validators=[Optional()],
        description=_l("Hur många dagar före gruppens möte underlaget ska vara klart."),
    )

    def fill_choices(self, group_id=None):
        self.parent.choices = [NONE_CHOICE, *group_choices(exclude=group_id)]
        self.reports_to.choices = [NONE_CHOICE, *group_choices(exclude=group_id)]
        self.chair.choices = [NONE_CHOICE, *person_choices()]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(_l("Namn måste anges.")), Length(max=255)])
    short_name = StringField(_l("Kortnamn"), validators=[Length(max=100)])
    kind = SelectField(_l("Typ"), choices=options(ORGANISATION_KINDS.items()))
    contact_person = SelectField(
        _l("Kontaktperson för beslut"),
        coerce=_optional_int,
        validate_choice=False,
        description=_l("Får en påminnelse när partens beslut om ett avtal saknas inför att avtalet ska börja gälla."),
    )
    contact_email = StringField(
        _l("Funktionsbrevlåda för beslut"),
        filters=[_strip],
        validators=[Optional(), Email(_l("E-postadressen är inte giltig. Skriv den som namn@exempel.se."))],
        description=_l("Till exempel kommunstyrelsens registratur. Får samma påminnelser som kontaktpersonen."),
    )
    notes = TextAreaField(_l("Anteckningar"))

    def fill_choices(self):
        self.contact_person.choices = [NONE_CHOICE, *person_choices()]


class PersonForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(_l("Namn måste anges.")), Length(max=255)])
    email = StringField(
        _l("E-post"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Ange en e-postadress, till exempel namn@exempel.se.")),
            Email(_l("E-postadressen är inte giltig. Skriv den som namn@exempel.se.")),
        ],
    )
    title = StringField(_l("Roll/titel"), validators=[Length(max=255)])
    organisation = SelectField(_l("Organisation"), coerce=_optional_int, validate_choice=False)
    groups = SelectMultipleField(_l("Grupper"), coerce=_optional_int, validate_choice=False)
    is_secretary = BooleanField(_l("Sekreterare för ledningsgruppen (får alla eskaleringar)"))
    reminder_delivery = SelectField(
        _l("Påminnelser per e-post"),
        choices=[
            SelectChoice(value="digest", label=_l("Ett samlat e-postmeddelande per utskick")),
            SelectChoice(value="each", label=_l("Ett e-postmeddelande per avtal")),
        ],
        default="digest",
    )

    def fill_choices(self):
        self.organisation.choices = [NONE_CHOICE, *organisation_choices()]
        self.groups.choices = group_choices()


class MeetingForm(FlaskForm):
    meets_on = DateField(
        _l("Mötesdatum"), validators=[InputRequired(_l("Ange mötesdatum som ÅÅÅÅ-MM-DD, till exempel 2027-03-31."))]
    )
    note = StringField(_l("Anteckning"), validators=[Length(max=255)])


class AgendaForm(FlaskForm):
    """The CSRF token of a meeting page's forms; their fields are per item (registry/views/meetings.py)."""


class LoginForm(FlaskForm):
    email = StringField(_l("E-post"), filters=[_strip], validators=[DataRequired(_l("Ange din e-postadress."))])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired(_l("Ange ditt lösenord."))])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Nuvarande lösenord"), validators=[DataRequired(_l("Ange ditt nuvarande lösenord."))])
    password = PasswordField(_l("Nytt lösenord"), validators=[DataRequired(_l("Ange ett nytt lösenord."))])
    confirm = PasswordField(
        _l("Upprepa nytt lösenord"),
        validators=[EqualTo("password", _l("Lösenorden stämmer inte överens. Skriv samma lösenord i båda fälten."))],
    )


class ResetRequestForm(FlaskForm):
    email = StringField(_l("E-post"), filters=[_strip], validators=[DataRequired(_l("Ange din e-postadress."))])


class ResetForm(FlaskForm):
    password = PasswordField(_l("Nytt lösenord"), validators=[DataRequired(_l("Ange ett nytt lösenord."))])
    confirm = PasswordField(
        _l("Upprepa nytt lösenord"),
        validators=[EqualTo("password", _l("Lösenorden stämmer inte överens. Skriv samma lösenord i båda fälten."))],
    )


class UserForm(FlaskForm):
    name = StringField(_l("Namn"), validators=[DataRequired(_l("Namn måste anges.")), Length(max=255)])
    email = StringField(
        _l("E-post"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Ange en e-postadress, till exempel namn@exempel.se.")),
            Email(_l("E-postadressen är inte giltig. Skriv den som namn@exempel.se.")),
        ],
    )
    role = SelectField(_l("Roll"), choices=options(ROLES.items()))
    groups = CheckboxListField(_l("Grupper (för redaktörer)"), coerce=_optional_int, validate_choice=False)
    is_secretary = BooleanField(_l("Sekreterare för ledningsgruppen (får alla eskaleringar)"))
    is_active = BooleanField(_l("Kontot är aktivt"), default=True)
    password = PasswordField(
        _l("Nytt lösenord"), description=_l("Lämna tomt för att behålla det nuvarande lösenordet.")
    )

    def fill_choices(self):
        self.groups.choices = group_choices()


def filter_problems(args, dates=("from", "to"), numbers=()):
    """Sentences for the filter values in a page's address that cannot be used, so a page says so
    instead of silently showing something else: a number that is not one, a date that is not
    YYYY-MM-DD, a from-date after the to-date."""
    problems = []
    for name, label, example in numbers:
        value = (args.get(name) or "").strip()
        if value and not re.fullmatch(r"[0-9]{1,5}", value):
            problems.append(
                _l(
                    "%(label)s: «%(value)s» är inte ett heltal. Ange ett tal, till exempel %(example)s.",
                    label=label,
                    value=value,
                    example=example,
                )
            )
    parsed = {}
    for name in dates:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        try:
            parsed[name] = datetime.date.fromisoformat(value)
        except ValueError:
            problems.append(
                _l("«%(value)s» är inte ett datum. Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2027-05-31.", value=value)
            )
    start, end = (parsed.get(name) for name in dates[:2]) if len(dates) >= 2 else (None, None)
    if start and end and start > end:
        problems.append(
            _l(
                "Från-datumet %(start)s ligger efter till-datumet %(end)s, så inget kan visas. Byt plats på dem.",
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
    return [str(problem) for problem in problems]


def list_problems(args):
    """Sentences for the agreement list's filter values that cannot be used (they are left out of the
    search, and the page says so): a group, party or page that is not a number, a kind, status,
    deadline window or sort order that is not one of the list's choices."""
    from .domain.queries import DEADLINE_FILTERS, GROUP_ROLES, MAX_ID, SORTS
    from .vocab import AGREEMENT_KINDS, AGREEMENT_STATUSES

    problems = []
    for name, label in (("group", _l("Ansvarig grupp")), ("party", _l("Part")), ("page", _l("Sida"))):
        value = (args.get(name) or "").strip()
        if value and not (re.fullmatch(r"[0-9]{1,19}", value) and 0 < int(value) <= MAX_ID):
            problems.append(
                _l("%(label)s: «%(value)s» är inget nummer i listan och har inte använts.", label=label, value=value)
            )
    choices = (
        ("kind", _l("Typ"), AGREEMENT_KINDS),
        ("status", _l("Status"), AGREEMENT_STATUSES),
        ("deadline", _l("Tidsfrist"), DEADLINE_FILTERS),
        ("role", _l("Gruppens roll"), GROUP_ROLES),
        ("sort", _l("Sortering"), SORTS),
    )
    for name, label, allowed in choices:
        value = (args.get(name) or "").strip()
        if value and value not in allowed:
            problems.append(
                _l("%(label)s: «%(value)s» är inget av listans val och har inte använts.", label=label, value=value)
            )
    return [str(problem) for problem in problems]


class DocumentForm(FlaskForm):
    """Upload a file to the agreement's stored documents; registry/domain/stored_documents.py checks it
    (type by content, size, title)."""

    file = FileField(
        _l("Fil"),
        render_kw={
            "accept": ".pdf,.docx,.odt,application/pdf,"
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
            "application/vnd.oasis.opendocument.text"
        },
    )
    title = StringField(
        _l("Titel"),
        validators=[Length(max=255)],
        description=_l("Samma titel som ett dokument som redan finns ger dess nästa version. Tomt = filens namn."),
    )
    kind = SelectField(_l("Typ av dokument"), choices=options(DOCUMENT_KINDS.items()), default="other")


class HandOverForm(FlaskForm):
    """Who takes over what a person who is leaving answers for (registry/domain/personal_data.py)."""

    successor = SelectField(
        _l("Den som tar över"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Välj vem som ska ta över."))],
    )

    def fill_choices(self, person_id):
        self.successor.choices = [NONE_CHOICE, *(c for c in person_choices(active=True) if c.value != person_id)]


class RemovePersonForm(FlaskForm):
    """The confirmation that a person is to be removed for good."""

    confirm = BooleanField(
        _l("Jag har kontrollerat att personen har slutat och att uppgifterna om hen ska tas bort"),
        validators=[DataRequired(_l("Kryssa i rutan för att bekräfta att personen ska tas bort."))],
    )
