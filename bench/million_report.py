"""Turn bench_million.py's JSON into the Markdown tables of bench/RESULTS.md, each figure
next to its goal (issue 18).

    python bench/million_report.py bench/million.json [other.json …]
"""
import json
import sys

LIST_GOAL, DEEP_GOAL, SEARCH_GOAL, EXPORT_GOAL, EXPORT_MB = 1.5, 2.0, 3.0, 1.15, 50


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗"


def lists_table(lists) -> list[str]:
    lines = ["| page | big | floor | ratio | goal |", "|---|---:|---:|---:|---|"]
    for name, v in lists.items():
        if "search" in name:
            goal = SEARCH_GOAL
        elif "deepest" in name:
            continue
        else:
            goal = LIST_GOAL
        lines.append(f"| {name} | {v['big'] * 1000:.1f} ms | {v['floor'] * 1000:.1f} ms | "
                     f"×{v['ratio']:.2f} | ≤ {goal} {verdict(v['ratio'] <= goal)} |")
    lines += ["", "| deepest reachable page | big | page 1 (big) | ratio | goal |",
              "|---|---:|---:|---:|---|"]
    for name, v in lists.items():
        if "deepest" not in name:
            continue
        first = lists[name.replace("deepest page", "page 1")]
        ratio = v["big"] / first["big"]
        lines.append(f"| {name} | {v['big'] * 1000:.1f} ms | {first['big'] * 1000:.1f} ms | "
                     f"×{ratio:.2f} | ≤ {DEEP_GOAL} {verdict(ratio <= DEEP_GOAL)} |")
    return lines


def register_tables(r) -> list[str]:
    """The customer lists first (under "lists" since the first run), then the others."""
    registers = {"customer": r["lists"], **r.get("register_lists", {})}
    lines = []
    for register, lists in registers.items():
        lines += [f"#### {register} lists", "", *lists_table(lists), ""]
    return lines


def load_table(r) -> list[str]:
    phases = r.get("load_phases")
    if not phases:
        return []
    lines = ["| load phase | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in phases.items()]
    return [*lines, f"| total | {r['load_seconds']:.1f} |", ""]


def other_tables(r) -> list[str]:
    lines = ["", "| aggregate | page (big) | bare GROUP BY (big) | page (floor) | "
             "page / (floor + 2 × bare) | goal |", "|---|---:|---:|---:|---:|---|"]
    for name, v in r["aggregates"].items():
        lines.append(f"| {name} | {v['page'] * 1000:.0f} ms | {v['bare'] * 1000:.0f} ms | "
                     f"{v['floor'] * 1000:.0f} ms | {v['ratio_to_goal']:.2f} | ≤ 1 "
                     f"{verdict(v['ratio_to_goal'] <= 1)} |")
    e = r["export"]
    def runs(mode):
        return " (" + " / ".join(f"{t:.0f}" for t in e[mode]["runs"]) + ")"

    lines += ["", "| export of every customer | seconds (order raw, job, job, raw) | "
              "memory growth | goal |",
              "|---|---:|---:|---|",
              f"| raw Core yield_per → xlsxwriter constant_memory | "
              f"{e['raw']['seconds']:.1f}{runs('raw')} | {e['raw']['growth_mb']:.0f} MB | |",
              f"| background job (the user's path) | {e['job']['seconds']:.1f}{runs('job')} | "
              f"{e['job']['growth_mb']:.0f} MB | ×{e['ratio']:.2f} ≤ {EXPORT_GOAL} "
              f"{verdict(e['ratio'] <= EXPORT_GOAL)}, ≤ {EXPORT_MB} MB "
              f"{verdict(e['job']['growth_mb'] <= EXPORT_MB)} |"]
    i = r["import"]
    lines += ["", f"Import of {i['rows']:,} customers (one file, all checks, one transaction): "
              f"{i['importer_rows_per_s']:.0f} rows/s; a raw `executemany` of the same rows: "
              f"{i['raw_rows_per_s']:.0f} rows/s (×{i['raw_rows_per_s'] / i['importer_rows_per_s']:.1f})."]
    return lines


def main(paths):
    for path in paths:
        with open(path) as fh:
            data = json.load(fh)
        for key, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            if key not in data:
                continue
            r = data[key]
            print(f"### {label}: {r['rows']:,} rows vs {r['floor_rows']:,} "
                  f"({data['date']}, {data['machine']}; loaded in {r['populate_seconds']:.0f} s)")
            print()
            print("\n".join(load_table(r) + register_tables(r) + other_tables(r)))
            print()


if __name__ == "__main__":
    main(sys.argv[1:])
