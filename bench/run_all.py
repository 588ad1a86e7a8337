"""Run every benchmark in bench/ in one process group; each prints its own ratios.

bench_million.py builds a million rows (SQLite always; PostgreSQL too when
BENCH_DATABASE_URL and BENCH_FLOOR_DATABASE_URL name two scratch databases, which it
wipes) and takes about 15 minutes a database on two cores; MILLION_ROWS=100000 for a quicker look.
Its figures go to bench/million.json; `python bench/million_report.py bench/million.json`
prints them as the Markdown tables of bench/RESULTS.md.
"""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [["bench_list_page.py"], ["bench_export.py", "--rows", "10000", "50000"],
              ["bench_charts.py", "--rows", "100000", "--customers-for-sales", "5000"],
              ["bench_million.py", "--rows", os.environ.get("MILLION_ROWS", "1000000")],
              # skipped where redis-server, nginx or PostgreSQL is missing
              ["bench_queue.py", "--rows", os.environ.get("QUEUE_ROWS", "200000")]]
if os.environ.get("BENCH_DATABASE_URL") and os.environ.get("BENCH_FLOOR_DATABASE_URL"):
    BENCHMARKS[-1] += ["--postgres", os.environ["BENCH_DATABASE_URL"],
                       "--postgres-floor", os.environ["BENCH_FLOOR_DATABASE_URL"]]

if __name__ == "__main__":
    failed = 0
    for args in BENCHMARKS:
        print(f"== {args[0]}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]])
    sys.exit(failed)
