"""Controlled vocabularies: stored codes and their user-facing labels.

Codes are stored in the database and used by the API; labels are translated.
The source strings are Swedish, the product's default language.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

AGREEMENT_KINDS = {
    "avtal": lazy_pgettext("agreement kind", "Avtal"),
    "overenskommelse": _l("Överenskommelse"),
    "tillampningsanvisning": _l("Tillämpningsanvisning"),
    "strategi": _l("Strategi"),
    "riktlinje": _l("Riktlinje"),
    "rutin": _l("Rutin"),
    "handlingsplan": _l("Handlingsplan"),
    "ovrigt": _l("Övrigt"),
}

AGREEMENT_STATUSES = {
    "draft": _l("Utkast"),
    "in_force": _l("Gällande"),
    "under_revision": _l("Under revidering"),
    "expired": _l("Upphört att gälla"),
    "terminated": _l("Uppsagt"),
    "replaced": _l("Ersatt"),
}
# Agreements in these states have deadlines; the others are history.
ACTIVE_STATUSES = ("in_force", "under_revision")

# Kinds of deadline (registry/rules/deadlines.py computes them): the agreement's expiry, its next
# follow-up, and, while it is under revision, the date its new version must be decided by.
DEADLINE_KINDS = {
    "expiry": _l("Upphör"),
    "review": _l("Uppföljning"),
    "revision": _l("Ny version"),
}
# The agreement column holding each kind's date, and the statuses in which an agreement has it.
DEADLINE_COLUMNS = {"expiry": "expires_on", "review": "next_review_on", "revision": "revision_due_on"}
DEADLINE_STATUSES = {"expiry": ACTIVE_STATUSES, "review": ACTIVE_STATUSES, "revision": ("under_revision",)}

# What the reminder log holds reminders of: the deadlines above, and a party's decision on a draft that
# is still missing ahead of its planned start or the expiry of the version it replaces
# (registry/domain/adoptions.py). Only the labels are shared: an adoption has no date column.
REMINDER_KINDS = {**DEADLINE_KINDS, "adoption": _l("Partens beslut")}
# A revision's work (registry/domain/revisions.py): a step not yet done, and a remiss whose answers are
# due. Like an adoption, these have no agreement column; they are planned by scheduler/revision_planning.py.
REVISION_DEADLINE_KINDS = {"revision_step": _l("Steg i revideringen"), "consultation": _l("Remiss")}
REMINDER_KINDS.update(REVISION_DEADLINE_KINDS)

# A revision's state, and a party's answer to a remiss (registry/domain/revisions.py).
REVISION_STATES = {
    "open": _l("Pågår"),
    "completed": _l("Slutförd"),
    "abandoned": _l("Avbruten"),
}
CONSULTATION_POSITIONS = {
    "tillstyrker": _l("Tillstyrker"),
    "tillstyrker_med_synpunkter": _l("Tillstyrker med synpunkter"),
    "avstyrker": _l("Avstyrker"),
    "avstar": _l("Avstår"),
}

# A party's decision on an agreement (registry/domain/adoptions.py).
ADOPTION_STATES = {
    "adopted": _l("Antagen"),
    "missing": _l("Beslut saknas"),
    "unknown": _l("Okänt"),
    "not_required": _l("Behöver inte anta"),
}

# Whether an agreement is in the public register (/public, registry/domain/public_register.py): "auto" follows
# the default rule (in force, kind avtal or överenskommelse), "yes" and "no" are an editor's choice.
PUBLICATION_CHOICES = {
    "auto": _l("Enligt standardregeln"),
    "yes": _l("Publiceras"),
    "no": _l("Publiceras inte"),
}

REVIEW_OUTCOMES = {
    "unchanged": _l("Oförändrad"),
    "to_be_revised": _l("Ska revideras"),
    "extended": _l("Förlängd"),
    "terminated": _l("Avslutad"),
}

# What an item on a meeting's agenda is about (registry/domain/agendas.py): a deadline, a draft's
# adoption, or any other matter the secretary adds.
AGENDA_KINDS = {**DEADLINE_KINDS, "adoption": _l("Antagande"), "other": _l("Övrigt ärende")}
# The decision a meeting takes on an item: a follow-up outcome (recorded on the agreement), a
# recommendation to the parties to adopt a draft, "Noterat" (information taken note of), or
# "Bordlagt" (the item goes to the group's next meeting).
AGENDA_OUTCOMES = {
    **REVIEW_OUTCOMES,
    "recommended": _l("Rekommenderas för antagande"),
    "noted": _l("Noterat"),
    "tabled": _l("Bordlagt"),
}

# Which way an indicator of an agreement should move (registry/domain/indicators.py): a value meets the
# indicator's target when it is at least the target (higher_is_better) or at most it (lower_is_better).
INDICATOR_DIRECTIONS = {
    "higher_is_better": _l("Högre är bättre"),
    "lower_is_better": _l("Lägre är bättre"),
}

GROUP_KINDS = {
    "forum": _l("Politiskt forum"),
    "leadership": _l("Ledningsgrupp"),
    "strategy": _l("Strategigrupp"),
    "steering": _l("Styrgrupp"),
    "council": _l("Råd"),
    "working": _l("Arbetsgrupp"),
    "other": _l("Övrig grupp"),
}

ORGANISATION_KINDS = {
    "region": _l("Region"),
    "municipality": _l("Kommun"),
    "other": _l("Annan organisation"),
}


def label(vocabulary, code):
    """The label for a code, or the code itself when it is unknown."""
    return vocabulary.get(code, code)


REMINDER_STATES = {
    "pending": _l("Väntar"),
    "sending": lazy_pgettext("reminder state", "Skickas"),
    "sent": _l("Skickad"),
    "skipped": _l("Hoppades över"),
    "failed": _l("Misslyckades"),
}

# What started a reminder pass.
REMINDER_TRIGGERS = {
    "cli": _l("Kommandoraden"),
    "startup": _l("Schemaläggarens start"),
    "daily": _l("Daglig körning"),
    "retry": _l("Nytt försök"),
}
# Why a recipient gets a reminder.
REMINDER_ROLES = {
    "owner": _l("Ägare"),
    "mailbox": _l("Funktionsbrevlåda"),
    "chair": _l("Ordförande"),
    "secretary": _l("Sekreterare"),
    "party_contact": _l("Kontakt för part"),
    "revision_lead": _l("Ansvarig för revideringen"),
}


def stage_label(code):
    """A reminder stage for people: "before:90" -> "90 dagar före", "overdue:8" -> "8 dagar efter"."""
    from flask_babel import gettext, ngettext

    kind, _sep, days = (code or "").partition(":")
    if kind == "unplannable":
        return gettext("Kunde inte planeras")
    if not days.isdigit():
        return code or ""
    if kind == "before":
        return ngettext("%(num)s dag före", "%(num)s dagar före", int(days))
    if kind == "overdue":
        return ngettext("%(num)s dag efter", "%(num)s dagar efter", int(days))
    return code


ROLES = {
    "admin": _l("Administratör"),
    "editor": _l("Redaktör"),
    "auditor": _l("Revisor"),
    "viewer": _l("Läsare"),
}

AUDIT_ACTIONS = {"create": _l("Skapade"), "update": _l("Ändrade"), "delete": _l("Tog bort")}
AUDIT_ACTIONS["acknowledge"] = _l("Bekräftade")  # "Vi arbetar med det" (registry/domain/acknowledgements.py)
AUDIT_ACTIONS["download"] = _l("Laddade ner")  # a stored document's version (registry/domain/stored_documents.py)
# Person.reminder_delivery: how a person gets their reminders.
REMINDER_DELIVERY = {
    "digest": _l("Ett samlat e-postmeddelande per utskick"),
    "each": _l("Ett e-postmeddelande per avtal"),
}
AUDIT_ENTITIES = {
    "agreement": _l("avtal"),
    "review": _l("uppföljning"),
    "group": _l("grupp"),
    "organisation": _l("part"),
    "person": _l("person"),
    "user": _l("konto"),
    "meeting": _l("möte"),
    "feed": _l("kalenderflöde"),
    "api_token": _l("API-nyckel"),
    "acknowledgement": _l("försenad tidsfrist: vi arbetar med det"),
    "adoption": _l("partens beslut"),
    "agenda_item": _l("ärende på dagordning"),
    "indicator": _l("indikator"),
    "document": _l("dokument"),
    "revision": _l("revidering"),
    "revision_step": _l("steg i revidering"),
    "consultation": _l("remiss"),
    "consultation_answer": _l("remissvar"),
}
# Labels of the change history for fields that are not an agreement's (those come from
# registry/domain/fields.py, merged in registry/templating.py).
FIELD_LABELS = {
    "next_review_on": _l("Nästa uppföljning"),
    "reviewed_on": _l("Uppföljningsdatum"),
    "outcome": _l("Utfall"),
    "reviewer": _l("Uppföljd av"),
    "new_expires_on": _l("Nytt slutdatum"),
    "name": _l("Namn"),
    "email": _l("E-post"),
    "role": _l("Roll"),
    "password": _l("Lösenord"),
    "sessions": _l("Inloggningar"),
    "lead_time_days": _l("Underlag klart före möte"),
    "mailbox": _l("Funktionsbrevlåda"),
    "chair_id": _l("Ordförande"),
    "parent_id": _l("Överordnad"),
    "is_secretary": _l("Sekreterare"),
    "is_active": _l("Aktiv"),
    "groups": _l("Grupper"),
    "meets_on": _l("Mötesdatum"),
    "group": _l("Grupp"),
    "note": _l("Anteckning"),
    "deadline_on": _l("Tidsfrist"),
    "paused_until": _l("Påminnelser om förseningen pausade till"),
    "reminder_delivery": _l("Påminnelser per e-post"),
    # A party's decision (registry/domain/adoptions.py); decision_ref and case_number take the agreement's labels.
    "party": _l("Part"),
    "must_adopt": _l("Ska anta avtalet"),
    "body": _l("Beslutande organ"),
    "decided_on": _l("Beslutsdatum"),
    "signed_on": _l("Undertecknat"),
    "document_url": _l("Länk till beslutet"),
    "contact_person": _l("Kontaktperson"),
    "contact_email": _l("Funktionsbrevlåda för beslut"),
    # An item of a meeting's agenda (registry/domain/agenda_edits.py); its kind takes the agreement's label.
    "due_on": _l("Tidsfrist"),
    "removed": _l("Borttaget från dagordningen"),
    # A follow-up's indicator values and deviations, and an indicator (registry/domain/indicators.py).
    "deviations": _l("Samverkansavvikelser"),
    "indicator_values": _l("Indikatorvärden"),
    "unit": _l("Enhet"),
    "target": _l("Mål"),
    "direction": _l("Riktning"),
    "active": _l("Följs upp"),
    # A revision, its steps, its remiss and the parties' answers (registry/domain/revisions.py).
    "mandate_by": _l("Uppdrag från"),
    "mandate_on": _l("Uppdragets datum"),
    "mandate_ref": _l("Uppdragets paragraf"),
    "lead": _l("Ansvarig för revideringen"),
    "state": _l("Läge"),
    "started_on": _l("Startad"),
    "closed_on": _l("Avslutad"),
    "successor": _l("Ny version"),
    "step": _l("Steg"),
    "done_on": _l("Klart"),
    "sent_on": _l("Skickad"),
    "answered_on": _l("Svarsdatum"),
    "position": _l("Ställningstagande"),
    "comment": _l("Kommentar"),
    # A stored document's version (registry/domain/stored_documents.py); its title and kind take the agreement's labels.
    "version": _l("Version"),
    "filename": _l("Filnamn"),
    "content_type": _l("Filtyp"),
    "size": _l("Storlek i byte"),
    "sha256": _l("SHA-256"),
    # A removed person (registry/domain/personal_data.py).
    "person": _l("Person"),
    "accounts": _l("Konton"),
    "api_tokens": _l("API-nycklar"),
    "feeds": _l("Kalenderflöden"),
    "audit_entries_pseudonymised": _l("Loggposter med pseudonym"),
    "rows_pseudonymised": _l("Andra rader med pseudonym"),
    "audit_resealed_from": _l("Loggkedjan förseglad på nytt från post"),
    "name_shared": _l("Namnet delas med någon annan (ensamt ersatt bara i posterna om personen)"),
    # A stored version shown in the public register (registry/domain/public_register.py).
    "published": _l("Publicerad"),
}

# What a stored document is (registry/domain/stored_documents.py).
DOCUMENT_KINDS = {
    "signed": _l("Undertecknat avtal"),
    "appendix": _l("Bilaga"),
    "minutes": _l("Beslutsprotokoll"),
    "other": _l("Övrigt dokument"),
}
# Whether the text of a stored version could be read for the register's search.
DOCUMENT_TEXT_STATES = {
    "extracted": _l("Texten är sökbar"),
    "truncated": _l("Början av texten är sökbar"),
    "empty": _l("Filen innehåller ingen text att söka i (till exempel en inskannad sida)"),
    "unreadable": _l("Texten kunde inte läsas ur filen; filen är sparad men går inte att söka i"),
}
