"""Imports point down: each package of evalcore may import only itself and the packages below it, the emulator stays
apart (evalcore starts it, lazily, from the application layer; it reads only AWS facts, text helpers and the protocols
the product defines for it), and no two modules import each other in a circle.

The imports are read from the source with `ast` (absolute and relative ones, at module level and inside functions),
so an import hidden in a function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("evalcore", "evalcore_emulator", "entrypoint")

# Top to bottom; a package may import only itself and packages with a larger number.
LAYERS = {
    "entrypoint": 1,
    "evalcore.app": 2,
    "evalcore.github": 3,
    "evalcore.runners": 4,
    "evalcore.metrics": 5,
    "evalcore.bedrock": 6,
    "evalcore.report": 7,
    "evalcore.engine": 8,
    "evalcore.domain": 9,
    "evalcore.suite": 10,
    "evalcore.aws_facts": 11,
    "evalcore.text": 12,
}
EVERYWHERE = {"evalcore"}  # evalcore/__init__.py: the version

# What evalcore may import of the emulator (only from evalcore.app, only inside a function): its start API.
EMULATOR_START_API = {"evalcore_emulator", "evalcore_emulator.command", "evalcore_emulator.world"}
# What the emulator may import of evalcore: AWS facts, text helpers, and the protocols the product defines for the
# emulator's personas to answer (the judge's and the agent evaluator's).
EMULATOR_MAY_READ_PACKAGES = ("evalcore.aws_facts", "evalcore.text")
EMULATOR_MAY_READ_PROTOCOLS = {
    "evalcore.bedrock.answer_protocol",
    "evalcore.metrics.judge_protocol",
    "evalcore.runners.agents.evaluator_protocol",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for top in SCANNED for path in sorted((ROOT / top).rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module level) for every import of a scanned package in the module's source.
    `from package import name` counts as importing `package.name` when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target.split(".")[0] in SCANNED:
                found.append((node.lineno, target, id(node) in top_level))
    return found


def _layer_of(module: str) -> tuple[str, int] | None:
    for package, layer in sorted(LAYERS.items(), key=lambda item: -len(item[0])):
        if module == package or module.startswith(package + "."):
            return package, layer
    return None


def _violation(importer: str, imported: str, at_module_level: bool) -> str | None:
    """Why this edge is forbidden, or None when it is allowed."""
    if imported in EVERYWHERE:
        return None
    importer_is_emulator = importer.split(".")[0] == "evalcore_emulator"
    imported_is_emulator = imported.split(".")[0] == "evalcore_emulator"
    if importer_is_emulator and imported_is_emulator:
        return None
    if importer_is_emulator:
        if imported in EMULATOR_MAY_READ_PROTOCOLS or imported.startswith(
            tuple(package + "." for package in EMULATOR_MAY_READ_PACKAGES)
        ):
            return None
        return "the emulator may read only aws_facts, text and the product's protocols"
    if imported_is_emulator:
        if not importer.startswith("evalcore.app."):
            return "only evalcore.app may start the emulator"
        if at_module_level:
            return "the emulator is started lazily (import inside the function)"
        if imported not in EMULATOR_START_API:
            return "only the emulator's start API"
        return None
    source, target = _layer_of(importer), _layer_of(imported)
    if source is None or target is None:
        return f"module outside the layers ({importer if source is None else imported})"
    if source[0] == target[0] or target[1] > source[1]:
        return None
    return f"layer {source[1]} -> {target[1]}"


def _graph() -> tuple[dict[str, Path], dict[str, list[tuple[int, str, bool]]]]:
    modules = _modules()
    known = set(modules)
    return modules, {name: _imports(name, path, known) for name, path in modules.items()}


def test_imports_point_down_and_the_emulator_stays_apart() -> None:
    modules, edges = _graph()
    problems = [
        f"{modules[name].relative_to(ROOT)}:{line} imports {imported} ({why})"
        for name in sorted(edges)
        for line, imported, module_level in edges[name]
        if (why := _violation(name, imported, module_level))
    ]
    assert not problems, "\n" + "\n".join(problems)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def test_no_module_imports_itself_through_a_cycle() -> None:
    modules, edges = _graph()
    graph = {name: {imported for _, imported, _ in found if imported in modules} for name, found in edges.items()}
    cycles = _cycles(graph)
    assert not cycles, "\n" + "\n".join(" <-> ".join(cycle) for cycle in cycles)


def test_the_layer_test_sees_an_upward_import() -> None:
    """The checker itself: a renderer importing the GitHub client, and a runner starting the emulator, are refused."""
    assert _violation("evalcore.report.comment", "evalcore.github.client", True) == "layer 7 -> 3"
    assert (
        _violation("evalcore.runners.direct", "evalcore_emulator", False) == "only evalcore.app may start the emulator"
    )
    assert _violation("evalcore_emulator.wording", "evalcore.metrics.text_similarity", True) is not None
    assert _violation("evalcore.app.orchestrate", "evalcore_emulator", True) is not None
    assert _violation("evalcore.app.orchestrate", "evalcore_emulator", False) is None
    assert _violation("evalcore.suite.load", "evalcore.text.secrets", True) is None


def test_the_protocols_the_emulator_reads_bring_no_product_code_with_them() -> None:
    """Importing a protocol module runs it and its packages' `__init__`: they may import only AWS facts and text
    helpers, so the emulator never loads the product's runners, judge or clients through them."""
    modules, edges = _graph()
    loaded = set()
    for protocol in EMULATOR_MAY_READ_PROTOCOLS:
        parts = protocol.split(".")
        loaded |= {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
    problems = [
        f"{modules[name].relative_to(ROOT)}:{line} imports {imported}"
        for name in sorted(loaded)
        for line, imported, _ in edges[name]
        if imported not in EVERYWHERE
        and not imported.startswith(tuple(package + "." for package in EMULATOR_MAY_READ_PACKAGES))
    ]
    assert not problems, "\n" + "\n".join(problems)
