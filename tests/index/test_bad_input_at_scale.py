"""Bad input at scale: 500 good articles and one file of each bad kind in one build. Every bad
file is named with its reason, every good article is indexed, and a second build changes
nothing (the failures do not cost the good articles of their folders)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from index.build import IndexBuilder
from index.store import IndexStore

GOOD = 500


def _write_corpus(root: Path) -> dict[str, str]:
    """500 made-up articles in 10 folders and one file of each bad kind; returns the bad
    files (relative path -> a word its failure line must contain)."""
    for i in range(GOOD):
        folder = root / f"desk{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"story{i:03d}.txt").write_text(
            f"Harbour report number {i}\n\nThe ferry line {i} carried {i * 7} passengers "
            f"between Portvale and Lindmoor on day {i}, the harbour office said.\n",
            encoding="utf-8",
        )
    bad = root / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (bad / "empty.md").write_bytes(b"")
    (bad / "lines.jsonl").write_text(
        json.dumps({"id": "ok-1", "title": "Fine", "text": "A fine record about ferries."})
        + "\n{not json\n",
        encoding="utf-8",
    )
    with (bad / "huge.txt").open("wb") as fh:  # 50 MB: over the builder's limit
        fh.truncate(50 * 1024 * 1024)
    (bad / "nobody.html").write_text("<html><head></head></html>", encoding="utf-8")
    os.symlink(bad / "loop", bad / "loop")
    (bad / "report.pdf").write_bytes(b"%PDF-1.7 not read")
    # Readable after all, so indexed: Windows-1252 text, and two records sharing one id (each
    # kept under its own id rather than one overwriting the other).
    (bad / "latin.txt").write_bytes(
        "Caf\u00e9 ferry\n\nThe caf\u00e9 on pier 9 reopened.".encode("cp1252")
    )
    (bad / "dups.jsonl").write_text(
        "".join(
            json.dumps({"id": "dup", "title": f"Twin {n}", "text": f"Twin story {n} on ferries."})
            + "\n"
            for n in (1, 2)
        ),
        encoding="utf-8",
    )
    expected = {
        "bad/binary.txt": "binary",
        "bad/empty.md": "empty",
        "bad/lines.jsonl:2": "malformed JSON",  # the line is named in the path
        "bad/huge.txt": "too large",
        "bad/nobody.html": "",
        "bad/loop": "loop",
    }
    if os.geteuid() != 0:  # root reads a chmod 000 file anyway
        locked = bad / "locked.txt"
        locked.write_text("A story nobody may read.", encoding="utf-8")
        locked.chmod(0)
        expected["bad/locked.txt"] = "unreadable"
    return expected


def test_every_bad_file_named_every_good_article_indexed(
    tmp_path: Path, store: IndexStore, builder: IndexBuilder
):
    root = tmp_path / "corpus"
    bad = _write_corpus(root)
    report = builder.build([root])

    base = root.resolve()
    named = {Path(os.path.relpath(f.path, base)).as_posix(): f.error for f in report.failed}
    for path, word in bad.items():
        failure = next((err for name, err in named.items() if name.startswith(path)), None)
        assert failure is not None, f"{path} was not named: {sorted(named)}"
        assert word.lower() in failure.lower(), (path, failure)
        assert "\n" not in failure, "one line per failure"
    assert report.skipped_unsupported == {".pdf": 1}
    # The 500 stories, the good record of the half-bad JSONL file, the cp1252 file, both twins.
    assert report.added == GOOD + 4
    articles = store.open_current().manifest.articles
    assert len(articles) == GOOD + 4
    assert sorted(a.title for a in articles.values() if a.title.startswith("Twin")) == [
        "Twin 1",
        "Twin 2",
    ]
    assert any("café" in a.title.lower() for a in articles.values())
    assert {Path(a.path).name for a in articles.values()} >= {"story000.txt", "story499.txt"}

    again = builder.build([root])
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == GOOD + 4
