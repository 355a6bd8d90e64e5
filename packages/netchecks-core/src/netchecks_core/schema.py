"""JSON Schemas of the probe's file formats, for editors and CI."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from netchecks_core.probe_config import ProbeConfig
from netchecks_core.probe_output import ProbeOutput
from netchecks_core.rules import Rule

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def probe_config_schema() -> dict[str, Any]:
    """The probe config, with each rule described by its type's schema."""
    schema = ProbeConfig.model_json_schema(by_alias=True)
    rule_schema = TypeAdapter(Rule).json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = schema.setdefault("$defs", {})
    defs.update(rule_schema.pop("$defs", {}))
    defs["Rule"] = rule_schema
    defs["AssertionConfig"]["properties"]["rules"]["items"] = {"$ref": "#/$defs/Rule"}
    return {"$schema": SCHEMA_DIALECT, "title": "netchecks probe config", **schema}


def probe_output_schema() -> dict[str, Any]:
    """The probe output document."""
    schema = ProbeOutput.model_json_schema(by_alias=True)
    return {"$schema": SCHEMA_DIALECT, "title": "netchecks probe output", **schema}


def network_assertion_schema() -> dict[str, Any]:
    """A NetworkAssertion manifest: the OpenAPI v3 schema its CRD gives the API server.

    JSON Schema tools read it as they read any Kubernetes CRD schema (they ignore
    ``nullable`` and the ``x-kubernetes-*`` keywords). It is what admission checks;
    the validator (:func:`netchecks_core.validation.validate_manifest`) checks more.
    """
    from netchecks_core.crd import crd  # the CRD generator builds every rule type's schema

    (version,) = crd()["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return {"title": "netchecks NetworkAssertion", **schema}
