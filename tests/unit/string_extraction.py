"""What a message extractor would collect: literal first arguments of calls to a named function."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def literal_arguments(modules: Iterable[Path], function: str) -> set[str]:
    """The string literals passed first to ``function(...)`` in ``modules``."""
    found: set[str] = set()
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == function
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found
