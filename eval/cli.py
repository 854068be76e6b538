"""`python -m eval`: replay labelled cases through the agent, score, report, compare and gate.

Examples:
  python -m eval run cases.jsonl --kb kb/ --tickets tickets.jsonl --taxonomy tags.yaml --out reports/x
  python -m eval run cases.jsonl --out reports/live        # against the configured store
  python -m eval compare reports/before reports/after --html reports/ab.html
  python -m eval gate reports/x                            # exit 1 below eval/thresholds.json
  python -m eval demo --out reports/demo                   # the demo eval + gate (CI)
  python -m eval helpcenter --out reports/helpcenter       # the help-centre set + its gate (CI)
  python -m eval injection                                 # prompt-injection eval + gate (CI)
  python -m eval public clinc150 --out reports/clinc150 --limit 1000
  python -m eval public hint3 --data-dir HINT3_CLONE --version v1   # three bots vs 2020 platforms
  python -m eval calibrate --set demo --target 0.05 --write   # choose the answer threshold
  python -m eval calibrate --history --write --policy my_policy.yaml  # from past tickets alone

Exit status: 0 done (gate passed), 1 gate failed, 2 usage or set-up error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from errors import KotaeError
from eval.calibrate import DEFAULT_TARGET, calibrate, history_rows, write_policy
from eval.calibrate import as_json as calibration_json
from eval.calibrate import report as calibration_report
from eval.cases import load_cases
from eval.compare import RunDirError, compare_runs, comparison_html, render_comparison
from eval.gate import DEFAULT_THRESHOLDS, ThresholdsError, check_gate, load_thresholds
from eval.injection import add_arguments as add_injection_arguments
from eval.injection import cmd_injection
from eval.report import HEADLINE, fmt, shown
from eval.results import RunResult
from eval.riskcoverage import Row, rows_from_results
from eval.runner import (
    DEFAULT_CACHE,
    ROOT,
    Corpus,
    RunSpec,
    evaluate,
    load_corpus,
    write_run,
)
from eval.scorers import round_floats
from retrieval.loaders import TaxonomyError
from settings import Settings, load_settings

DEMO = ROOT / "data" / "demo"
HELPCENTER = ROOT / "data" / "helpcenter"
HELPCENTER_THRESHOLDS = Path(__file__).with_name("thresholds_helpcenter.json")


class UsageError(Exception):
    """Bad arguments; the message says what to change."""


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", type=Path, help="escalation policy YAML (default: "
                        "KOTAE_POLICY_PATH or the built-in policy; for `demo`, "
                        "data/demo/policy.yaml)")
    parser.add_argument("--mode", choices=("offline", "llm"), default="offline",
                        help="offline (default; deterministic) or llm (needs OPENAI_API_KEY)")
    parser.add_argument("--out", type=Path, help="folder for metrics.json, cases.jsonl, "
                        "run.json, report.html, report.md (default: reports/<command>-<time>)")
    parser.add_argument("--limit", type=int, metavar="N", help="run only N cases")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, metavar="DIR",
                        help="reuse indexes built from identical data and remembered text "
                        f"vectors (default {DEFAULT_CACHE}); results are identical either way")
    parser.add_argument("--no-cache", dest="cache", action="store_const", const=None,
                        help="build everything from scratch")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show progress bars (default: when writing to a terminal)")
    parser.add_argument("--judge", action="store_true",
                        help="also grade answers with an LLM judge (needs OPENAI_API_KEY)")
    parser.add_argument("--judge-model", metavar="NAME",
                        help="chat model for the judge (default: KOTAE_CHAT_MODEL)")


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="replay a case file through the agent and score it")
    run.add_argument("cases", type=Path, help="eval cases, JSONL")
    run.add_argument("--kb", type=Path, help="knowledge base (directory or file) for a "
                     "throwaway index")
    run.add_argument("--tickets", type=Path, help="past tickets (.jsonl or .csv) for a "
                     "throwaway index")
    run.add_argument("--taxonomy", type=Path, help="tags (.yaml or .json) for the throwaway "
                     "index (default: bug, usage_question, success_opportunity)")
    _add_common(run)

    compare = commands.add_parser("compare", help="metric deltas and flipped cases, A to B")
    compare.add_argument("run_a", type=Path)
    compare.add_argument("run_b", type=Path)
    compare.add_argument("--all", action="store_true", help="list unchanged metrics too")
    compare.add_argument("--json", type=Path, metavar="FILE", help="also write the comparison")
    compare.add_argument("--html", type=Path, metavar="FILE",
                         help="also write both runs' risk-coverage curves on one chart")

    gate = commands.add_parser("gate", help="fail (exit 1) when a metric misses its threshold")
    gate.add_argument("run_dir", type=Path)
    gate.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS)

    demo = commands.add_parser("demo", help="run the demo eval offline, then the gate")
    demo.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS)
    _add_common(demo)

    helpcenter = commands.add_parser(
        "helpcenter", help="run the help-centre set (data/helpcenter) offline, then its gate")
    helpcenter.add_argument("--thresholds", type=Path, default=HELPCENTER_THRESHOLDS)
    _add_common(helpcenter)
    injection = commands.add_parser("injection", help="the prompt-injection eval and its gate")
    add_injection_arguments(injection)

    calibrate = commands.add_parser(
        "calibrate", help="choose the answer threshold for a target wrong-answer rate",
        description="Replay labelled cases and/or the store's own past tickets, fit how likely "
        "an answer is right, and choose the threshold that answers the most inquiries while "
        "keeping the wrong-answer rate within --target. Prints what to expect; --write puts "
        "the result into the policy file (the API reloads it without a restart).")
    calibrate.add_argument("cases", type=Path, nargs="?", help="labelled eval cases, JSONL")
    calibrate.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME",
                           help="a data set shipped in data/ (demo, helpcenter): its knowledge "
                           "base, tickets, cases and policy; repeat to pool several")
    calibrate.add_argument("--kb", type=Path, help="knowledge base for a throwaway index")
    calibrate.add_argument("--tickets", type=Path, help="past tickets for a throwaway index")
    calibrate.add_argument("--taxonomy", type=Path, help="taxonomy for a throwaway index")
    calibrate.add_argument("--history", action="store_true",
                           help="also learn from the store's own past tickets (each replayed "
                           "against the others); with no cases, from them alone")
    calibrate.add_argument("--target", type=float, default=DEFAULT_TARGET, metavar="RATE",
                           help=f"wrong-answer rate to stay within (default {DEFAULT_TARGET})")
    calibrate.add_argument("--write", action="store_true",
                           help="write the result into the policy file (--policy, or the set's "
                           "own policy.yaml)")
    _add_common(calibrate)

    public = commands.add_parser("public", help="convert a public dataset and run it")
    public.add_argument("dataset", choices=("banking77", "clinc150", "stackfaq", "hint3"))
    public.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding banking77/, clinc150/, stackfaq/ (default: "
                        "../shared/datasets next to the repository); for hint3 a clone of "
                        "github.com/hellohaptik/HINT3 (dataset/, results/, preds/) or the "
                        "folder holding it as hint3/")
    public.add_argument("--bot", choices=("sofmattress", "curekart", "powerplay11"),
                        action="append", help="hint3: the bot to run (repeatable; default all "
                        "three, each in its own subfolder of --out)")
    public.add_argument("--version", choices=("v1", "v2"), default="v1",
                        help="hint3: the dataset version (v1, the paper's; v2, relabelled 2021)")
    public.add_argument("--subset", action="store_true",
                        help="hint3: learn from the subset train sets (v1 only)")
    public.add_argument("--train-per-class", type=int, metavar="N",
                        help="learn from only the first N training rows of each label "
                        "(few-shot)")
    _add_common(public)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {"mode": args.mode}
    if args.policy is not None:
        if not args.policy.is_file():
            raise UsageError(f"--policy {args.policy}: no such file")
        overrides["policy_path"] = args.policy
    settings = load_settings(**overrides)
    if args.judge and settings.openai_api_key is None:
        raise UsageError("--judge needs a model: set OPENAI_API_KEY (and OPENAI_BASE_URL for a "
                         "non-OpenAI endpoint), or drop --judge")
    return settings


def _out(args: argparse.Namespace, name: str) -> Path:
    if args.out is not None:
        return Path(args.out)
    return Path("reports") / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def _spec(args: argparse.Namespace, cases_path: Path, corpus: Corpus | None,
          sources: dict[str, str]) -> RunSpec:
    loaded = load_cases(cases_path)
    for problem in loaded.problems:
        print(problem, file=sys.stderr)
    cases = loaded.cases[: args.limit] if args.limit is not None else loaded.cases
    if not cases:
        raise UsageError(f"{cases_path}: no usable cases")
    settings = _settings(args)
    return RunSpec(cases=cases, settings=settings, corpus=corpus, cache=args.cache,
                   progress=args.progress, problems=loaded.problems,
                   judge_model=(args.judge_model or settings.chat_model) if args.judge else None,
                   sources={"cases": str(cases_path), **sources})


def _finish(run: RunResult, out: Path) -> None:
    write_run(out, run)
    for line in summary_lines(run):
        print(line)
    print(f"wrote {out}/metrics.json, cases.jsonl, run.json, report.html, report.md")


def summary_lines(run: RunResult) -> list[str]:
    """Return the headline figures as aligned lines."""
    m = run.metrics
    lines = []
    for title, section, key in HEADLINE:
        value = m.get(section, {}).get(key)
        if not shown(section, key, value):
            continue
        lines.append(f"  {title:<22} {fmt(value)}")
    seconds = run.meta.get("seconds", {})
    lines.append(f"  {'seconds':<22} {fmt(seconds.get('total_s'))} (index "
                 f"{fmt(seconds.get('index_s'))}, agent {fmt(seconds.get('agent_s'))}, cases "
                 f"{fmt(seconds.get('cases_s'))})")
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    """Replay a case file."""
    if args.taxonomy is not None and args.kb is None and args.tickets is None:
        raise UsageError("--taxonomy goes with --kb/--tickets (the configured store keeps the "
                         "taxonomy it was ingested with)")
    corpus = None
    sources: dict[str, str] = {}
    if args.kb is None and args.tickets is None:
        settings = _settings(args)
        if settings.chroma_host is None and not (settings.store_dir / "catalog.sqlite3").exists():
            raise UsageError(f"no store at {settings.store_dir}: pass --kb/--tickets for a "
                             "throwaway index, or ingest first (ingest_kb.py) and set "
                             "KOTAE_STORE_DIR")
        sources = {"store": str(settings.store_dir)}
    else:
        for flag, path in (("--kb", args.kb), ("--tickets", args.tickets),
                           ("--taxonomy", args.taxonomy)):
            if path is not None and not path.exists():
                raise UsageError(f"{flag} {path}: no such file or directory")
        corpus = load_corpus(args.kb, args.tickets, args.taxonomy)
        _report_data_problems(corpus)
        sources = corpus.sources
    spec = _spec(args, args.cases, corpus, sources)
    run = evaluate(spec)
    _finish(run, _out(args, "run"))
    return 0


def _report_data_problems(corpus: Corpus) -> None:
    for problem in corpus.problems:
        print(problem, file=sys.stderr)
    if not corpus.documents and not corpus.tickets:
        raise UsageError("the knowledge base and tickets given hold nothing to index")


def cmd_compare(args: argparse.Namespace) -> int:
    """Print metric deltas and flipped cases."""
    comparison = compare_runs(args.run_a, args.run_b)
    sys.stdout.write(render_comparison(comparison, show_all=args.all))
    if args.json is not None:
        args.json.write_text(json.dumps(comparison.to_json(), indent=2, ensure_ascii=False)
                             + "\n", encoding="utf-8")
    if args.html is not None:
        if not comparison.has_curves:
            raise UsageError("--html draws the runs' risk-coverage curves, and "
                             f"{args.run_a if comparison.risk[0] is None else args.run_b} has "
                             "none: re-run it with this version of `python -m eval`")
        args.html.write_text(comparison_html(comparison), encoding="utf-8")
        print(f"wrote {args.html}")
    return 0


def gate_dir(run_dir: Path, thresholds_path: Path) -> int:
    """Check a run folder against thresholds; print the verdict; return the exit status."""
    thresholds = load_thresholds(thresholds_path)
    try:
        metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"{run_dir}/metrics.json: {exc}; pass the --out folder of a run") from exc
    failures, checks = check_gate(metrics, thresholds)
    if failures:
        print(f"gate FAILED: {len(failures)} of {checks} checks ({thresholds_path})")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print(f"gate passed: {checks} checks ({thresholds_path})")
    return 0


def cmd_gate(args: argparse.Namespace) -> int:
    """Check a run against the thresholds."""
    return gate_dir(args.run_dir, args.thresholds)


def _gated(args: argparse.Namespace, name: str, folder: Path, cases: Path) -> int:
    """Run a data set shipped in data/ offline, write the run and gate it."""
    if args.mode != "offline":
        raise UsageError(f"the {name} gate is defined for --mode offline")
    if args.policy is None and (folder / "policy.yaml").exists():
        args.policy = folder / "policy.yaml"  # the product's own policy: the defaults plus its words
    corpus = load_corpus(folder / "kb", folder / "tickets.jsonl", folder / "taxonomy.yaml")
    _report_data_problems(corpus)
    out = args.out or Path("reports") / name
    run = evaluate(_spec(args, cases, corpus, corpus.sources))
    _finish(run, out)
    return gate_dir(out, args.thresholds)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo eval offline and gate it."""
    return _gated(args, "demo", DEMO, DEMO / "eval" / "cases.jsonl")


def cmd_helpcenter(args: argparse.Namespace) -> int:
    """Run the help-centre set offline and gate it."""
    return _gated(args, "helpcenter", HELPCENTER, HELPCENTER / "cases.jsonl")


def cmd_public(args: argparse.Namespace) -> int:
    """Convert a public dataset and run it."""
    from eval.public import DEFAULT_DATASETS, DatasetError, load_public, oos_curve, write_public

    root = args.data_dir or DEFAULT_DATASETS
    if args.dataset == "hint3":
        return _public_hint3(args, root)
    try:
        data = load_public(args.dataset, root, limit=args.limit,
                           train_per_class=args.train_per_class)
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc
    out = _out(args, args.dataset)
    write_public(data, out / "data")
    print(f"{args.dataset}: {len(data.documents)} documents, {len(data.tickets)} tickets, "
          f"{len(data.taxonomy.tags)} tags, {len(data.cases)} cases (written to {out}/data)")
    corpus = Corpus(documents=data.documents, tickets=data.tickets, taxonomy=data.taxonomy,
                    sources={"dataset": args.dataset, "data": str(root)})
    settings = _settings(args)
    spec = RunSpec(cases=data.cases, settings=settings, corpus=corpus,
                   cache=args.cache, progress=args.progress,
                   judge_model=(args.judge_model or settings.chat_model) if args.judge else None,
                   sources=corpus.sources)
    run = evaluate(spec)
    if args.dataset in ("clinc150", "banking77"):
        run.metrics["oos_curve"] = round_floats(oos_curve(run.results))
    run.meta["published"] = data.notes
    if args.train_per_class is not None:
        run.meta["train_per_class"] = args.train_per_class
    _finish(run, out)
    if "oos_curve" in run.metrics:
        curve = run.metrics["oos_curve"]
        best = curve["best_balanced"]
        if curve.get("agent_oos_recall") is not None:
            print(f"  out-of-scope: at t={best['threshold']:.2f} in-scope accuracy "
                  f"{best['in_scope_accuracy']:.3f}, out-of-scope recall {best['oos_recall']:.3f}")
        if curve.get("agent_in_scope_answered_right") is not None:
            oos = curve.get("agent_oos_recall")
            print(f"  through the agent: in-scope answered with the right intent "
                  f"{curve['agent_in_scope_answered_right']:.3f}"
                  + (f", out-of-scope escalated {oos:.3f}" if oos is not None else ""))
            print(f"  through the agent: deflection {curve['agent_deflection']:.3f}, answers "
                  f"with the wrong intent {curve['agent_wrong_intent_rate'] or 0.0:.3f}, "
                  f"accuracy {curve['agent_accuracy']:.3f}, MCC {curve['agent_mcc'] or 0.0:.3f}")
    print(f"  published: {data.notes}")
    return 0


def _public_hint3(args: argparse.Namespace, root: Path) -> int:
    """Run HINT3's bots through the whole agent and print them next to the platforms'."""
    from eval.public import (
        HINT3_BOTS,
        DatasetError,
        load_hint3,
        oos_curve,
        platform_figures,
        write_public,
    )

    bots = args.bot or list(HINT3_BOTS)
    version = f"{args.version}{' subset' if args.subset else ''}"
    out = _out(args, f"hint3-{args.version}{'-subset' if args.subset else ''}")
    table: list[tuple[str, dict[str, Any], dict[str, dict[str, Any]]]] = []
    for bot in bots:
        try:
            data = load_hint3(root, bot, version=args.version, subset=args.subset,
                              limit=args.limit)
            platforms = platform_figures(root, bot, version=args.version, subset=args.subset)
        except DatasetError as exc:
            raise UsageError(str(exc)) from exc
        folder = out / bot if len(bots) > 1 else out
        write_public(data, folder / "data")
        print(f"hint3 {bot} {version}: {len(data.tickets)} tickets, {len(data.taxonomy.tags)} "
              f"intents, {len(data.cases)} cases")
        corpus = Corpus(documents=[], tickets=data.tickets, taxonomy=data.taxonomy,
                        sources={"dataset": f"hint3/{bot}", "version": version,
                                 "data": str(root)})
        settings = _settings(args)
        run = evaluate(RunSpec(cases=data.cases, settings=settings, corpus=corpus,
                               cache=args.cache, progress=args.progress, sources=corpus.sources))
        curve = round_floats(oos_curve(run.results))
        run.metrics["oos_curve"] = curve
        run.metrics["hint3_platforms"] = round_floats(platforms)
        run.meta["published"] = data.notes
        _finish(run, folder)
        table.append((bot, curve, platforms))
    print(f"\nHINT3 {version}: out of scope (NO_NODES_DETECTED) counted as a class; a platform "
          "at its best threshold for MCC, chosen on the test set (t=0.1 in brackets)")
    print(f"  {'bot':<12} {'system':<11} {'acc':>6} {'MCC':>6} {'in-sc':>6} {'oos-r':>6} "
          f"{'defl':>6}")
    for bot, curve, platforms in table:
        print(f"  {bot:<12} {'kotae':<11} {curve['agent_accuracy']:>6.3f} "
              f"{curve['agent_mcc'] or 0.0:>6.3f} {curve['agent_in_scope_answered_right']:>6.3f} "
              f"{curve['agent_oos_recall']:>6.3f} {curve['agent_deflection']:>6.3f}")
        for name, fig in platforms.items():
            b, low = fig["best"], fig["at_0.1"]
            print(f"  {'':<12} {name:<11} {b['accuracy']:>6.3f} {b['mcc']:>6.3f} "
                  f"{b['in_scope_accuracy']:>6.3f} {b['oos_recall']:>6.3f} {b['deflection']:>6.3f}"
                  f"  t={b['threshold']:.1f} ({low['accuracy']:.3f} / {low['mcc']:.3f})")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the answer decision to labelled cases and/or the store's history."""
    if not 0.0 <= args.target < 1.0:
        raise UsageError(f"--target {args.target}: give a wrong-answer rate from 0 to 1")
    if args.cases is None and not args.sets and not args.history:
        raise UsageError("nothing to calibrate on: give a case file, --set NAME, or --history")
    rows: list[Row] = []
    cases = 0
    used: dict[str, object] = {}
    jobs: list[tuple[str, Path | None, Corpus | None, Path | None]] = []
    for name in args.sets:
        folder = ROOT / "data" / name
        if not folder.is_dir():
            raise UsageError(f"--set {name}: no data/{name} folder")
        found = [p for p in (folder / "eval" / "cases.jsonl", folder / "cases.jsonl") if p.exists()]
        policy = folder / "policy.yaml"
        jobs.append((name, found[0] if found else None,
                     load_corpus(folder / "kb", folder / "tickets.jsonl", folder / "taxonomy.yaml"),
                     policy if policy.exists() else None))
    if args.cases is not None or (args.history and not args.sets):
        corpus = (load_corpus(args.kb, args.tickets, args.taxonomy)
                  if args.kb is not None or args.tickets is not None else None)
        jobs.append((str(args.cases or "history"), args.cases, corpus, None))
    target = args.policy or (jobs[0][3] if len(jobs) == 1 else None)
    if args.write and target is None:
        raise UsageError("--write needs --policy FILE: which policy file to write into")
    for name, cases_path, _corpus, _policy in jobs:
        if cases_path is None and not args.history:
            raise UsageError(f"--set {name}: data/{name} has no eval/cases.jsonl; add --history "
                             "to learn from its past tickets")
    for name, cases_path, corpus, policy in jobs:
        # a set runs with its own policy; --policy is the file to write (and the run's otherwise)
        job_args = argparse.Namespace(**{**vars(args), "policy": policy or args.policy})
        if cases_path is not None:
            run = evaluate(_spec(job_args, cases_path, corpus, corpus.sources if corpus else {}))
            found_rows = rows_from_results(run.results)
            rows += [replace(r, case_id=f"{name}:{r.case_id}") for r in found_rows]
            cases += run.metrics["cases"]["total"]
            used[name] = {"cases": _shown_path(cases_path), "rows": len(found_rows)}
        if args.history:
            found, replayed = _history(job_args, corpus)
            rows += [replace(r, case_id=f"{name}:history:{r.case_id}") for r in found]
            cases += replayed
            used[f"{name} history"] = {"tickets": replayed, "rows": len(found)}
    if not rows:
        raise UsageError("no inquiry in the data was decided by the answer threshold (each was "
                         "escalated by a guard, found no source, or had no expected action): "
                         "nothing to calibrate on; give cases with `expected_action`, or "
                         "--history with resolved tickets")
    settings = _settings(args)
    embedder_name = settings.embedder_name
    result = calibrate(rows, target=args.target, cases=cases, embedder=embedder_name,
                       sources=used)
    print(calibration_report(result, cases))
    out = _out(args, "calibrate")
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration.json").write_text(json.dumps(calibration_json(result, cases), indent=2),
                                          encoding="utf-8")
    with (out / "rows.jsonl").open("w", encoding="utf-8") as rows_file:
        for record in result.row_records():
            rows_file.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {out}/calibration.json, rows.jsonl")
    if args.write:
        assert target is not None  # checked before any work
        if write_policy(target, result):
            print(f"wrote the {result.method} into {target}")
        else:
            print(f"{target} already holds this calibration: left as it is")
    return 0


def _shown_path(path: Path) -> str:
    """Return a path as the policy's evidence records it: relative to the project if inside.

    An absolute path would differ between clones, and the file with it.
    """
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _history(args: argparse.Namespace, corpus: Corpus | None) -> tuple[list[Row], int]:
    """Replay the past tickets of a throwaway index of `corpus`, or of the configured store."""
    from agent.factory import build_agent
    from eval.runner import close_store, throwaway_store
    from retrieval.store import KnowledgeStore

    settings = _settings(args)
    embedder = settings.embedder_factory()()
    if corpus is not None:
        with throwaway_store(corpus, embedder, cache=args.cache / "index" if args.cache else None,
                             progress=args.progress) as (store, _info):
            agent = build_agent(settings.model_copy(update={"store_dir": store.config.path}),
                                store=store, embedder=embedder)
            return history_rows(agent, store, limit=args.limit)
    store = KnowledgeStore.open(settings.store)
    try:
        return history_rows(build_agent(settings, store=store, embedder=embedder), store,
                            limit=args.limit)
    finally:
        close_store(store)


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "gate": cmd_gate, "demo": cmd_demo,
            "helpcenter": cmd_helpcenter, "public": cmd_public, "injection": cmd_injection,
            "calibrate": cmd_calibrate}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command and return the exit status."""
    args = build_parser().parse_args(argv)
    if getattr(args, "limit", None) is not None and args.limit < 1:
        print("python -m eval: --limit must be at least 1", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except (UsageError, RunDirError, ThresholdsError, TaxonomyError, KotaeError) as exc:
        print(f"python -m eval {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("python -m eval: interrupted", file=sys.stderr)
        return 130

