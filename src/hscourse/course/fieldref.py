"""The field reference of docs/module-format.md, generated from the schema (its one source).

`hscourse schema --reference` prints it; a test keeps the copy in the docs current.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hscourse.course.schema import (
    COMMON_ITEM,
    COURSE,
    DISCUSSION,
    ITEM_FIELDS,
    MODULE,
    OPTION,
    READING,
    resolve,
)

BEGIN = "<!-- field reference: generated from the schema by `hscourse schema --reference` -->"
END = "<!-- end of the field reference -->"


def _kind(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_kind(branch) for branch in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "")
    if kind == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    if kind == "object":
        return "mapping"
    if kind == "string":
        return "Markdown" if schema.get("x-format") == "markdown" else "text"
    return {"boolean": "true/false", "integer": "whole number", "number": "number"}.get(kind, kind)


def _description(schema: dict[str, Any]) -> str:
    text = schema.get("description", "").replace(" (Markdown)", "").replace(" Instructor only.", "")
    default = schema.get("default")
    if default not in (None, [], "", {}):
        shown = str(default).lower() if isinstance(default, bool) else default
        text += f" Default: `{shown}`."
    return text.replace("|", "\\|")


def _table(title: str, properties: dict[str, Any], required: tuple[str, ...] | list[str]
           ) -> Iterator[str]:
    yield f"### {title}"
    yield ""
    yield "| field | kind | required | who sees it | what it is |"
    yield "| --- | --- | --- | --- | --- |"
    yield from _rows(properties, required)
    yield ""


def _rows(properties: dict[str, Any], required: tuple[str, ...] | list[str], prefix: str = ""
          ) -> Iterator[str]:
    """One row per field; a mapping's own fields follow it as `name.field`."""
    for name, schema in properties.items():
        audience = ("never shown" if schema.get("x-secret") else
                    "instructor" if schema.get("x-instructor-only") else "everyone")
        yield (f"| `{prefix}{name}` | {_kind(schema)} | {'yes' if name in required else ''} | "
               f"{audience} | {_description(schema)} |")
        if schema.get("type") == "object" and "properties" in schema:
            yield from _rows(schema["properties"], schema["required"], f"{prefix}{name}.")


def field_reference() -> str:
    """Every field of a module file, and every course setting, in Markdown tables."""
    objective = resolve(MODULE["properties"]["objectives"]["items"], {})
    lines = [BEGIN, ""]
    lines += _table("Module", MODULE["properties"], MODULE["required"])
    lines += _table("An objective written as a mapping", objective["properties"],
                    objective["required"])
    lines += _table("A reading", READING["properties"], READING["required"])
    lines += _table("A discussion question", DISCUSSION["properties"], DISCUSSION["required"])
    lines += _table("Every quiz item", COMMON_ITEM, ("id", "type", "prompt", "points",
                                                     "explanation"))
    for kind, (fields, required) in ITEM_FIELDS.items():
        article = "An" if kind[0] in "aeiou" else "A"
        lines += _table(f"{article} `{kind}` item also has", fields, required)
    lines += _table("An option", OPTION["properties"], OPTION["required"])
    lines += _table("Course settings: course.yaml (a term may set any of them but `code` and "
                    "`modules`)", COURSE["properties"], COURSE["required"])
    lines.append(END)
    return "\n".join(lines) + "\n"
