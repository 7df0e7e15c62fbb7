"""The ``newsdesk`` command: thin typer adapters over the services built in bot.app."""

from bot.cli.main import main

__all__ = ["main"]
