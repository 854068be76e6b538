"""The layout is the architecture: no import circles, packages that say what they hold, a short api.py."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A module longer than this (lines of code: no blank lines, comments or docstrings) is two
# modules, unless splitting it would hurt reading; such exceptions are listed with why.
MAX_CODE_LINES = 600
LONG_ON_PURPOSE: dict[str, str] = {}
# Folders that are not the project's code (tests may import anything; data holds no code).
SKIP = {".venv", ".git", "tests", "data", "docs", "var", "reports", "build", "node_modules"}


def project_modules() -> dict[str, Path]:
    """Return every project module by dotted name (a package by its name, not `.__init__`)."""
    modules: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or any(part.startswith(".") for part in parts):
            continue
        names = list(parts[:-1]) + ([] if path.name == "__init__.py" else [path.stem])
        if names:
            modules[".".join(names)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Return the project modules a module imports, anywhere in it (late imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` names a module; `from module import name` does not.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in modules:  # a name inside a module: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Return who imports whom among project modules (a package's own __init__ left out)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # A module importing its own package's __init__ (or the reverse, an __init__
        # re-exporting its modules) is how a package presents itself, not a circle.
        graph[name] = {target for target in imports_of(name, path, modules)
                       if not (name.startswith(target + ".") or target.startswith(name + "."))}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_the_scan_sees_imports_and_circles() -> None:
    modules = project_modules()
    assert {"api", "agent.pipeline", "service.routes.inquiries", "storage.repo"} <= set(modules)
    assert {"service.routes", "service.settings"} <= imports_of("api", ROOT / "api.py", modules)
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_round_a_circle() -> None:
    found = circles(import_graph())
    assert found == [], "modules importing each other, round a circle:\n" + "\n".join(
        ", ".join(group) for group in found)


def test_every_package_says_in_one_line_what_lives_there() -> None:
    packages = [path for name, path in project_modules().items() if path.name == "__init__.py"]
    assert len(packages) >= 8
    unclear = []
    for path in packages:
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not docstring or "\n" in docstring.strip():
            unclear.append(str(path.relative_to(ROOT)))
    assert unclear == [], f"packages without a one-line docstring: {unclear}"


def code_lines(source: str) -> int:
    """Count the lines holding code: not blank, not only a comment, not a docstring."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip:
            lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in docstrings)
    return len(lines)


def test_code_lines_count_code_only() -> None:
    source = ('"""Doc.\n\nMore."""\n\n# why\nx = 1\n\n\n'
              'def f() -> str:\n    """Say."""\n    return (\n        "a"\n    )\n')
    assert code_lines(source) == 5  # x = 1, def, and the three lines of the return


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    long = {str(path.relative_to(ROOT)): count for path in project_modules().values()
            if (count := code_lines(path.read_text(encoding="utf-8"))) > MAX_CODE_LINES}
    assert set(long) <= set(LONG_ON_PURPOSE), (
        f"modules over {MAX_CODE_LINES} lines of code (split them, or list them in "
        f"LONG_ON_PURPOSE with why): {long}")


def test_api_py_is_a_page() -> None:
    lines = (ROOT / "api.py").read_text(encoding="utf-8").count("\n")
    assert lines < 150, f"api.py has {lines} lines; routes and wiring belong in service/"
