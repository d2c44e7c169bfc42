"""Checking what a client sends against the schemas the OpenAPI document publishes.

The same schema dicts are served in /api/v1/openapi.json and checked here, so
the document and the checks cannot drift apart. Only the subset of OpenAPI
3.0 schemas the API uses is understood: type (string, integer, boolean, array,
object, number), nullable, enum, format "date", minLength, maxLength, minimum,
maximum, maxItems, maxProperties, items, properties, required, additionalProperties (false, or
the schema of every property not named in properties),
$ref to components, and two extensions for stored dates (x-earliest,
x-latest). A schema using anything else is a programming error (the tests
walk the whole document).

Errors are {field: message} in the request's language; values come back
converted (dates as datetime.date).
"""

import datetime
import json
import math
import re

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError

MAX_BODY_BYTES = 1024 * 1024
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
QUERY_INT_RE = re.compile(r"-?[0-9]{1,18}\Z", re.ASCII)
KNOWN_KEYWORDS = {
    "type",
    "nullable",
    "enum",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "maxItems",
    "maxProperties",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "description",
    "example",
    "default",
    "x-earliest",
    "x-latest",
    "$ref",
}
BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class SchemaError(Exception):
    """A published schema uses something this checker does not understand."""


def _resolve(schema, components):
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.rsplit("/", 1)[-1]
    if not ref.startswith("#/components/schemas/") or name not in components:
        raise SchemaError(f"unknown reference {ref!r}")
    return components[name]


def _date(text, schema):
    """(date, message): a strict YYYY-MM-DD date within the schema's x-earliest/x-latest."""
    if not isinstance(text, str) or not DATE_RE.match(text):
        return None, _("Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.")
    try:
        value = datetime.date.fromisoformat(text)
    except ValueError:
        return None, _("Datumet kunde inte läsas. Ange det som ÅÅÅÅ-MM-DD, till exempel 2027-03-31.")
    earliest, latest = schema.get("x-earliest"), schema.get("x-latest")
    if (earliest and text < earliest) or (latest and text > latest):
        return None, _(
            "Datumet ligger utanför det tillåtna intervallet. Ange ett datum mellan %(earliest)s och %(latest)s.",
            earliest=earliest,
            latest=latest,
        )
    return value, None


def check(schema, value, components, path="", errors=None):
    """Check `value` against `schema`; return (converted value, {path: message})."""
    errors = {} if errors is None else errors
    schema = _resolve(schema, components)
    unknown = set(schema) - KNOWN_KEYWORDS
    if unknown:
        raise SchemaError(f"unsupported schema keywords {sorted(unknown)} at {path or 'body'}")
    field = path or "body"
    if value is None:
        if not schema.get("nullable"):
            errors[field] = _("Värdet får inte vara null. Ange ett värde.")
        return None, errors
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str):
            errors[field] = _("Värdet måste vara en text (en JSON-sträng).")
            return None, errors
        if BAD_CHARACTERS.search(value):
            errors[field] = _("Texten innehåller otillåtna tecken, till exempel styrtecken. Ta bort dem.")
            return None, errors
        if "enum" in schema and value not in schema["enum"]:
            errors[field] = _(
                "Värdet finns inte bland de tillåtna. Välj ett av: %(choices)s.", choices=", ".join(schema["enum"])
            )
            return None, errors
        if len(value) < schema.get("minLength", 0):
            errors[field] = _("Fältet får inte vara tomt. Ange en text.")
            return None, errors
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors[field] = _("Texten är för lång. Den får vara högst %(n)s tecken.", n=schema["maxLength"])
            return None, errors
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors[field] = _("Värdet har fel form. Det ska matcha mönstret %(pattern)s.", pattern=schema["pattern"])
            return None, errors
        if schema.get("format") == "date":
            converted, message = _date(value, schema)
            if message:
                errors[field] = message
            return converted, errors
        if "format" in schema:
            raise SchemaError(f"unsupported format {schema['format']!r} at {field}")
        return value, errors
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            errors[field] = _("Värdet är inget heltal. Ange ett heltal, till exempel 6.")
            return None, errors
        return _in_range(value, schema, field, errors, whole=True)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors[field] = _("Värdet är inget tal. Ange ett tal, till exempel 12.5.")
            return None, errors
        return _in_range(value, schema, field, errors, whole=False)
    if kind == "boolean":
        if not isinstance(value, bool):
            errors[field] = _("Värdet måste vara true eller false.")
            return None, errors
        return value, errors
    if kind == "array":
        if not isinstance(value, list):
            errors[field] = _("Värdet måste vara en lista (en JSON-array), till exempel [1, 2].")
            return None, errors
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors[field] = _("Listan har för många värden. Den får ha högst %(n)s.", n=schema["maxItems"])
            return None, errors
        items = [check(schema["items"], item, components, f"{field}[{i}]", errors)[0] for i, item in enumerate(value)]
        return items, errors
    if kind == "object":
        if not isinstance(value, dict):
            errors[field] = _("Värdet måste vara ett JSON-objekt ({…}).")
            return None, errors
        properties = schema.get("properties", {})
        out = {}
        prefix = f"{path}." if path else ""
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors[field] = _("Objektet har för många fält. Det får ha högst %(n)s.", n=schema["maxProperties"])
            return None, errors
        additional = schema.get("additionalProperties", True)
        for name in schema.get("required", ()):
            if name not in value:
                errors[prefix + name] = _("Fältet saknas men måste anges.")
        for name, item in value.items():
            if name not in properties:
                if additional is False:
                    errors[prefix + name] = _(
                        "Fältet finns inte i API:t. Kontrollera stavningen mot API-beskrivningen."
                    )
                elif isinstance(additional, dict):
                    out[name] = check(additional, item, components, prefix + name, errors)[0]
                continue
            out[name] = check(properties[name], item, components, prefix + name, errors)[0]
        return out, errors
    raise SchemaError(f"unsupported type {kind!r} at {field}")


def parse_query(parameters, components):
    """The query parameters of this request, converted; ApiError(422) naming every bad one.

    Parameters the operation does not define are ignored (e.g. ?lang=en).
    """
    values, errors = {}, {}
    for parameter in parameters:
        name = parameter["name"]
        raw = request.args.get(name)
        if raw is None:
            continue
        raw = raw.replace("\x00", "")  # as the web list does: NUL means nothing in a query
        schema = _resolve(parameter["schema"], components)
        if schema.get("type") == "integer":
            if not QUERY_INT_RE.match(raw):
                errors[name] = _("Värdet är inget heltal. Ange ett heltal, till exempel 6.")
                continue
            value = int(raw)
        elif schema.get("type") == "boolean":
            if raw not in ("true", "false"):
                errors[name] = _("Värdet måste vara true eller false.")
                continue
            value = raw == "true"
        else:
            value = raw
        converted, problems = check(schema, value, components, name)
        if problems:
            errors.update(problems)
        else:
            values[name] = converted
    if errors:
        raise ApiError(422, fields=errors)
    return values


def read_json_body():
    """The request's JSON body, parsed; ApiError 400/413/415 when it is not JSON at all."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not (mimetype.startswith("application/") and mimetype.endswith("+json")):
        raise ApiError(415)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413)
    request.max_content_length = MAX_BODY_BYTES
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise ApiError(413) from None
    if not raw.strip():
        raise ApiError(400, _("Begäran saknar innehåll. Skicka ett JSON-objekt."))
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, NaN, over-long numbers, deep nesting
        raise ApiError(
            400, _("Innehållet är inte giltig JSON. Kontrollera citattecken, kommatecken och klamrar.")
        ) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_body(schema, components):
    """The request's JSON object checked against `schema`; ApiError(422) with every bad field."""
    body = read_json_body()
    if not isinstance(body, dict):
        raise ApiError(422, _("Innehållet måste vara ett JSON-objekt ({…}), inte en lista eller ett enskilt värde."))
    converted, errors = check(schema, body, components)
    if errors:
        raise ApiError(422, fields=errors)
    return converted


def _in_range(value, schema, field, errors, whole):
    """(value, errors), or (None, errors saying the range) when the value is outside the schema's minimum and
    maximum; `whole`: the schema asks for an integer."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is None or value >= low) and (high is None or value <= high):
        return value, errors
    if whole:
        errors[field] = _(
            "Talet ligger utanför det tillåtna intervallet. Ange ett heltal mellan %(low)s och %(high)s.",
            low=low,
            high=high,
        )
    else:
        errors[field] = _(
            "Talet ligger utanför det tillåtna intervallet. Ange ett tal mellan %(low)s och %(high)s.",
            low=low,
            high=high,
        )
    return None, errors
