"""bench/run.py, the LangChain comparison, on small inputs: it runs, and refuses bad options.

CI never runs the full benchmark (tens of minutes), so these keep the script from rotting:
each section runs end to end on tiny inputs, both languages' corpora included (the demo data
and the generated latency corpora hold English and Japanese), and bad options are refused
with a message before the model loads.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT, SHARED

SCRIPT = ROOT / "bench" / "run.py"
STACKFAQ = SHARED / "datasets" / "stackfaq" / "stackExchange-FAQ.json"


def bench(*args: str, timeout: float = 540) -> subprocess.CompletedProcess[str]:
    """Run the script as a user would; the model_files fixture has prepared its model. The
    time bound catches a hang (it shares the machine with another test worker), not speed."""
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout, check=False)


def row(output: str, figure: str) -> list[str]:
    """Return the cells of the table row whose first cell starts with `figure`."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith(figure):
            return cells
    raise AssertionError(f"no row {figure!r} in:\n{output}")


def number(cell: str) -> float:
    """Return a cell's median (the figure before any spread in brackets)."""
    match = re.match(r"[\d.]+", cell)
    assert match, cell
    return float(match.group())


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    """bench/run.py imported once (its options are checked in this process), then let go."""
    path, modules = list(sys.path), set(sys.modules)
    spec = importlib.util.spec_from_file_location("bench_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)  # puts bench/ on sys.path for its own imports
        yield module
    finally:
        sys.path[:] = path
        for name in {"bench_run", "baseline", "ingest_and_query", "stackfaq_retrieval"} - modules:
            sys.modules.pop(name, None)  # the script and the bench/ modules it imported


def test_reference_coverage_counts_search_terms_in_both_languages(script: ModuleType) -> None:
    from retrieval.textproc import Analyzer

    analyzer = Analyzer()

    def coverage(context: str, reference: str) -> float:
        return float(script.reference_coverage(context, reference, analyzer))

    # stemmed: "exports"/"exported" and "invoices"/"invoice" match; "monthly" is missing
    assert coverage("Exported invoices are emailed.", "Invoices export monthly by email") == \
        pytest.approx(3 / 4)
    # Sudachi-normalised Japanese: 請求書 and ダウンロード are there, 毎月 is not
    assert coverage("請求書は管理画面からダウンロードできます。",
                    "毎月の請求書をダウンロードしてください") == pytest.approx(2 / 3)
    assert coverage("", "") == 1.0  # nothing to find counts as found


@pytest.mark.parametrize(("args", "message"), [
    (["--skip", "stackfac"], "unknown section(s) stackfac; the sections are ingest, latency"),
    (["--sizes", "1k"], "--sizes takes positive whole numbers"),
    (["--sizes", "0"], "--sizes takes positive whole numbers"),
    (["--repeats", "0"], "--repeats must be at least 1"),
    (["--demo-cases", "0"], "--demo-cases must be at least 1"),
    (["--ingest-articles", "-3"], "--ingest-articles must be at least 1"),
    (["--price-out", "-0.6"], "USD per 1M tokens: numbers, not negative"),
    (["--price-in", "nan"], "USD per 1M tokens: numbers, not negative"),
    (["--sentences", "6-3"], "--sentences takes MIN-MAX"),
    (["--sizes", "1000,1000"], "--sizes lists 1000 twice"),
    (["--stackfaq-data", "/nonexistent/faq.json"],
     "no StackFAQ data at /nonexistent/faq.json: pass --stackfaq-data"),
])
def test_bad_options_are_refused_with_what_to_pass(
        script: ModuleType, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    monkeypatch.setattr(script, "make_embedder", lambda: pytest.fail("the model was loaded"))
    with pytest.raises(SystemExit) as exited:
        script.main()
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_ingest_and_demo_sections_with_a_configured_price(model_files: Any) -> None:
    """Ingest and re-ingest; recall, answer/escalate and the LLM-mode rows at a given price.

    On 8 of the demo articles and 40 of the demo cases, spread over both languages: the
    stock pipeline embeds its long chunks slowly, and the whole KB three times over took
    minutes of the test suite (the demo section still indexes the whole KB for both).
    """
    from eval.cases import load_cases
    from eval.public import spread

    result = bench("--skip", "latency,stackfaq", "--repeats", "1", "--llm-cases", "6",
                   "--price-in", "3", "--price-out", "0",
                   "--ingest-articles", "8", "--demo-cases", "40")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    cases = spread(load_cases(ROOT / "data" / "demo" / "eval" / "cases.jsonl").cases, 40)
    with_articles = sum(bool(c.relevant_ids) for c in cases)
    should_escalate = sum(c.expected_escalation for c in cases)
    assert 0 < should_escalate < len(cases) and {c.case_language for c in cases} >= {"en", "ja"}

    assert number(row(out, "first ingest, demo KB [chunks/s]")[1]) > 0
    assert "- demo KB: 8 articles; Kotae " in out
    same = row(out, "first ingest, demo KB (the same articles) [s]")
    assert number(same[3]) == pytest.approx(number(same[1]) / number(same[2]), abs=0.01)
    assert "chunks embedded: the model's languages" in out
    # An unchanged re-ingest skips every document: far under the 1/20 of the target, and the
    # ratio is printed so that it can be read (not as 0.00x).
    again = row(out, "re-ingest unchanged KB [ms]")
    times_faster = re.search(r"\(1/([\d,]+)\)", again[3])
    assert times_faster and int(times_faster.group(1).replace(",", "")) >= 20, again

    recall = row(out, f"demo-eval recall@5 [{with_articles} cases; baseline k=4")
    assert 0 < number(recall[1]) <= 1 and 0 < number(recall[2]) <= 1
    # The articles the agent weighs add the English ones for Japanese questions.
    from retrieval.crosslingual import glossary_file

    assert glossary_file() is not None, "run `make models`: it prepares the glossary"
    weighed = row(out, "demo-eval recall@5, the articles the agent weighs "
                 f"[{with_articles} cases;")
    assert number(recall[1]) < number(weighed[1]) <= 1 and weighed[2] == recall[2]
    assert 0 < number(row(out, "answer/escalate accuracy")[1]) <= 1
    # The baseline always answers, so every case that should escalate is a wrong answer.
    wrong = row(out, f"answered but should escalate [of 40 cases ({should_escalate} escalate)")
    assert number(wrong[2]) == should_escalate
    tokens = row(out, "prompt tokens per answered inquiry")
    assert "[6 cases;" in tokens[0] and tokens[4] == "≤ 0.6×"
    # The ratio is of the unrounded medians, printed to two decimals.
    assert number(tokens[3]) == pytest.approx(number(tokens[1]) / number(tokens[2]), abs=0.01)

    # What share of the reference answers' terms each pipeline's prompt carried
    cover = row(out, "reference-answer terms in the sources sent")
    assert re.match(r"[1-9]\d* answered cases with a reference", cover[0].split("[", 1)[1])
    assert 0 < number(cover[1]) <= 1 and 0 < number(cover[2]) <= 1

    # With output free, the cost of 1,000 inquiries is 1,000 x the prompt tokens per inquiry
    # at $3 per million.
    cost = row(out, "cost per 1,000 inquiries")
    assert cost[0].endswith("[USD, $3.00/1M in + $0.00/1M out]")
    per_inquiry = row(out, "prompt tokens per inquiry (all)")
    for column in (1, 2):
        assert number(cost[column]) == pytest.approx(
            1000 * number(per_inquiry[column]) * 3 / 1e6, rel=0.01)


def test_the_latency_and_stackfaq_sections(model_files: Any, tmp_path: Path) -> None:
    """Latency and memory per size with the plot; MAP on a small file in StackFAQ's format."""
    svg = tmp_path / "latency.svg"
    faq = tmp_path / "faq.json"
    faq.write_text(json.dumps({"root": {"qapair": [
        {"question": "Strikethrough text on GitHub?", "answer": ["Wrap it in ~~two tildes~~."],
         "rephr": ["crossed out text github", "how to strike through words", "*"]},
        {"question": "Undo the last git commit?", "answer": ["git reset --soft HEAD~1 keeps "
                                                               "the changes staged."],
         "rephr": ["revert my latest commit but keep changes"]},
        {"question": "Rename a local branch?", "answer": ["git branch -m old-name new-name"],
         "rephr": ["change the name of a branch"]},
    ]}}), encoding="utf-8")
    result = bench("--skip", "ingest,demo", "--stackfaq-data", str(faq),
                   "--sizes", "30,60", "--repeats", "2",
                   "--queries", "12", "--sentences", "1-2", "--svg", str(svg))
    assert result.returncode == 0, result.stderr[-3000:]
    for size in ("30", "60"):
        p50 = row(result.stdout, f"query p50 @ {size} [ms]")
        assert number(p50[1]) > 0 and number(p50[2]) > 0
        # Two repeats: the median is shown with its spread (min-max).
        assert re.search(r"\([\d.]+–[\d.]+\)", p50[1]), p50
        assert number(row(result.stdout, f"peak RSS @ {size} [MiB]")[1]) > 100
        assert number(row(result.stdout, f"ingest @ {size} [s]")[1]) > 0
        ready = row(result.stdout, f"first query after the ingest @ {size} [s; Kotae's "
                                   "includes building its BM25 and vector copies]")
        assert number(ready[1]) > 0 and number(ready[2]) > 0
    # The generated corpora are 80 % English, 20 % Japanese one-chunk articles.
    assert re.search(r"30 generated articles of 1-2 sentences: Kotae \d+ chunks, baseline \d+",
                     result.stdout)
    stackfaq = row(result.stdout, "StackFAQ MAP [4 queries, depth 20]")
    assert 0 < number(stackfaq[1]) <= 1 and 0 < number(stackfaq[2]) <= 1, stackfaq
    drawing = svg.read_text()
    # A point per size for each pipeline's p50 and p99: 2 x 2 x 2.
    assert drawing.startswith("<svg") and drawing.count("<circle") == 8


@pytest.mark.skipif(not STACKFAQ.is_file(), reason=f"StackFAQ is not at {STACKFAQ}")
def test_kotae_ranks_stackfaq_above_the_baseline(model_files: Any) -> None:
    """The public set with published results: Kotae's MAP is above the baseline's (issue 7).

    0.971 against 0.947 in every run so far. The data lives beside the checkout
    (../shared/datasets), not in it, so a clone without it skips this test.
    """
    result = bench("--skip", "ingest,latency,demo")
    assert result.returncode == 0, result.stderr[-3000:]
    stackfaq = row(result.stdout, "StackFAQ MAP [1249 queries, depth 20]")
    # Kotae above the stock pipeline on the same embedding model (the default, e5)
    assert 0.8 < number(stackfaq[2]) < number(stackfaq[1]) <= 1, stackfaq
