"""Run the benchmarks and print a table of figures with their baseline ratios."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Report:
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def figure(
        self,
        name: str,
        *,
        value: float,
        unit: str,
        baseline: float | None = None,
        target: str = "",
        higher_is_better: bool = True,
    ) -> None:
        """Record one figure. The ratio is Maillage ÷ baseline for throughputs, baseline ÷ Maillage for durations."""
        if baseline:
            ratio = (
                value / baseline
                if higher_is_better
                else baseline / value
                if value
                else float("inf")
            )
            ratio_text = f"{ratio:.2f}× baseline ({baseline:,.1f} {unit})"
        else:
            ratio_text = ""
        self.rows.append((name, f"{value:,.1f} {unit}", ratio_text, target, ""))
        print(
            f"  {name}: {value:,.1f} {unit} {ratio_text} {('target ' + target) if target else ''}",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "only", nargs="*", help="run only benchmarks whose module name contains one of these"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    import django

    django.setup()
    report = Report()
    package_dir = Path(__file__).parent
    modules = sorted(
        name for _, name, _ in pkgutil.iter_modules([str(package_dir)]) if name.startswith("bench_")
    )
    if args.only:
        modules = [name for name in modules if any(part in name for part in args.only)]
    if not modules:
        print("No benchmark yet.")
        return 0
    for name in modules:
        module = importlib.import_module(f"benchmarks.{name}")
        print(
            f"== {name}: {module.__doc__.strip().splitlines()[0] if module.__doc__ else ''}",
            flush=True,
        )
        started = time.perf_counter()
        module.run(report)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    print("\nSummary")
    for name, value, ratio, target, _ in report.rows:
        print(f"  {name:<55} {value:>22}  {ratio}  {('target ' + target) if target else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
