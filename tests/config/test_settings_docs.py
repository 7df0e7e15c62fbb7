"""`.env.example`, the README's configuration table and the Settings class name the same
settings, with the same defaults: a new field, a renamed one or a changed default fails here."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from config.settings import DEFAULTS_FILE, Settings, _env_name

REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"`((?:NEWSDESK_|DISCORD_)[A-Z0-9_]+)`")


def _settings_names() -> set[str]:
    return {_env_name(field) for field in Settings.model_fields}


def _example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?\s*((?:NEWSDESK_|DISCORD_)[A-Z0-9_]+)=(.*)", line.strip())
        if match:
            values[match[1]] = match[2].strip()
    return values


def _readme_table() -> dict[str, str]:
    """First-column names of the Configuration table -> the row's default column."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not line.startswith("|"):
            continue
        for name, default in zip(
            NAME.findall(cells[0]), [d.strip(" `") for d in cells[1].split(" / ")], strict=False
        ):
            rows[name] = default
    return rows


def _default(field: str) -> str:
    toml = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    value = toml.get(field, Settings.model_fields[field].default)
    if value is None:
        return ""
    if isinstance(value, bool | list):  # written as an environment variable would be
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def test_every_setting_is_documented_in_both_and_nothing_stale():
    names = _settings_names()
    assert set(_example()) == names
    assert set(_readme_table()) == names


def test_defaults_agree():
    example = _example()
    readme = _readme_table()
    for field in Settings.model_fields:
        name = _env_name(field)
        expected = _default(field)
        assert example[name] == expected, name
        assert readme[name] == (expected or "—"), name
