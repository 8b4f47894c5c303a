"""Where uploaded files live: one small interface, so the backend is a matter of configuration.

Every caller goes through `get_storage()` and the four methods of `Storage`; keys are flat
strings such as ``photos/3f2a….jpg``. The default backend is a folder (`UPLOAD_FOLDER`,
default ``<instance>/uploads``), which suits one machine. To run several web machines, add
a class with the same four methods that talks to an S3-compatible store (e.g. with boto3:
put_object / get_object / delete_object / head_object), select it by `STORAGE_BACKEND`, and
nothing else changes.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from flask import current_app

_SAFE_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def load(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class FolderStorage:
    """Files under one folder; writes go to a temporary name first, so a reader never sees
    half a file."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _SAFE_KEY.match(key):  # no "..", no absolute paths, no surprises
            raise ValueError(f"unsafe storage key {key!r}")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)

    def load(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


BACKENDS = {"folder": lambda app: FolderStorage(app.config.get("UPLOAD_FOLDER")
                                                or os.path.join(app.instance_path, "uploads"))}


def get_storage() -> Storage:
    """The configured storage (`STORAGE_BACKEND`, default "folder")."""
    app = current_app._get_current_object()
    backend = app.config.get("STORAGE_BACKEND") or "folder"
    return BACKENDS[backend](app)
