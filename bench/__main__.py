"""Run every benchmark module (``python -m bench [NAME ...]``) and print figures."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the named benchmarks, or all of them when none is named."""
    folder = Path(__file__).parent
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(folder)])
        if m.name.startswith("bench_")
    )
    wanted = [f"bench_{n.removeprefix('bench_')}" for n in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; "
            f"available: {', '.join(names)}",
            file=sys.stderr,
        )
        return 2
    for name in wanted:
        print(f"=== {name} ===", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
