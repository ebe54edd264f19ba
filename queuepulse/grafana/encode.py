"""Serialisation of SDK objects and provisioning documents, stable for golden files."""

from __future__ import annotations

import json
from typing import Any

import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder


def to_plain(obj: object) -> Any:
    """An SDK model (or anything JSON-encodable) as plain dicts/lists/scalars."""
    return json.loads(JSONEncoder(sort_keys=True).encode(obj))


def dump_json(document: object) -> str:
    """Sorted keys, two-space indent, trailing newline: the committed dashboard format."""
    return json.dumps(to_plain(document), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings (SQL) as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(document: object, header: str = "") -> str:
    """A provisioning file: optional comment header, then the document (sorted keys)."""
    body = yaml.dump(
        to_plain(document), Dumper=_Dumper, sort_keys=True, allow_unicode=True, width=100
    )
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + body
