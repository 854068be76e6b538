"""Search for support agents and admins: an agent without a retriever answers 503."""

from __future__ import annotations

from tests.integration.test_api_harness import FakeAgent, auth, client_for


def test_search_without_a_retriever_is_503(db_url: str) -> None:
    class Blind(FakeAgent):
        def __init__(self) -> None:
            super().__init__()
            del self.retriever

    with client_for(db_url, agent=Blind()) as client:
        response = client.get("/v1/search", params={"q": "x"}, headers=auth("agent"))
    assert response.status_code == 503
    assert response.json()["error_code"] == "unavailable"
