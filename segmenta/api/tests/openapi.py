"""The API's OpenAPI document as the tests read it: its operations, and a validator for
what one operation answers (OpenAPI 3.1 schemas are JSON Schema 2020-12; a `$ref` to
`#/components/...` resolves against the whole document)."""

import json

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

URL = "/api/v1/openapi.json"
METHODS = ("get", "put", "post", "patch", "delete")
BASE = "urn:segmenta:openapi"


def load(client):
    response = client.get(URL)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def operations(document):
    """Every (METHOD, path template) the document lists."""
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method in METHODS}


def _pointer(*parts):
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


class Contract:
    def __init__(self, document):
        self.document = document
        self.registry = Registry().with_resource(BASE, Resource(contents=document, specification=DRAFT202012))
        Draft202012Validator.check_schema({"$ref": BASE})

    def problems(self, method, path, response):
        """What is wrong with a real ``response`` of one operation, as sentences (none: it
        keeps the contract): its status must be documented for the operation, and its body
        valid against the documented schema."""
        operation = self.document["paths"][path][method.lower()]
        status = str(response.status_code)
        documented = operation["responses"]
        if status not in documented:
            return [f"{method} {path}: status {status} is not documented (only {sorted(documented)})"]
        content = documented[status].get("content")
        if content is None:
            return [] if not response.content else [f"{method} {path}: {status} documents no body, got one"]
        if "application/json" not in response.get("Content-Type", ""):
            return [f"{method} {path}: {status} is not JSON ({response.get('Content-Type')})"]
        pointer = _pointer("paths", path, method.lower(), "responses", status, "content", "application/json",
                           "schema")
        validator = Draft202012Validator({"$ref": BASE + "#" + pointer}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        body = json.loads(response.content)
        return [f"{method} {path} {status}: {'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message}"
                for error in validator.iter_errors(body)]
