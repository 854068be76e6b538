"""Measure Kotae: replay labelled cases through the agent, score, report, gate."""
