#!/usr/bin/env python3
"""Checks recorded HTTP exchanges against the OpenAPI document.

    openapi_exchanges.py OPENAPI_YAML TRACE_JSONL

TRACE_JSONL is what the command-line client writes with CHARTLY_HTTP_TRACE=FILE: one object per line
with method, path (with its query), request (the JSON body or null), status, content_type and response.
For each exchange the documented operation is found by method and path template, and:

- every path parameter matches its schema, and every query parameter is documented and matches;
- a request body is documented for the operation, and validates against its application/json schema unless
  the answer refused it (4xx: bad input passed on by the user);
- the answer's status is documented for the operation, and a JSON answer validates against its schema.

Prints one line per exchange and a summary of the operations covered (`METHOD /template`), then
exits 1 when any exchange does not conform.
"""
import json
import re
import sys
import urllib.parse

import jsonschema
import referencing
import yaml

METHODS = {"get", "put", "post", "delete", "patch", "head"}


def main() -> int:
    document_path, trace_path = sys.argv[1], sys.argv[2]
    with open(document_path) as handle:
        document = yaml.safe_load(handle)
    resource = referencing.Resource.from_contents(document, default_specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource("urn:openapi", resource)

    def validate(instance, pointer: str) -> list[str]:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "urn:openapi#" + pointer}
        validator = jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
        return [f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}" for error in validator.iter_errors(instance)]

    def escape(token: str) -> str:
        return token.replace("~", "~0").replace("/", "~1")

    def deref(node):
        """Follows a local $ref of the document (parameters and responses are reused by reference)."""
        while isinstance(node, dict) and "$ref" in node:
            target = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    templates = []
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        templates.append((template, re.compile(pattern), item))

    failures = 0
    covered = set()
    with open(trace_path) as handle:
        exchanges = [json.loads(line) for line in handle if line.strip()]
    for number, exchange in enumerate(exchanges, 1):
        method = exchange["method"].lower()
        parsed = urllib.parse.urlsplit(exchange["path"])
        problems = []
        match = None
        for template, pattern, item in templates:
            found = pattern.match(parsed.path)
            if found and method in item:
                match = (template, found, item)
                break
        label = f"{exchange['method']} {exchange['path']} -> {exchange['status']}"
        if match is None:
            print(f"FAIL {label}: no documented operation has this method and path")
            failures += 1
            continue
        template, found, item = match
        operation = item[method]
        covered.add(f"{exchange['method']} {template}")
        base = f"/paths/{escape(template)}/{method}"
        parameters = [deref(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
        by_location = {(p["in"], p["name"]): p for p in parameters}
        for name, value in found.groupdict().items():
            parameter = by_location.get(("path", name))
            if parameter is None:
                problems.append(f"path parameter {name} is not documented")
                continue
            problems += [f"path {name}: {e}" for e in validate_value(urllib.parse.unquote(value), parameter, validate)]
        for name, values in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items():
            parameter = by_location.get(("query", name))
            if parameter is None:
                problems.append(f"query parameter {name} is not documented")
                continue
            for value in values:
                problems += [f"query {name}: {e}" for e in validate_value(value, parameter, validate)]
        if exchange["request"] is not None:
            body = operation.get("requestBody")
            if body is None:
                problems.append("sends a body the operation does not document")
            elif "application/json" not in deref(body).get("content", {}):
                problems.append("sends JSON where the operation documents " + ", ".join(deref(body)["content"]))
            else:
                pointer = f"{base}/requestBody/content/application~1json/schema"
                if "$ref" in body:
                    pointer = body["$ref"].lstrip("#") + "/content/application~1json/schema"
                violations = validate(exchange["request"], pointer)
                # Bad input the user gave is passed on and refused: a schema-violating request is
                # fine only when the answer is a documented refusal (4xx), never when it was taken.
                if violations and not 400 <= int(exchange["status"]) < 500:
                    problems += [f"request {e}" for e in violations]
        elif operation.get("requestBody", {}).get("required") and method != "get":
            problems.append("sends no body where one is required")
        status = str(exchange["status"])
        responses = operation.get("responses", {})
        response_key = status if status in responses else (status[0] + "XX" if status[0] + "XX" in responses else None)
        if response_key is None:
            problems.append(f"answer {status} is not documented (documented: {', '.join(sorted(responses))})")
        else:
            response = responses[response_key]
            pointer = f"{base}/responses/{response_key}"
            if "$ref" in response:
                pointer = response["$ref"].lstrip("#")
                response = deref(response)
            content = response.get("content", {})
            content_type = (exchange.get("content_type") or "").split(";")[0].strip()
            if content and content_type not in content:
                problems.append(f"answer content type {content_type!r} is not documented ({', '.join(content)})")
            elif content_type == "application/json" and "schema" in content.get("application/json", {}):
                problems += [f"answer {e}" for e in validate(exchange["response"], f"{pointer}/content/application~1json/schema")]
        if problems:
            failures += 1
            print(f"FAIL {label}")
            for problem in problems:
                print(f"    {problem}")
        else:
            print(f"ok   {label}")
    print(f"{len(exchanges)} exchanges, {failures} not conforming; operations covered:")
    for operation in sorted(covered):
        print(f"  {operation}")
    return 1 if failures or not exchanges else 0


def validate_value(text: str, parameter: dict, validate) -> list[str]:
    """A path or query value is text: converted to the schema's type before validating."""
    schema = parameter.get("schema", {})
    value = text
    kind = schema.get("type")
    try:
        if kind == "integer":
            value = int(text)
        elif kind == "number":
            value = float(text)
        elif kind == "boolean":
            value = {"true": True, "false": False}[text]
    except (ValueError, KeyError):
        return [f"{text!r} is not a {kind}"]
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(value)]


if __name__ == "__main__":
    sys.exit(main())
