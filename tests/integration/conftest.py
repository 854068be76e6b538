"""Fixtures shared by the API tests: one app per test over SQLite or PostgreSQL with a fake agent.

A test module that needs another agent or app defines its own `agent` or `client` fixture,
which takes precedence over these.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_api_harness import FakeAgent, client_for
from tests.support.postgres import BACKENDS, database_url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend the API supports."""
    return database_url(request.param, tmp_path)


@pytest.fixture
def agent() -> FakeAgent:
    """A fake agent whose decisions follow simple rules."""
    return FakeAgent()


@pytest.fixture
def client(db_url: str, agent: FakeAgent) -> Iterator[TestClient]:
    """A TestClient over a fresh app."""
    with client_for(db_url, agent=agent) as client:
        yield client


@pytest.fixture(scope="session")
def chroma_session_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One `chroma run` server for the session (starting one takes seconds)."""
    from tests.support.net import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma")) as port:
        yield port


@pytest.fixture
def chroma_port(chroma_session_port: int) -> int:
    """The session's Chroma server on 127.0.0.1, emptied: no collection an earlier test made."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_session_port,
                                 settings=Settings(anonymized_telemetry=False))
    for collection in client.list_collections():
        client.delete_collection(collection.name)
    assert client.list_collections() == []
    return chroma_session_port


@pytest.fixture(scope="session")
def e5_article_store(tmp_path_factory: pytest.TempPathFactory,
                     e5_embedder: Any) -> Callable[[Sequence[str]], Path]:
    """Index a few demo articles (file names in data/demo/kb) with the multilingual model,
    once per set of names in a session; return the store's folder. A test that writes to the
    index (approving a gap, resolving an escalation) works on a copy."""
    from retrieval.indexer import Indexer
    from retrieval.loaders import load_knowledge_base, load_taxonomy
    from retrieval.store import KnowledgeStore, StoreConfig

    demo = Path(__file__).resolve().parents[2] / "data" / "demo"
    built: dict[tuple[str, ...], Path] = {}

    def store_of(names: Sequence[str]) -> Path:
        key = tuple(sorted(names))
        if key not in built:
            kb = tmp_path_factory.mktemp("kb")
            for name in key:
                shutil.copy(demo / "kb" / name, kb / name)
            path = tmp_path_factory.mktemp("e5-store")
            store = KnowledgeStore.open(StoreConfig(path))
            try:
                store.save_taxonomy(load_taxonomy(demo / "taxonomy.yaml"))
                Indexer(store, e5_embedder).sync("kb", load_knowledge_base(kb).documents)
            finally:
                store.close()
            built[key] = path
        return built[key]

    return store_of
