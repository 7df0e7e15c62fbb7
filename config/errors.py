"""The settings' one error, apart from the settings themselves: the command line names it in
every command, and importing it must not import pydantic (``newsdesk --help`` stays fast)."""

from __future__ import annotations


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it in one line."""
