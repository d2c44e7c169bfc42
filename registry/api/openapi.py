"""The OpenAPI 3.0 document of /api/v1, built from the table of operations in views.py."""

import copy
from functools import cache

from .schemas import COMPONENTS, ID, ref
from .views import OPERATIONS

ERRORS = {
    400: "The body is not JSON",
    401: "No token, an unknown or revoked token, or a deactivated account",
    403: "The token's user may not do this (e.g. an auditor writing, an editor changing another group's agreement)",
    404: "No such agreement (or, for a party's decision, no such party of it)",
    413: "The body is larger than 1 MiB",
    415: "The body is not sent as application/json",
    422: "Invalid values: `error.fields` names each field with a message",
    503: "The database is not reachable",
}

DESCRIPTION = """\
The register's agreements, reviews, deadlines, groups, organisations and people.

Authenticate with `Authorization: Bearer <token>`; make a token at /account/tokens
or with `flask --app wsgi create-token --email E`. A token acts as its user, with
the user's role: viewers and auditors read, editors change the agreements of
their own groups, administrators everything.

Errors are `{"error": {"status": 404, "message": "..."}}`; invalid values give
422 with `error.fields`, a message per field. Messages are in Swedish unless
the request asks for English (`Accept-Language: en` or `?lang=en`). Dates are
`YYYY-MM-DD`, timestamps ISO 8601 in UTC.
"""


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


# What the error codes of an upload (multipart/form-data, not JSON) mean.
UPLOAD_ERRORS = {
    400: "The body is not a readable multipart/form-data form",
    413: "The request is larger than DOCUMENT_MAX_BYTES (20 MiB by default) and 1 MiB for the form",
    415: "The body is not sent as multipart/form-data",
    422: "No file, an empty file, a file over DOCUMENT_MAX_BYTES, a file that is not PDF, DOCX or ODT by its"
    " content, or a bad title or kind: `error.fields` names each (`file`, `title`, `kind`)",
}


def _operation(op):
    status, description, schema = op.ok
    content = {"application/json": {"schema": ref(schema) if schema else {"type": "object"}}}
    responses = {str(status): {"description": description, "content": content}}
    for other_status, other_description, other_schema in op.also_ok:
        responses[str(other_status)] = {
            "description": other_description,
            "content": {"application/json": {"schema": ref(other_schema)}},
        }
    if status == 201:
        responses[str(status)]["headers"] = {
            "Location": {"description": "The agreement's address in the API", "schema": {"type": "string"}}
        }
    codes = [503]
    if not op.public:
        codes.append(401)
    if op.may_refuse:
        codes.append(403)
    if op.path_parameters:
        codes.append(404)
    if op.parameters or op.body or op.upload:
        codes.append(422)
    if op.body or op.upload:
        codes += [400, 413, 415]
    for code in sorted(codes):
        responses[str(code)] = _error((UPLOAD_ERRORS if op.upload else {}).get(code, ERRORS[code]))
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": dict(ID), "description": "Id"}
        for name in op.path_parameters
    ]
    parameters += copy.deepcopy(op.parameters)
    found = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "description": " ".join(op.description.split()),
        "tags": [op.tag],
        "responses": responses,
    }
    if parameters:
        found["parameters"] = parameters
    if op.body:
        found["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body)}}}
    if op.upload:
        found["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": ref(op.upload)}}}
    if op.public:
        found["security"] = []
    return found


@cache
def _document():
    paths = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Överenskommelseregistret API", "version": "1.0.0", "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(COMPONENTS),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "agreements", "description": "Agreements and their reviews"},
            {"name": "deadlines", "description": "Expiries and reviews in a date window"},
            {"name": "structure", "description": "Groups, organisations and people"},
            {"name": "meta", "description": "The document and the token's user"},
        ],
    }


def document():
    """The document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
