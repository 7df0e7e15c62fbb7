"""Errors the index reports to a person in one line (kept free of heavy imports)."""


class IndexError_(Exception):
    """Base for index problems reported to the user in one line."""


class IndexLocked(IndexError_):
    """Another process is writing this index."""


class IndexMissing(IndexError_):
    """No index has been built yet."""


class ModelMismatch(IndexError_):
    """The index was built with another embedding model or chunking than the one configured."""
