"""The demo policy with its answer decision pinned to the fixed grounding rule.

The demo policy's answerability model is refitted (`eval calibrate --set demo --write`), and each
new fit moves which borderline questions are answered. Tests of what an answer looks like and does
(a Japanese question answered from an English article, the widget showing sources, a CSM
seeing the signal of an answered upsell) pin the rule they were written against, so that a
recalibration changes the demo eval's figures, which its gate checks, and not these tests.
"""

from __future__ import annotations

from pathlib import Path

from eval.calibrate import Calibration, write_policy
from eval.riskcoverage import Point

DEMO_POLICY = Path(__file__).resolve().parents[2] / "data" / "demo" / "policy.yaml"
GROUNDING_RULE = 0.5  # the default policy's answer_min_confidence


def demo_policy_with_grounding_rule(folder: Path) -> Path:
    """Write the demo policy into `folder` without a fitted model; return its path."""
    path = folder / "policy.yaml"
    path.write_text(DEMO_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    rule = Calibration("grounding score", GROUNDING_RULE,
                       Point(GROUNDING_RULE, 0, 0, 0.0, 0.0), [], 0, 0, None, 0.0)
    write_policy(path, rule)
    return path
