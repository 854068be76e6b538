"""Test-wide set-up: no network beyond loopback, offline models, shared fixtures."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SHARED = ROOT.parent / "shared"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "KOTAE_EMBEDDER"):
    os.environ.pop(_name, None)


class NetworkRefusedError(RuntimeError):
    """Raised when a test tries to reach anything but this machine."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else str(address)
    if not _is_loopback(str(host)):
        raise NetworkRefusedError(f"tests may only connect to loopback, not {address!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_loopback(host.decode() if isinstance(host, bytes) else
                                              str(host)):
        raise NetworkRefusedError(f"tests may not resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(scope="session")
def model_files() -> Any:
    """Prepare (or reuse) the local embedding model once per test session."""
    from retrieval.artifacts import default_cache_dir
    from retrieval.model_prep import prepare_local_model

    return prepare_local_model(default_cache_dir())


@pytest.fixture(scope="session")
def local_embedder(model_files: Any) -> Any:
    """The real offline embedding model."""
    from retrieval.embeddings import LocalMiniLMEmbedder

    return LocalMiniLMEmbedder(model_files)


@pytest.fixture(scope="session")
def e5_files() -> Any:
    """Prepare (or reuse) the multilingual-e5-small model once per test session."""
    from retrieval.artifacts import default_cache_dir
    from retrieval.e5_prep import prepare_e5_model

    return prepare_e5_model(default_cache_dir())


@pytest.fixture(scope="session")
def e5_embedder(e5_files: Any) -> Any:
    """The real offline multilingual embedding model."""
    from retrieval.embeddings import LocalE5Embedder

    return LocalE5Embedder(e5_files)


@pytest.fixture
def hashing_embedder() -> Any:
    """A fast deterministic fake embedder for unit tests of our own logic."""
    from retrieval.embeddings import HashingEmbedder

    return HashingEmbedder(dim=64)


@pytest.fixture(scope="session")
def demo_store_dir(tmp_path_factory: pytest.TempPathFactory, local_embedder: Any) -> Path:
    """The demo knowledge base and tickets ingested once with the real model."""
    from retrieval.indexer import Indexer
    from retrieval.loaders import load_knowledge_base, load_taxonomy, load_tickets
    from retrieval.store import KnowledgeStore, StoreConfig

    path = tmp_path_factory.mktemp("demo-store")
    store = KnowledgeStore.open(StoreConfig(path))
    indexer = Indexer(store, local_embedder)
    store.save_taxonomy(load_taxonomy(DEMO / "taxonomy.yaml"))
    indexer.sync("kb", load_knowledge_base(DEMO / "kb").documents)
    indexer.sync("ticket", load_tickets(DEMO / "tickets.jsonl").tickets)
    store.close()
    return path


@pytest.fixture(scope="session")
def demo_e5_store_dir(tmp_path_factory: pytest.TempPathFactory, e5_embedder: Any) -> Path:
    """The demo knowledge base and tickets indexed with the default multilingual model: the
    index `python -m eval demo` and bench/run.py use, from the checkout's cache
    (var/cache/eval/index), built there once per change of the data, the model or the
    indexing code. A private copy for the session."""
    from eval.runner import DEFAULT_CACHE, cached_index, load_corpus

    corpus = load_corpus(DEMO / "kb", DEMO / "tickets.jsonl", DEMO / "taxonomy.yaml")
    built = cached_index(corpus, e5_embedder, ROOT / DEFAULT_CACHE / "index", progress=False)
    path = tmp_path_factory.mktemp("demo-e5") / "store"
    shutil.copytree(built, path)
    return path


@pytest.fixture
def demo_store(demo_store_dir: Path) -> Iterator[Any]:
    """An open handle on the shared demo store (read-only use)."""
    from retrieval.store import KnowledgeStore, StoreConfig

    store = KnowledgeStore.open(StoreConfig(demo_store_dir))
    yield store
    store.close()
