"""The triage agent: understand, retrieve, tag, decide, answer or escalate, raise signals."""
