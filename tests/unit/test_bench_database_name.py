"""The benchmarks find a side's PostgreSQL backends by its database's name; a wrong name counts none.

On the embedded default the DSN ends in ``?host=/path/to/socket``: the hub's database CPU read
0.000 ms a request there, because the name was taken after the URL's last slash ("pgdata").
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

_PATH = Path(__file__).parents[1] / "benchmarks" / "bench_quotes_http.py"


def _database_name() -> Callable[[str], str]:
    # The benchmarks are scripts, not a package on the test path.
    spec = importlib.util.spec_from_file_location("bench_quotes_http", _PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found: Callable[[str], str] = module.database_name
    return found


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("postgresql://postgres@127.0.0.1:5432/orderhub_bench_1a2b", "orderhub_bench_1a2b"),
        ("postgresql://postgres:@/orderhub_bench_1a2b?host=/work/var/bench/pgdata", "orderhub_bench_1a2b"),
        ("postgresql://orderhub_app:pw@127.0.0.1/orderhub_bench_1a2b?sslmode=disable", "orderhub_bench_1a2b"),
    ],
)
def test_the_database_is_the_path_not_the_last_slash(url: str, name: str) -> None:
    assert _database_name()(url) == name
