"""Load .txt/.md/.html/.json/.jsonl files into :class:`Article` records.

One bad file (or one bad record) never stops the rest: every problem becomes a
:class:`SourceFailure` with a one-line reason, and nothing here raises for bad input.

Decisions worth knowing:

* A malformed JSONL line fails only that line (``path:LINE``); the other lines still load. A
  malformed ``.json`` file fails as a whole (``malformed JSON at line L col C``), since there is
  no record boundary to recover from. A JSON record without text fails as ``path[INDEX]``
  (``.json`` list) or ``path:LINE`` (``.jsonl``).
* Decoding tries UTF-8 (BOM-aware, also UTF-16 with a BOM), then cp1252, then latin-1; it fails
  only when the decoded text still looks binary (NUL bytes or many control characters).
* Article ids: a record's own ``id``; else ``<file stem>:<index>`` for JSON records (the list
  index for ``.json``, the line number for ``.jsonl``); else, for whole-file articles, the
  path relative to the folder it was found under, without suffix (``sub/003_e4a4``).
  Ids are made unique across one load: the same id with the same content is loaded once, the
  same id with different content gets a ``~<hash>`` suffix (both logged).
* ``Article.path`` is the resolved absolute file path; for JSON records it is the file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from index.clean import (
    clean_text,
    extract_title,
    find_date,
    find_publisher,
    parse_date,
    split_related,
)
from index.models import Article, LoadReport, SourceFailure, content_hash

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm", ".json", ".jsonl"}
MISSING = "path does not exist"
NO_SUFFIX = "(no extension)"

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(?P<body>.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*)$")
_HTML_TITLE = re.compile(r"<title[^>]*>(?P<title>.*?)</title>", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Decoded text with more than this share of control characters is binary, not text.
_MAX_CONTROL_RATIO = 0.01


@dataclass(frozen=True)
class _Meta:
    """Metadata a format may supply; missing fields are filled from the text by heuristics."""

    title: str | None = None
    url: str | None = None
    published: str | None = None
    publisher: str | None = None


class _BadInput(Exception):
    """Internal: a one-line reason why a file cannot be loaded (never escapes this module)."""


# --------------------------------------------------------------------------------------- files


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _unreachable(path: Path) -> str:
    """Why a path that does not resolve to a file or folder cannot be read, in a few words."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if path.is_symlink():
            return "broken symlink (its target does not exist)"
        if exc.errno == errno.ENOENT:
            return MISSING
        return f"unreadable: {exc.strerror or exc}"
    return "neither a file nor a folder"


@dataclass
class Scan:
    """What walking the given paths found: supported files, unsupported ones by type, and
    entries that could not be reached (dangling or looping symlinks)."""

    files: list[tuple[Path, Path]] = field(default_factory=list)  # (file, root found under)
    unsupported: Counter[str] = field(default_factory=Counter)
    failures: list[SourceFailure] = field(default_factory=list)


def scan(paths: Sequence[Path]) -> Scan:
    """Walk ``paths`` (folders recursively, sorted; hidden entries skipped). Missing paths are
    simply absent here: :func:`check_paths` and :func:`load_paths` report them."""
    found = Scan()
    for given in paths:
        if given.is_dir():
            for entry in sorted(given.rglob("*")):
                if _is_hidden(entry, given):
                    continue
                if entry.is_file():
                    suffix = entry.suffix.lower()
                    if suffix in SUPPORTED_SUFFIXES:
                        found.files.append((entry, given))
                    else:
                        found.unsupported[suffix or NO_SUFFIX] += 1
                elif entry.is_symlink() and not entry.exists():
                    found.failures.append(SourceFailure(str(entry), _unreachable(entry)))
        elif given.is_file() and given.suffix.lower() in SUPPORTED_SUFFIXES:
            found.files.append((given, given.parent))
    return found


def iter_files(paths: Sequence[Path]) -> list[Path]:
    """Supported files under ``paths`` (folders recursively, sorted; hidden entries skipped).

    A path that does not exist is simply absent here; :func:`load_paths` reports it.
    """
    return [file for file, _root in scan(paths).files]


def check_paths(paths: Sequence[Path]) -> tuple[list[Path], list[SourceFailure]]:
    """Split named paths into those that exist (resolved) and failures for the rest.

    Never raises: ``Path.resolve`` raises on a symlink loop, so only existing paths resolve.
    """
    existing: list[Path] = []
    failures: list[SourceFailure] = []
    for given in paths:
        path = given.expanduser()
        if path.exists():
            existing.append(path.resolve())
        else:
            failures.append(SourceFailure(os.path.abspath(path), _unreachable(path)))
    return existing, failures


# ------------------------------------------------------------------------------------ decoding


def _decode(data: bytes) -> str:
    """Bytes -> text; raise :class:`_BadInput` for binary or undecodable content."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _BadInput(f"not valid UTF-16 despite its BOM: {exc.reason}") from exc
    elif b"\x00" in data:
        raise _BadInput("binary file (contains NUL bytes)")
    else:
        text = _decode_8bit(data)
    if _CONTROL.search(text) and len(_CONTROL.findall(text)) > _MAX_CONTROL_RATIO * len(text):
        raise _BadInput("binary or undecodable content (too many control characters)")
    return text


def _decode_8bit(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            logger.info("decoded as %s (not valid UTF-8)", encoding)
        return text
    raise _BadInput("undecodable text")  # unreachable: latin-1 decodes every byte


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _BadInput(f"unreadable: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise _BadInput(f"file too large: {size:,} bytes, over the limit of {max_bytes:,} bytes")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _BadInput(f"unreadable: {exc.strerror or exc}") from exc
    if not data.strip():
        raise _BadInput("empty file")
    text = _decode(data)
    if not text.strip():
        raise _BadInput("empty file (whitespace only)")
    return text


# ------------------------------------------------------------------------------------- formats


def _build_article(
    *, article_id: str, text: str, path: Path, meta: _Meta, markdown: bool = False
) -> Article:
    """Clean ``text`` and fill title/date/publisher the format did not supply from the text.

    Heuristics read only the article's own part, never a "Related" teaser below it.
    """
    cleaned = clean_text(text)
    if not cleaned:
        raise _BadInput("no article text (nothing left after removing boilerplate)")
    main, _related = split_related(cleaned)
    title = (meta.title or "").strip() or extract_title(main, markdown=markdown) or article_id
    published = parse_date(meta.published) if meta.published else None
    return Article(
        id=article_id,
        title=title,
        text=cleaned,
        path=str(path),
        url=(meta.url or "").strip() or None,
        published=published or find_date(main),
        publisher=(meta.publisher or "").strip() or find_publisher(main),
    )


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` front matter between ``---`` lines (no YAML dependency)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match["body"].splitlines():
        key_value = _FRONT_KEY.match(line.strip())
        if key_value:
            value = key_value["value"].strip().strip("\"'")
            fields.setdefault(key_value["key"].lower(), value)
    return fields, text[match.end() :]


def _first(fields: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _load_plain(text: str, path: Path, article_id: str) -> Article:
    fields, body = _split_front_matter(text)
    meta = _Meta(
        title=_first(fields, "title"),
        url=_first(fields, "url", "link", "canonical"),
        published=_first(fields, "date", "published", "published_at", "pubdate"),
        publisher=_first(fields, "source", "publisher", "site", "sitename"),
    )
    return _build_article(
        article_id=article_id,
        text=body,
        path=path,
        meta=meta,
        markdown=path.suffix.lower() == ".md",
    )


def _load_html(text: str, path: Path, article_id: str) -> Article:
    """Main text and metadata via trafilatura; falls back to <title> + stripped page text."""
    import trafilatura  # local: heavy import, only needed for HTML

    document = None
    try:
        document = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            # No extensive search: a date from a teaser or the footer is worse than none.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # trafilatura/lxml can raise on odd markup; fall back below
        logger.info("%s: trafilatura failed (%s); using plain text", path, exc)
    body = (getattr(document, "text", None) or "").strip() if document is not None else ""
    meta = _Meta(
        title=getattr(document, "title", None),
        url=getattr(document, "url", None),
        published=getattr(document, "date", None),
        publisher=getattr(document, "sitename", None),
    )
    if not body:
        body = _html_fallback_text(text)
        title_match = _HTML_TITLE.search(text)
        if title_match and not meta.title:
            meta = replace(meta, title=_fallback_title(title_match["title"]))
    if not body.strip():
        raise _BadInput("no article text in HTML page")
    return _build_article(article_id=article_id, text=body, path=path, meta=meta)


def _fallback_title(raw: str) -> str:
    import html

    return " ".join(html.unescape(raw).split())


def _html_fallback_text(markup: str) -> str:
    """Visible text of a page, block by block, for pages trafilatura finds no article in."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(markup)
    except Exception:  # lxml raises several types on broken/empty markup
        return ""
    for element in tree.xpath("//script|//style|//noscript|//head|//template"):
        element.drop_tree()
    lines = (" ".join(line.split()) for line in tree.text_content().splitlines())
    return "\n".join(line for line in lines if line)


class KnownArticle(Protocol):
    """What the manifest remembers of an indexed article (``index.store.ArticleEntry``)."""

    hash: str
    path: str
    title: str
    url: str | None
    published: date | None
    publisher: str | None
    source: str


def _record_article(
    record: Any,
    *,
    path: Path,
    fallback_id: str,
    known: Mapping[str, KnownArticle] | None = None,
) -> Article:
    """One JSON object -> Article; raise :class:`_BadInput` with the reason otherwise.

    A record exactly as it was when the article in ``known`` (the manifest) was indexed from
    this file is not cleaned again: a daily export rewrites one big JSONL file for a few new
    stories, and cleaning is most of reading it (~3 ms a record). Its Article carries the
    manifest's hash and metadata and no text; the build leaves an unchanged article as it is."""
    if not isinstance(record, dict):
        raise _BadInput(f"record is a {type(record).__name__}, not an object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _BadInput("record has no text")
    record_id = record.get("id")
    article_id = str(record_id).strip() if record_id not in (None, "") else fallback_id
    source = content_hash(json.dumps(record, sort_keys=True, ensure_ascii=False))
    entry = known.get(article_id) if known else None
    if entry is not None and entry.source == source and entry.path == str(path):
        return Article(
            id=article_id,
            title=entry.title,
            text="",
            path=entry.path,
            url=entry.url,
            published=entry.published,
            publisher=entry.publisher,
            content_hash=entry.hash,
            source=source,
        )
    meta = _Meta(
        title=_first(record, "title", "headline"),
        url=_first(record, "url", "link"),
        published=_first(record, "published", "date", "published_at", "publishedAt"),
        publisher=_first(record, "publisher", "source", "sitename"),
    )
    article = _build_article(article_id=article_id, text=text, path=path, meta=meta)
    return replace(article, source=source)


def _load_json(
    text: str, path: Path, known: Mapping[str, KnownArticle] | None = None
) -> tuple[list[Article], list[SourceFailure]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadInput(f"malformed JSON at line {exc.lineno} col {exc.colno}: {exc.msg}") from exc
    if isinstance(data, dict):
        return [_record_article(data, path=path, fallback_id=f"{path.stem}:0", known=known)], []
    if not isinstance(data, list):
        raise _BadInput(f"JSON top level is a {type(data).__name__}, not an object or list")
    if not data:
        raise _BadInput("JSON list has no records")
    articles: list[Article] = []
    failures: list[SourceFailure] = []
    for index, record in enumerate(data):
        try:
            articles.append(
                _record_article(record, path=path, fallback_id=f"{path.stem}:{index}", known=known)
            )
        except _BadInput as exc:
            failures.append(SourceFailure(f"{path}[{index}]", str(exc)))
    return articles, failures


def _load_jsonl(
    text: str, path: Path, known: Mapping[str, KnownArticle] | None = None
) -> tuple[list[Article], list[SourceFailure]]:
    """One record per line; a bad line is its own failure and the other lines still load."""
    articles: list[Article] = []
    failures: list[SourceFailure] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            failures.append(
                SourceFailure(where, f"malformed JSON line (col {exc.colno}): {exc.msg}")
            )
            continue
        try:
            articles.append(
                _record_article(
                    record, path=path, fallback_id=f"{path.stem}:{line_no}", known=known
                )
            )
        except _BadInput as exc:
            failures.append(SourceFailure(where, str(exc)))
    if not articles and not failures:
        raise _BadInput("no records")
    return articles, failures


def _default_id(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).with_suffix("").as_posix()
        except ValueError:
            pass
    return path.stem


def load_file(
    path: Path,
    *,
    max_bytes: int,
    root: Path | None = None,
    known: Mapping[str, KnownArticle] | None = None,
) -> tuple[list[Article], list[SourceFailure]]:
    """One file -> its articles and failures. Never raises for bad input.

    ``root`` is the folder the file was found under; whole-file article ids are the path
    relative to it without suffix (default: the file stem). ``known``: the manifest's articles
    (a JSON record unchanged since it was indexed is not cleaned again).
    """
    resolved = path.resolve()
    try:
        text = _read_text(resolved, max_bytes)
        suffix = resolved.suffix.lower()
        if suffix == ".json":
            return _load_json(text, resolved, known)
        if suffix == ".jsonl":
            return _load_jsonl(text, resolved, known)
        article_id = _default_id(path, root)
        if suffix in {".html", ".htm"}:
            return [_load_html(text, resolved, article_id)], []
        return [_load_plain(text, resolved, article_id)], []
    except _BadInput as exc:
        return [], [SourceFailure(str(resolved), str(exc))]
    except Exception as exc:  # a loader bug or a missing dependency costs one file, not the build
        logger.debug("loading %s failed", resolved, exc_info=True)
        return [], [SourceFailure(str(resolved), _unexpected(exc))]


def _unexpected(exc: Exception) -> str:
    message = " ".join(str(exc).split())
    if isinstance(exc, ImportError):
        return (
            f"missing dependency: {message or exc.name} (reinstall newsdesk with its dependencies)"
        )
    return f"could not load ({type(exc).__name__}: {message})" if message else type(exc).__name__


# ------------------------------------------------------------------------------------- loading


def _preflight(paths: Sequence[Path]) -> list[SourceFailure]:
    """Failures for given paths that produce no file: missing, or an unsupported named file."""
    failures: list[SourceFailure] = []
    for given in paths:
        if not given.exists():
            failures.append(SourceFailure(str(given), _unreachable(given)))
        elif given.is_file() and given.suffix.lower() not in SUPPORTED_SUFFIXES:
            failures.append(
                SourceFailure(str(given.resolve()), f"unsupported file type {given.suffix!r}")
            )
    return failures


def with_own_id(article: Article) -> Article:
    """The article under an id of its own: its id suffixed with a hash of its file's path, for
    a second article that claims an id already taken."""
    digest = hashlib.sha1(article.path.encode()).hexdigest()[:8]
    return replace(article, id=f"{article.id}~{digest}")


def _unique(articles: list[Article]) -> list[Article]:
    """Keep ids unique: identical duplicates load once, conflicting ones get a hash suffix."""
    by_id: dict[str, Article] = {}
    result: list[Article] = []
    for article in articles:
        existing = by_id.get(article.id)
        if existing is None:
            by_id[article.id] = article
            result.append(article)
        elif existing.content_hash == article.content_hash:
            logger.info(
                "duplicate article %s in %s skipped (same content)", article.id, article.path
            )
        else:
            renamed = with_own_id(article)
            logger.warning(
                "article id %s repeated in %s; using %s", article.id, article.path, renamed.id
            )
            by_id[renamed.id] = renamed
            result.append(renamed)
    return result


def file_stamp(path: Path, root: Path) -> str:
    """Size, modification time (ns) and the folder a file was found under (whole-file article
    ids are relative to it): unchanged stamp, unchanged articles, as make and rsync assume."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{root}"


def load_paths(
    paths: Sequence[Path],
    *,
    max_bytes: int = 20_000_000,
    known_stamps: Mapping[str, str] | None = None,
    known_articles: Mapping[str, KnownArticle] | None = None,
) -> LoadReport:
    """Load every supported file under ``paths``; each problem is a failure, never an exception.

    ``seen_paths`` holds every file found (loaded or failed), so a build can tell a removed file
    from one that merely failed this time. A file whose stamp equals ``known_stamps``' (the
    manifest's) is not read: parsing and cleaning are most of a no-change build; in a file that
    changed, a JSON record unchanged since its article was indexed (``known_articles``) is
    parsed but not cleaned.
    """
    failures = _preflight(paths)
    found_files = scan(paths)
    failures.extend(found_files.failures)
    articles: list[Article] = []
    seen: set[str] = set()
    unchanged: set[str] = set()
    stamps: dict[str, str] = {}
    for found, root in found_files.files:
        resolved = str(found.resolve())
        if resolved in seen:
            continue  # the same file reached through two given paths
        seen.add(resolved)
        try:
            stamp = file_stamp(found, root)
        except OSError:
            stamp = None  # vanished or unreadable: load_file reports it
        if stamp is not None and known_stamps and known_stamps.get(resolved) == stamp:
            unchanged.add(resolved)
            stamps[resolved] = stamp
            continue
        file_articles, file_failures = load_file(
            found, max_bytes=max_bytes, root=root, known=known_articles
        )
        articles.extend(file_articles)
        failures.extend(file_failures)
        if stamp is not None and not file_failures:
            stamps[resolved] = stamp  # a file with a bad record is read again next time
    # Failures are returned, not logged: the caller reports each once (the CLI on one line).
    return LoadReport(
        articles=_unique(articles),
        failures=failures,
        seen_paths=frozenset(seen),
        skipped_types=dict(found_files.unsupported),
        unchanged_files=frozenset(unchanged),
        stamps=stamps,
    )
