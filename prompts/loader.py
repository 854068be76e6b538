"""Load templates from prompts/templates/*.md and render them strictly.

A template file starts with a front-matter block naming it and giving its version:

    ---
    name: triage_system
    version: 3
    ---
    Text with {{placeholders}}.

Rendering raises on a missing variable and on a variable the template does not use, so a
renamed placeholder can never silently produce "chat historyIt is OK" for the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from errors import ConfigError

TEMPLATE_DIR = Path(__file__).with_name("templates")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class PromptError(ConfigError):
    """A template is missing, malformed, or rendered with the wrong variables."""

    code = "prompt_error"


@dataclass(frozen=True)
class Rendered:
    """A rendered template and the version it came from."""

    name: str
    version: str
    text: str

    @property
    def tag(self) -> str:
        """Return name@version, recorded with every decision."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Template:
    """One template file."""

    name: str
    version: str
    body: str

    @property
    def variables(self) -> frozenset[str]:
        """Return the placeholders the template uses."""
        return frozenset(_PLACEHOLDER.findall(self.body))

    def render(self, **values: object) -> Rendered:
        """Fill every placeholder; refuse missing or unused values."""
        missing = self.variables - values.keys()
        unused = values.keys() - self.variables
        if missing or unused:
            raise PromptError(f"template {self.name}@{self.version}: missing {sorted(missing)}, "
                              f"unused {sorted(unused)}")
        text = _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.body)
        return Rendered(self.name, self.version, text.strip() + "\n")


class PromptLibrary:
    """All templates of a directory, by name."""

    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.templates: dict[str, Template] = {}
        for path in sorted(directory.glob("*.md")):
            text = path.read_text(encoding="utf-8")
            match = _FRONT.match(text)
            if not match:
                raise PromptError(f"{path}: no front matter with name and version")
            meta = yaml.safe_load(match.group(1)) or {}
            name, version = meta.get("name"), meta.get("version")
            if not name or version is None:
                raise PromptError(f"{path}: front matter needs name and version")
            if name in self.templates:
                raise PromptError(f"{path}: template name {name!r} is used twice")
            self.templates[str(name)] = Template(str(name), str(version), text[match.end():])

    def get(self, name: str) -> Template:
        """Return a template by name."""
        try:
            return self.templates[name]
        except KeyError:
            raise PromptError(f"no template named {name!r}; have {sorted(self.templates)}"
                              ) from None

    def render(self, name: str, **values: object) -> Rendered:
        """Render a template by name."""
        return self.get(name).render(**values)
