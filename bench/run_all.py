"""Run every benchmark in bench/ in one process group; each prints its own ratios."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [["bench_list_page.py"], ["bench_export.py", "--rows", "10000", "50000"],
              ["bench_charts.py", "--rows", "100000", "--customers-for-sales", "5000"]]

if __name__ == "__main__":
    failed = 0
    for args in BENCHMARKS:
        print(f"== {args[0]}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]])
    sys.exit(failed)
