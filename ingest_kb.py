"""Load a knowledge base and past tickets into Kotae's index.

Examples:
  python ingest_kb.py --kb data/demo/kb --tickets data/demo/tickets.jsonl \\
      --taxonomy data/demo/taxonomy.yaml --store var/store
  python ingest_kb.py --tickets zendesk.csv --ticket-columns "body=Description,id=Ticket ID"

Re-running is cheap: unchanged documents are skipped, changed ones re-indexed, and documents
no longer in --kb (tickets no longer in --tickets) deleted. Exit status: 0 when everything
landed, 1 when some inputs were rejected (the rest landed), 2 for a usage or set-up error.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from errors import KotaeError
from retrieval.indexer import Indexer, SourceReport, SyncReport
from retrieval.loaders import (
    TaxonomyError,
    load_knowledge_base,
    load_taxonomy,
    load_tickets,
    parse_column_map,
)
from retrieval.store import KnowledgeStore
from retrieval.types import Problem
from settings import DATABASE_FILE, load_settings


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="ingest_kb.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kb", type=Path, help="knowledge base: a directory or one file")
    parser.add_argument("--tickets", type=Path, help="past tickets: .csv or .jsonl")
    parser.add_argument("--taxonomy", type=Path, help="tags: .yaml or .json (default: "
                        "bug, usage_question, success_opportunity)")
    parser.add_argument("--store", type=Path, help="index folder (default: KOTAE_STORE_DIR "
                        "or var/store)")
    parser.add_argument("--ticket-columns", metavar="MAP",
                        help="map export columns to ticket fields, e.g. "
                        "'id=Ticket ID,body=Description,resolution=Public reply'")
    parser.add_argument("--max-file-mb", type=float, default=50.0,
                        help="reject input files larger than this many MiB (default 50)")
    parser.add_argument("--max-tokens", type=int, default=180,
                        help="chunk size in tiktoken tokens (default 180)")
    parser.add_argument("--keep-missing", action="store_true",
                        help="do not delete indexed documents that are not in this input")
    parser.add_argument("--rebuild", action="store_true",
                        help="drop the existing index first, keeping the operational database "
                        f"({DATABASE_FILE}) if it lives in the store folder (not needed after "
                        "changing KOTAE_EMBEDDER: a store made with another model is re-embedded)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show progress bars (default: on long runs in a terminal)")
    return parser


def empty_store(store_dir: Path) -> None:
    """Delete the index in a store folder, keeping the operational database that may live there.

    The database (settings.DATABASE_FILE, with its -wal, -shm and lock files) holds inquiries
    and escalations, which no re-ingest can bring back.
    """
    for entry in store_dir.iterdir():
        if entry.name.startswith(DATABASE_FILE):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def run(argv: Sequence[str] | None = None) -> int:
    """Run an ingestion and return the exit status."""
    args = build_parser().parse_args(argv)
    if args.kb is None and args.tickets is None:
        print("ingest_kb.py: nothing to do: pass --kb and/or --tickets", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        columns = parse_column_map(args.ticket_columns)
        taxonomy = load_taxonomy(args.taxonomy) if args.taxonomy else None
        overrides = {"store_dir": args.store} if args.store else {}
        settings = load_settings(**overrides)
    except (ValueError, TaxonomyError, KotaeError) as exc:
        print(f"ingest_kb.py: {exc}", file=sys.stderr)
        return 2

    store_dir = settings.store.path
    if args.rebuild and settings.catalog == "database":
        print("ingest_kb.py: --rebuild empties a store folder, and with KOTAE_CATALOG=database "
              "the index lives in the database and on the Chroma server, which every host "
              "shares; re-run without --rebuild (unchanged documents are skipped, missing "
              "ones deleted)", file=sys.stderr)
        return 2
    if args.rebuild and store_dir.exists():
        index = [e for e in store_dir.iterdir() if not e.name.startswith(DATABASE_FILE)]
        if index and not (store_dir / "catalog.sqlite3").exists():
            print(f"ingest_kb.py: refusing to --rebuild {store_dir}: it is not a Kotae store",
                  file=sys.stderr)
            return 2
        empty_store(store_dir)

    max_bytes = int(args.max_file_mb * 1024 * 1024)
    report = SyncReport()
    try:
        store = KnowledgeStore.open(settings.store)
        indexer = Indexer(store, settings.embedder_factory(), embedder_name=settings.embedder_name,
                          vector_languages=settings.embedder_languages,
                          max_tokens=args.max_tokens, progress=args.progress)
        if taxonomy is not None:
            store.save_taxonomy(taxonomy)
        known_tags = set((taxonomy or store.taxonomy()).names)
        if args.kb is not None:
            loaded = load_knowledge_base(args.kb, max_file_bytes=max_bytes)
            report.problems += loaded.problems
            report.sources["kb"] = _sync(indexer, "kb", loaded.documents, loaded.problems,
                                         delete=not args.keep_missing)
        if args.tickets is not None:
            tickets = load_tickets(args.tickets, columns=columns, max_file_bytes=max_bytes)
            report.problems += tickets.problems
            for ticket in tickets.tickets:
                if ticket.tag and ticket.tag not in known_tags:
                    report.problems.append(Problem(
                        ticket.origin, f"tag {ticket.tag!r} is not in the taxonomy "
                        f"({', '.join(sorted(known_tags))}); the ticket is indexed but not used "
                        "to learn tagging", "fix the tag or add it to --taxonomy",
                        severity="warning"))
            report.sources["tickets"] = _sync(indexer, "ticket", tickets.tickets,
                                              tickets.problems, delete=not args.keep_missing)
    except KeyboardInterrupt:
        print("ingest_kb.py: interrupted; the index is consistent, re-run to finish",
              file=sys.stderr)
        return 130
    except KotaeError as exc:
        print(f"ingest_kb.py: {exc}", file=sys.stderr)
        return 2
    report.seconds = time.perf_counter() - started
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _sync(indexer: Indexer, source: str, items: Sequence[object], problems: list[Problem],
          *, delete: bool) -> SourceReport:
    # A file that failed to load must not make its documents look deleted: when the input had
    # errors, only the documents that were read are synced and nothing is deleted.
    errors = [p for p in problems if p.severity == "error"]
    result = indexer.sync(source, items, delete_missing=delete and not errors)  # type: ignore[arg-type]
    result.failed = len(errors)
    return result


if __name__ == "__main__":
    sys.exit(run())
