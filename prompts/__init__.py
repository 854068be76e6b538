"""Versioned prompt and answer templates, rendered by a strict loader."""

from prompts.loader import PromptError, PromptLibrary, Rendered, Template

__all__ = ["PromptError", "PromptLibrary", "Rendered", "Template"]
