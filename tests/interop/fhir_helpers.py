"""Parsing what the exports write with the `fhir.resources` R4B models."""

from fhir.resources.R4B import get_fhir_model_class


def parse(resource: dict):
    """The resource as its fhir.resources R4B model; raises when it is not valid FHIR R4."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def references(value) -> list[str]:
    """Every literal reference (`{"reference": "Type/id"}`) anywhere inside a resource."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.append(value["reference"])
        for item in value.values():
            found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found


def empty_elements(value, path: str = "") -> list[str]:
    """Where a resource holds an empty object, array or string: FHIR JSON forbids them, and
    the fhir.resources models let them through."""
    if value in ({}, [], ""):
        return [path or "/"]
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += empty_elements(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += empty_elements(item, f"{path}/{index}")
    return found
