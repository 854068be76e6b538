import threading
from pathlib import Path

import pytest

from retrieval.tokens import install_offline_encodings
from tests.support.threads import run_interleaved


def test_many_threads_install_the_offline_encodings_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API's first requests on a machine with an empty tiktoken cache all install the
    # BPE files at once; they used to share one temporary file, and all but one failed.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "unused"))  # restored afterwards
    target = tmp_path / "tiktoken"
    start = threading.Barrier(16)

    def install() -> None:
        start.wait()
        install_offline_encodings(target)

    failures = run_interleaved([install] * 16)
    assert not failures, failures[:3]
    names = sorted(p.name for p in target.iterdir())
    assert len(names) == 2 and not any(n.endswith(".tmp") for n in names), names
    assert install_offline_encodings(target) == target  # and a later call finds them valid
