"""Run the real `newsdesk` entry point in-process and capture what a person would see."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from bot.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str, app: object | None = None) -> Result:
    with pytest.raises(SystemExit) as exc:
        main(list(args), obj={"app": app} if app is not None else None)
    captured = capsys.readouterr()
    return Result(int(exc.value.code or 0), captured.out, captured.err)
