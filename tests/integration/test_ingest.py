"""ingest_kb.py end to end: real Chroma, the real model, re-runs, bad input, interruption."""

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import ingest_kb
from retrieval.catalog import Catalog
from settings import default_database_url
from storage.db import Database
from storage.repo import keys as key_store
from tests.conftest import DEMO, ROOT

pytestmark = pytest.mark.integration


def summary(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


SUBSET = ("forms.md", "zapier.md", "ja-export-data.md", "known-issues.html",
          "ja-security-compliance.html", "release-notes-2026-09.txt", "faq.jsonl")


def test_rerun_skips_unchanged_updates_changed_and_deletes_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_files: object,
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    # Part of the demo knowledge base (embedding all of it is minutes under load): every file
    # format it has (Markdown, HTML, text, JSON Lines of 8 FAQs), English and Japanese.
    for name in SUBSET:
        shutil.copy(DEMO / "kb" / name, kb / name)
    store = tmp_path / "store"
    args = ["--kb", str(kb), "--store", str(store), "--no-progress"]
    assert ingest_kb.run(args) == 0
    first = summary(capsys)
    assert first.startswith(f"kb: added {len(SUBSET) - 1 + 8}, updated 0"), first

    assert ingest_kb.run(args) == 0
    second = summary(capsys)
    assert "added 0, updated 0" in second and "deleted 0" in second and "0 chunks" in second

    (kb / "forms.md").write_text((kb / "forms.md").read_text() + "\n\nA new paragraph.\n")
    (kb / "zapier.md").unlink()
    assert ingest_kb.run(args) == 0
    third = summary(capsys)
    assert "added 0, updated 1" in third and "deleted 1" in third


def test_bad_inputs_are_reported_and_the_rest_lands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_files: object,
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "good.md").write_text("---\nid: kb-good\ntitle: Good\n---\nInvite people from Members.")
    (kb / "empty.md").write_text("---\nid: kb-empty\ntitle: Empty\n---\n")
    (kb / "bad.jsonl").write_text('{"id": "kb-j1", "text": "fine"}\n{broken\n')
    (kb / "dup.jsonl").write_text('{"id": "kb-good", "text": "duplicate"}\n')
    (kb / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1"))
    store = tmp_path / "store"
    assert ingest_kb.run(["--kb", str(kb), "--store", str(store), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert f"{kb / 'bad.jsonl'}:2" in captured.err
    assert "duplicate id 'kb-good'" in captured.err
    assert "is empty" in captured.err and "not valid UTF-8" in captured.err
    assert "added 2" in captured.out  # kb-good and kb-j1 landed
    catalog = Catalog(store / "catalog.sqlite3")
    assert set(catalog.hashes("kb")) == {"kb-good", "kb-j1"}

    # A failed file must not make already-indexed documents look deleted.
    (kb / "good.md").unlink()
    (kb / "bad.jsonl").write_text("{still broken\n")
    assert ingest_kb.run(["--kb", str(kb), "--store", str(store), "--no-progress"]) == 1
    assert set(catalog.hashes("kb")) >= {"kb-j1"}
    catalog.close()


def test_an_interrupted_write_is_repaired_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_files: object,
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for i in range(3):
        (kb / f"a{i}.md").write_text(f"# Article {i}\n\nHow to do thing number {i}.")
    store = tmp_path / "store"
    assert ingest_kb.run(["--kb", str(kb), "--store", str(store), "--no-progress"]) == 0
    # Simulate a crash after Chroma was written but before the catalog was: a vector the
    # catalog does not know, a document whose hash was never recorded, the pending flag set.
    catalog = Catalog(store / "catalog.sqlite3")
    catalog.delete_documents("kb", ["a1"])
    catalog.set_meta("pending", "1")
    catalog.close()
    assert ingest_kb.run(["--kb", str(kb), "--store", str(store), "--no-progress"]) == 0
    assert "added 1, updated 0, unchanged 2" in summary(capsys)
    catalog = Catalog(store / "catalog.sqlite3")
    assert catalog.get_meta("pending") == "0"
    assert set(catalog.hashes("kb")) == {"a0", "a1", "a2"}
    catalog.close()


def test_tickets_with_column_mapping_and_unknown_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_files: object,
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Ticket ID,Title,Description,Reply,Type\n"
                      "1,Export,CSV export fails,Use the JSON export,bug\n"
                      "2,請求書,請求書払いはできますか,できます,billing\n")
    store = tmp_path / "store"
    code = ingest_kb.run(["--tickets", str(export), "--store", str(store), "--no-progress",
                          "--ticket-columns",
                          "id=Ticket ID,subject=Title,body=Description,resolution=Reply,tag=Type"])
    captured = capsys.readouterr()
    assert code == 0  # an unknown tag is a warning: the ticket is still indexed
    assert "tag 'billing' is not in the taxonomy" in captured.err
    assert "tickets: added 2" in captured.out
    record = Catalog(store / "catalog.sqlite3").document("ticket", "2")
    assert record is not None and record["language"] == "ja" and record["resolution"] == "できます"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert ingest_kb.run([]) == 2
    assert ingest_kb.run(["--tickets", str(tmp_path / "t.csv"), "--ticket-columns", "nope=x"]) == 2
    bad = tmp_path / "tax.yaml"
    bad.write_text(json.dumps({"tags": []}))
    assert ingest_kb.run(["--kb", str(tmp_path), "--taxonomy", str(bad)]) == 2


def test_rebuild_refuses_a_shared_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KOTAE_CATALOG", "database")
    store = tmp_path / "store"
    assert ingest_kb.run(["--kb", str(DEMO / "kb"), "--store", str(store), "--rebuild"]) == 2
    assert "KOTAE_CATALOG=database" in capsys.readouterr().err
    assert not store.exists()  # nothing was touched


def test_rebuild_drops_the_index_and_keeps_the_operational_database_beside_it(
    tmp_path: Path, model_files: object,
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text("---\nid: kb-a\ntitle: A\n---\nInvite people from Members.")
    store = tmp_path / "store"
    store.mkdir()
    database = Database.open(default_database_url(store))  # where the API keeps it by default
    database.migrate()
    with database.session() as session:
        key_store.sync_env_keys(session, [("agent", "0" * 64)])
    database.close()
    args = ["--kb", str(kb), "--store", str(store), "--no-progress"]
    assert ingest_kb.run([*args, "--rebuild"]) == 0  # a folder holding only the database
    (kb / "a.md").unlink()
    (kb / "b.md").write_text("---\nid: kb-b\ntitle: B\n---\nExport a project as CSV.")
    # In a process of its own: embedded Chroma keeps a client per folder for the process's life.
    rebuilt = subprocess.run([sys.executable, "ingest_kb.py", *args, "--rebuild", "--keep-missing"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "kb: added 1" in rebuilt.stdout
    assert set(Catalog(store / "catalog.sqlite3").hashes("kb")) == {"kb-b"}  # kb-a dropped
    with sqlite3.connect(store / "kotae.sqlite3") as kept:
        assert kept.execute("select count(*) from api_keys").fetchone() == (1,)
