"""Calibration from history alone, checked on tickets it never saw.

The demo's past tickets are split 70/30 (by a seeded shuffle). The 70% are indexed with the
knowledge base and calibrated on with `eval calibrate --history`'s method (each replayed against
the others, labelled by whether the source found agrees with its own resolution), with no
hand-written case at all. The 30% are then asked as new inquiries against that index, labelled
the same way, and answered or escalated by the fitted model: the realised wrong-answer rate is
compared with the target.

    .venv/bin/python bench/calibration_holdout.py --target 0.10 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.factory import build_agent  # noqa: E402
from eval.calibrate import calibrate, history_rows, label_replay  # noqa: E402
from eval.runner import DEFAULT_CACHE, Corpus, load_corpus, throwaway_store  # noqa: E402
from settings import load_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Split, calibrate on history, measure on the held-out tickets; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--held-out", type=float, default=0.30)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="reuse the index of the kept tickets (default var/cache/eval)")
    parser.add_argument("--no-cache", dest="cache", action="store_const", const=None)
    parser.add_argument("--rows", type=Path, metavar="FILE",
                        help="also write the calibration and held-out rows (JSON)")
    args = parser.parse_args(argv)
    demo = ROOT / "data" / "demo"
    corpus = load_corpus(demo / "kb", demo / "tickets.jsonl", demo / "taxonomy.yaml")
    tickets = [t for t in corpus.tickets if t.resolution]
    rng = random.Random(args.seed)
    rng.shuffle(tickets)
    cut = round(len(tickets) * args.held_out)
    held, kept = tickets[:cut], tickets[cut:]
    kept_ids = {t.id for t in kept}
    train = Corpus(documents=corpus.documents,
                   tickets=[t for t in corpus.tickets if t.id in kept_ids or not t.resolution],
                   taxonomy=corpus.taxonomy, problems=[], sources=corpus.sources)
    settings = load_settings(mode="offline", policy_path=demo / "policy.yaml")
    embedder = settings.embedder_factory()()
    with throwaway_store(train, embedder, cache=args.cache / "index" if args.cache else None,
                         progress=False) as (store, _info):
        agent = build_agent(settings.model_copy(update={"store_dir": store.config.path}),
                            store=store, embedder=embedder)
        rows, replayed = history_rows(agent, store)
        fitted = calibrate(rows, target=args.target, cases=replayed, embedder=embedder.name,
                           sources={"history": f"{len(kept)} demo tickets"})
        print(f"calibrated on {replayed} kept tickets ({len(rows)} rows, "
              f"{sum(r.correct for r in rows)} answerable): {fitted.method}, threshold "
              f"{fitted.threshold:.4f}; expected wrong-answer rate "
              f"{fitted.expected.wrong_rate:.3f}, deflection {fitted.expected.deflection:.3f}")
        answered = wrong = asked = labelled = answerable = 0
        held_rows = []
        for ticket in held:
            row = label_replay(agent, store, ticket.id, ticket_text(ticket), ticket.language or "",
                               ticket.resolution or "")
            asked += 1
            if row is None:
                continue
            labelled += 1
            held_rows.append(row)
            answerable += row.correct
            score = (fitted.model.probability(row.features) if fitted.model is not None
                     else row.features.get("confidence", 0.0))
            if score >= fitted.threshold:
                answered += 1
                wrong += not row.correct
        rate = wrong / answered if answered else 0.0
        print(f"held out {asked} tickets: {labelled} decided by the threshold, {answerable} of "
              f"them answerable by the same labelling")
        print(f"held out {asked} tickets: answered {answered} ({answered / asked:.3f}), "
              f"wrong {wrong} ({rate:.3f}); target {args.target:.3f}; "
              f"|realised - target| = {abs(rate - args.target):.3f}")
        if args.rows is not None:
            args.rows.write_text(json.dumps({"calibration": [asdict(r) for r in rows],
                                             "held_out": [asdict(r) for r in held_rows]}),
                                 encoding="utf-8")
    return 0


def ticket_text(ticket: object) -> str:
    """Return what a ticket's customer wrote: its subject and body."""
    subject = getattr(ticket, "subject", "") or ""
    body = getattr(ticket, "body", "") or ""
    return f"{subject}\n{body}".strip()


if __name__ == "__main__":
    raise SystemExit(main())
