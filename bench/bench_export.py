"""Benchmark app.excel.write_list: is memory flat as the row count grows?

    python bench/bench_export.py                 # 10,000 and 100,000 rows, ~35 s
    python bench/bench_export.py --rows 5000 50000 --no-naive
    python bench/bench_export.py --tracemalloc   # also Python-heap peaks, ~2.5 min

Builds a temporary SQLite table with SQLAlchemy Core, then exports it
(a) with write_list, streaming rows with ``yield_per`` into a temp file, and
(b) naively: ``.all()`` then an in-memory workbook (constant_memory off)
written to a BytesIO.
Each measurement runs in a fresh child process, so peaks do not leak between
runs: wall time, peak RSS of the process and its growth during the export.
tracemalloc (peak of Python allocations) slows xlsxwriter 4-5x, so it is
opt-in and runs in separate children. Only ratios are the verdict, no thresholds.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]

metadata = sa.MetaData()
visits = sa.Table(
    "visit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer", sa.String(100)),
    sa.Column("phone", sa.String(30)),
    sa.Column("amount", sa.Numeric(12, 2)),
    sa.Column("visited_on", sa.Date),
    sa.Column("created_at", sa.DateTime),
    sa.Column("active", sa.Boolean),
    sa.Column("status", sa.String(10)),
)
STATUS_LABELS = {"new": "新建", "doing": "进行中", "done": "已完成"}


def load_excel():
    # Load app/excel.py by path: the module is pure, and importing the ``app``
    # package would also run the Flask app setup in app/__init__.py.
    spec = importlib.util.spec_from_file_location("app_excel", ROOT / "app" / "excel.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def build_database(path: Path, n_rows: int) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    start = datetime(2026, 1, 1, 8, 0)
    statuses = list(STATUS_LABELS)
    with engine.begin() as conn:
        for first in range(0, n_rows, 20_000):
            conn.execute(
                visits.insert(),
                [
                    {
                        "id": i,
                        "customer": f"客户{i:07d}有限公司" if i % 7 else f"=客户{i}",
                        "phone": f"+86 138{i:08d}",
                        "amount": float(i % 100_000) + 0.25,
                        "visited_on": (start + timedelta(days=i % 365)).date(),
                        "created_at": start + timedelta(minutes=i),
                        "active": i % 3 != 0,
                        "status": statuses[i % 3],
                    }
                    for i in range(first + 1, min(first + 20_000, n_rows) + 1)
                ],
            )
    engine.dispose()


def export_streaming(excel, conn, query, out_path: Path) -> int:
    columns = [
        excel.XlsxColumn("id", "编号", "int"),
        excel.XlsxColumn("customer", "客户名称"),
        excel.XlsxColumn("phone", "电话"),
        excel.XlsxColumn("amount", "金额", "money"),
        excel.XlsxColumn("visited_on", "拜访日期", "date"),
        excel.XlsxColumn("created_at", "创建时间", "datetime"),
        excel.XlsxColumn("active", "有效", "bool"),
        excel.XlsxColumn("status", "状态", "enum", labels=STATUS_LABELS),
    ]
    result = conn.execution_options(yield_per=1000).execute(query)
    return excel.write_list(str(out_path), "拜访记录", columns, result)


def export_naive(conn, query) -> int:
    from xlsxwriter import Workbook

    rows = conn.execute(query).all()
    buffer = io.BytesIO()
    workbook = Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "default_date_format": "yyyy-mm-dd"})
    ws = workbook.add_worksheet("拜访记录")
    ws.write_row(0, 0, ["编号", "客户名称", "电话", "金额", "拜访日期", "创建时间", "有效", "状态"])
    for index, row in enumerate(rows, start=1):
        ws.write_row(index, 0, row)
    workbook.close()
    return len(rows)


def rss_kb(field: str) -> int:
    """VmRSS (current) or VmHWM (peak) of this process, in KiB.

    Not ru_maxrss: on Linux it keeps the parent's peak across fork + exec.
    Elsewhere, fall back to it anyway.
    """
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # Linux: reset VmHWM to the current RSS
    except OSError:
        pass


def child(mode: str, n_rows: int, db_path: str, trace: bool) -> dict[str, float]:
    excel = load_excel()  # imports xlsxwriter too, before the memory baseline

    engine = sa.create_engine(f"sqlite:///{db_path}")
    query = sa.select(visits).where(visits.c.id <= n_rows).order_by(visits.c.id)
    with tempfile.TemporaryDirectory() as tmp, engine.connect() as conn:
        rss_before_kb = rss_kb("VmRSS")
        reset_peak_rss()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        if mode == "streaming":
            count = export_streaming(excel, conn, query, Path(tmp) / "out.xlsx")
        else:
            count = export_naive(conn, query)
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
        peak_rss_kb = rss_kb("VmHWM")
    assert count == n_rows, (count, n_rows)
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_kb / 1024,
        "rss_growth_mb": max(peak_rss_kb - rss_before_kb, 0) / 1024,
        "traced_peak_mb": traced_peak / 2**20,
    }


def run_child(mode: str, n_rows: int, db_path: Path, trace: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, str(n_rows), str(db_path)] + (["--trace"] if trace else [])
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def measure(mode: str, n_rows: int, db_path: Path, trace: bool, repeats: int) -> dict[str, float]:
    result = min((run_child(mode, n_rows, db_path, trace=False) for _ in range(repeats)), key=lambda r: r["seconds"])
    if trace:
        result["traced_peak_mb"] = run_child(mode, n_rows, db_path, trace=True)["traced_peak_mb"]
    return result


def ratio(a: float, b: float) -> str:
    return f"{a / b:6.2f}" if b else "   n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs=2, default=[10_000, 100_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--no-naive", action="store_true", help="skip the in-memory comparison")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure tracemalloc peaks (slow)")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ROWS", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, n_rows, db_path = args.child
        print(json.dumps(child(mode, int(n_rows), db_path, args.trace)))
        return

    small, large = sorted(args.rows)
    modes = ["streaming"] + ([] if args.no_naive else ["naive"])
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite"
        started = time.perf_counter()
        build_database(db_path, large)
        print(f"built {large:,} rows in {time.perf_counter() - started:.1f}s\n")

        # Best of 3 for the short runs: a one-second timing is easily skewed by other load.
        results = {
            (mode, n): measure(mode, n, db_path, args.tracemalloc, repeats=3 if n == small else 1)
            for mode in modes
            for n in (small, large)
        }

    traced = " traced peak MB" if args.tracemalloc else ""
    print(f"{'mode':<10} {'rows':>9} {'seconds':>8} {'us/row':>7} {'peak RSS MB':>12} {'RSS growth MB':>14}{traced}")
    for (mode, n), r in results.items():
        print(
            f"{mode:<10} {n:>9,} {r['seconds']:>8.2f} {r['seconds'] / n * 1e6:>7.1f}"
            f" {r['peak_rss_mb']:>12.1f} {r['rss_growth_mb']:>14.1f}"
            + (f" {r['traced_peak_mb']:>15.2f}" if args.tracemalloc else "")
        )

    def ratios(hi: dict[str, float], lo: dict[str, float], hi_rows: int, lo_rows: int) -> str:
        time_label = "time/row" if hi_rows != lo_rows else "time"
        text = (
            f"peak RSS x{ratio(hi['peak_rss_mb'], lo['peak_rss_mb'])}"
            f"   RSS growth x{ratio(hi['rss_growth_mb'], lo['rss_growth_mb'])}"
            f"   {time_label} x{ratio(hi['seconds'] / hi_rows, lo['seconds'] / lo_rows)}"
        )
        if args.tracemalloc:
            text += f"   traced peak x{ratio(hi['traced_peak_mb'], lo['traced_peak_mb'])}"
        return text

    print(f"\nratios, {large:,} rows vs {small:,} ({large / small:g}x the rows); flat memory means ~1:")
    for mode in modes:
        print(f"  {mode:<10} {ratios(results[(mode, large)], results[(mode, small)], large, small)}")
    if "naive" in modes:
        print(f"\nnaive / streaming, both at {large:,} rows:")
        print(f"  {'':<10} {ratios(results[('naive', large)], results[('streaming', large)], large, large)}")


if __name__ == "__main__":
    main()
