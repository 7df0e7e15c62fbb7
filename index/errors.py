"""Errors the index reports to a person in one line (kept free of heavy imports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.models import SourceFailure


class IndexError_(Exception):
    """Base for index problems reported to the user in one line."""


class IndexLocked(IndexError_):
    """Another process is writing this index."""


class IndexMissing(IndexError_):
    """No index has been built yet."""


class ModelMismatch(IndexError_):
    """The index was built with another embedding model or chunking than the one configured."""


class IndexNotWritable(IndexError_):
    """The index folder cannot be created or written (checked only when a build writes)."""


class ServerUnavailable(IndexError_):
    """The Chroma server (NEWSDESK_CHROMA_URL) is down, wrong, or does not answer in time."""


class EmbedderUnavailable(IndexError_):
    """The embedding endpoint (NEWSDESK_LLM_BASE_URL) is down or answered with an error."""


class UnknownPublisher(IndexError_):
    """A search asked for a publisher no article of the index has (``--source``)."""


class SourcesMissing(IndexError_):
    """Every path a build was given is missing: nothing is built, nothing is touched."""


class BuildRefused(IndexError_):
    """A ``--rebuild`` loaded no article; the live index is kept instead of being emptied.

    ``failures`` are the files that could not be loaded (each is reported by the caller).
    """

    def __init__(self, message: str, failures: Sequence[SourceFailure] = ()) -> None:
        super().__init__(message)
        self.failures = list(failures)
