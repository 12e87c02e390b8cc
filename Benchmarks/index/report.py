"""Turns the JSON lines of hyperion-index-bench and peer.py into the tables of Benchmarks/index/results.md.

Usage: report.py RESULTS.jsonl [--bm25-results HYPERION.jsonl PEER.jsonl] [--clock cpu|wall] [--out results.md]
For every library the matched-recall point is the smallest efSearch whose recall@10 reaches the target.
Every ratio names its peer and compares Hyperion against it (above 1 = Hyperion faster / smaller).
Load times of the persisted indexes are always wall clock (the cold load waits for the disk).
`--clock cpu` (default) reports times and queries/s by the process's CPU time, which other work on a
shared machine disturbs far less than the wall clock (the benchmarks are single-threaded); `wall` reports
the wall clock.
"""
import argparse
import json
import os
import platform
import time

LABELS = {("hyperion", "hnsw"): "Hyperion HNSW", ("hyperion", "flat"): "Hyperion exact (BLAS)",
          ("hnswlib", "hnsw"): "hnswlib", ("faiss-hnsw", "hnsw"): "faiss IndexHNSWFlat",
          ("faiss-flat", "flat"): "faiss IndexFlatIP", ("usearch", "hnsw"): "usearch (f32)",
          ("usearch-bf16", "hnsw"): "usearch (bf16, its default)"}
LABELS[("hyperion-candidate", "hnsw")] = "Hyperion HNSW, candidate build"
# Graph indexes first (ours, then the peers), exact search last.
ORDER = [("hyperion", "hnsw"), ("hyperion-candidate", "hnsw"), ("hnswlib", "hnsw"), ("faiss-hnsw", "hnsw"),
         ("usearch", "hnsw"), ("usearch-bf16", "hnsw"), ("hyperion", "flat"), ("faiss-flat", "flat")]
TARGETS = (0.95, 0.97)
GRAPH_PEERS = (("hnswlib", "hnsw"), ("faiss-hnsw", "hnsw"), ("usearch", "hnsw"), ("usearch-bf16", "hnsw"))
LOAD_GOAL_S, LOAD_GOAL_MAX_N = 0.5, 100_000  # "well under a second" for a persisted 100k-vector index


def first_reaching(points, target):
    """The smallest-ef point with recall ≥ target, or None."""
    for point in sorted(points, key=lambda p: p["ef"]):
        if point["recall"] >= target:
            return point
    return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt(value, digits=0):
    return f"{value:,.{digits}f}"


def vector_section(dataset, builds, searches, lines, verdicts):
    keys = [key for key in ORDER if key in builds]
    any_build = builds[keys[0]]
    lines.append(f"### {dataset}: {any_build['n']:,} × {any_build['dim']}, {any_build['queries']} queries, "
                 f"raw vectors {any_build['raw_mb']:.1f} MB")
    lines.append("")
    lines.append("| library | build s | memory MB (× raw) | load s cold / warm | ef ≥ 0.95 | recall | q/s "
                 "| ef ≥ 0.97 | recall | q/s |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    chosen = {}
    for key in keys:
        build, points = builds[key], searches.get(key, [])
        load = (f"{build['load_cold_s']:.3f}{'' if build.get('load_cold_evicted', True) else '*'} / {build['load_s']:.3f}"
                if "load_s" in build else "—")
        cells = [LABELS[key], fmt(build["build_s"], 2), f"{build['memory_mb']:.1f} ({build['memory_mb'] / build['raw_mb']:.2f}×)",
                 load]
        for target in TARGETS:
            point = first_reaching(points, target)
            chosen[(key, target)] = point
            if point is None:
                best = max(points, key=lambda p: p["recall"]) if points else None
                cells += ["—", f"max {best['recall']:.3f}" if best else "—", "—"]
            else:
                cells += [str(point["ef"]) if point["ef"] else "exact", f"{point['recall']:.3f}", fmt(point["qps"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")

    graph_keys = [key for key in keys if key[1] == "hnsw"]
    efs = sorted({p["ef"] for key in graph_keys for p in searches.get(key, [])})
    lines.append("recall@10 / queries per second at each efSearch:")
    lines.append("")
    lines.append("| ef | " + " | ".join(LABELS[key] for key in graph_keys) + " |")
    lines.append("|---:|" + "---:|" * len(graph_keys))
    for ef in efs:
        cells = [str(ef)]
        for key in graph_keys:
            point = next((p for p in searches.get(key, []) if p["ef"] == ef), None)
            cells.append(f"{point['recall']:.3f} / {fmt(point['qps'])}" if point else "—")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")

    for ours in (("hyperion", "hnsw"), ("hyperion-candidate", "hnsw")):
        if ours in builds:
            ratios(dataset, ours, builds, searches, chosen, lines, verdicts)


def ratios(dataset, ours, builds, searches, chosen, lines, verdicts):
    name = LABELS[ours]
    tag = dataset if ours[0] == "hyperion" else f"{dataset} (candidate)"
    lines.append(f"Ratios, {name} against the peers (same run):")
    lines.append("")
    for target in TARGETS:
        mine = chosen.get((ours, target))
        for peer in GRAPH_PEERS:
            if peer not in builds:
                continue
            theirs = chosen.get((peer, target))
            if mine and theirs:
                ratio = mine["qps"] / theirs["qps"]
                goal = (f" (goal ≥ 1.2×: {'met' if ratio >= 1.2 else 'NOT met'})"
                        if target == 0.97 and peer[0] == "hnswlib" else "")
                lines.append(f"- q/s at recall ≥ {target}: {ratio:.2f}× {LABELS[peer]} "
                             f"({fmt(mine['qps'])} at ef {mine['ef']} vs {fmt(theirs['qps'])} at ef {theirs['ef']}){goal}")
            else:
                side = "neither side reaches" if not mine and not theirs else \
                    f"{'Hyperion' if not mine else LABELS[peer]} never reaches"
                lines.append(f"- q/s at recall ≥ {target}: {LABELS[peer]}: not comparable ({side} it "
                             "at the efSearch values run)")
            if target == 0.97 and peer[0] == "hnswlib":
                ok = bool(mine and theirs) and mine["qps"] / theirs["qps"] >= 1.2
                verdicts.append((tag, "q/s ≥ 1.2× hnswlib at recall ≥ 0.97", ok,
                                 f"{mine['qps'] / theirs['qps']:.2f}×" if mine and theirs else "not reached"))
    usearch = [builds[key] for key in (("usearch", "hnsw"), ("usearch-bf16", "hnsw")) if key in builds]
    fastest = None
    if usearch:
        # The goal is judged against the faster usearch build of the two.
        fastest = min(usearch, key=lambda b: b["build_s"])
        label = LABELS[(fastest["impl"], fastest["kind"])]
        ratio = fastest["build_s"] / builds[ours]["build_s"]
        met = builds[ours]["build_s"] <= fastest["build_s"]
        lines.append(f"- build: {builds[ours]['build_s']:.2f} s vs {label} {fastest['build_s']:.2f} s "
                     f"= {ratio:.2f}× its speed (goal: no slower than usearch's faster build: {'met' if met else 'NOT met'})")
        verdicts.append((tag, "build no slower than usearch", met, f"{ratio:.2f}×"))
    for peer in GRAPH_PEERS:
        if peer in builds and builds[peer] is not fastest:
            lines.append(f"- build: {builds[peer]['build_s'] / builds[ours]['build_s']:.2f}× {LABELS[peer]}'s speed")
    for peer in GRAPH_PEERS:
        if peer in builds:
            lines.append(f"- index memory: {builds[ours]['memory_mb'] / builds[peer]['memory_mb']:.2f}× {LABELS[peer]}'s "
                         f"({builds[ours]['memory_mb']:.1f} vs {builds[peer]['memory_mb']:.1f} MB)")
    if "load_s" in builds[ours]:
        mine = builds[ours]
        lines.append(f"- load of the persisted index ({mine['file_mb']:.1f} MB file, {mine['n']:,} vectors): "
                     f"cold {mine['load_cold_s']:.3f} s, warm {mine['load_s']:.3f} s (wall clock)")
        for peer in GRAPH_PEERS:
            if "load_s" in builds.get(peer, {}):
                theirs = builds[peer]
                lines.append(f"- load: {theirs['load_cold_s'] / mine['load_cold_s']:.2f}× {LABELS[peer]}'s speed cold, "
                             f"{theirs['load_s'] / mine['load_s']:.2f}× warm ({theirs['load_cold_s']:.3f} / "
                             f"{theirs['load_s']:.3f} s, file {theirs['file_mb']:.1f} MB)")
        if mine["n"] <= LOAD_GOAL_MAX_N:
            ok = mine["load_cold_s"] <= LOAD_GOAL_S
            verdicts.append((tag, f"cold load of the persisted index ({mine['n']:,} vectors) ≤ {LOAD_GOAL_S} s",
                             ok, f"{mine['load_cold_s']:.3f} s"))
    share = builds[ours]["memory_mb"] / builds[ours]["raw_mb"]
    lines.append(f"- index memory: {builds[ours]['memory_mb']:.1f} MB = {share:.2f}× the raw vectors "
                 f"(goal ≤ 1.3×: {'met' if share <= 1.3 else 'NOT met'})")
    verdicts.append((tag, "index memory ≤ 1.3× raw vectors", share <= 1.3, f"{share:.2f}×"))
    mine_flat, faiss_flat = searches.get(("hyperion", "flat")), searches.get(("faiss-flat", "flat"))
    if ours[0] == "hyperion" and mine_flat and faiss_flat:
        lines.append(f"- exact search: {mine_flat[0]['qps'] / faiss_flat[0]['qps']:.2f}× faiss IndexFlatIP "
                     f"({fmt(mine_flat[0]['qps'])} vs {fmt(faiss_flat[0]['qps'])} q/s; recall "
                     f"{mine_flat[0]['recall']:.3f} vs {faiss_flat[0]['recall']:.3f})")
        flat_builds = builds.get(("hyperion", "flat")), builds.get(("faiss-flat", "flat"))
        if all(flat_builds) and all("load_s" in b for b in flat_builds):
            lines.append(f"- exact index load: cold {flat_builds[0]['load_cold_s']:.3f} s vs faiss "
                         f"{flat_builds[1]['load_cold_s']:.3f} s, warm {flat_builds[0]['load_s']:.3f} s vs "
                         f"{flat_builds[1]['load_s']:.3f} s")
    if any("load_s" in b and not b.get("load_cold_evicted", True) for b in builds.values()):
        lines.append("- * the file's pages could not be dropped from the page cache: that first load was warm")
    lines.append("")


def bm25_section(builds, searches, overlap, lines, verdicts):
    mine, peer = ("hyperion", "bm25"), ("bm25s", "bm25")
    lines.append("### BM25: SciFact abstracts (title + text), train claims as single queries, top 10")
    lines.append("")
    lines.append("| library | index s | memory MB | queries/s | p50 µs |")
    lines.append("|---|---:|---:|---:|---:|")
    for key, label in ((mine, "Hyperion BM25Index"), (peer, "bm25s + PyStemmer")):
        if key in builds:
            b, s = builds[key], searches[key][0]
            lines.append(f"| {label} | {b['build_s']:.2f} | {b['memory_mb']:.1f} | {fmt(s['qps'])} | {s['p50_us']:.0f} |")
    lines.append("")
    if mine in builds and peer in builds:
        q = searches[mine][0]["qps"] / searches[peer][0]["qps"]
        i = builds[peer]["build_s"] / builds[mine]["build_s"]
        lines.append(f"- queries/s: {q:.2f}× bm25s (goal ≥ 1×: {'met' if q >= 1 else 'NOT met'})")
        lines.append(f"- index time: {i:.2f}× bm25s's speed (goal ≥ 1×: {'met' if i >= 1 else 'NOT met'})")
        verdicts.append(("bm25", "queries/s ≥ bm25s", q >= 1, f"{q:.2f}×"))
        verdicts.append(("bm25", "index time ≤ bm25s", i >= 1, f"{i:.2f}×"))
        if overlap is not None:
            lines.append(f"- same top 10: {overlap * 100:.1f} % overlap with bm25s (both k1 0.9, b 0.4, Lucene idf, "
                         "same 33 stop words, Snowball English)")
        lines.append("")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--bm25-results", nargs=2, default=None)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--candidate-label", default="candidate build")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    LABELS[("hyperion-candidate", "hnsw")] = f"Hyperion HNSW, {args.candidate_label}"
    records = [json.loads(line) for line in open(args.results) if line.startswith("{")]
    if args.clock == "cpu":
        for record in records:
            if "cpu_qps" in record:
                record["wall_qps"], record["qps"] = record["qps"], record["cpu_qps"]
            if "build_cpu_s" in record:
                record["wall_build_s"], record["build_s"] = record["build_s"], record["build_cpu_s"]
    datasets = []
    builds, searches = {}, {}
    for record in records:
        dataset = record["dataset"]
        if dataset not in datasets:
            datasets.append(dataset)
        key = (record["impl"], record["kind"])
        if record["type"] == "build":
            builds.setdefault(dataset, {})[key] = record
        else:
            searches.setdefault(dataset, {}).setdefault(key, []).append(record)

    overlap = None
    if args.bm25_results and all(os.path.exists(p) for p in args.bm25_results):
        a, b = ([json.loads(line) for line in open(p)] for p in args.bm25_results)
        if a and len(a) == len(b):
            overlap = sum(len(set(x) & set(y)) / max(len(x), 1) for x, y in zip(a, b)) / len(a)

    versions = sorted({f"{r['impl']} {r['version']}" for r in records if r.get("version")})
    settings = next((r for r in records if r["type"] == "build" and r.get("m")), None)
    lines = ["# Index benchmark results", ""]
    lines.append(f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {cpu_model()}, {os.cpu_count()} cores, "
                 f"load average {os.getloadavg()[0]:.1f} at the end. One thread, one query at a time, k = 10.")
    if args.clock == "cpu":
        lines.append("Seconds and queries/s are process CPU time (the machine is shared; wall-clock figures are in "
                     "the raw JSON lines as `build_s` / `qps`).")
    else:
        lines.append("Seconds and queries/s are wall clock.")
    if any("load_s" in r for r in records if r["type"] == "build"):
        lines.append("Load: each index saved by its library, its file's pages dropped from the page cache, loaded once "
                     "cold and then warm (best of the rest); load times are wall clock, and searches ran on the loaded copy.")
    if settings:
        lines.append(f"HNSW: M {settings['m']}, efConstruction {settings['ef_construction']} for every library; "
                     "recall@10 against exact inner-product search; q/s from the fastest of the timed passes.")
    lines.append("Peers: " + ", ".join(versions) + ".")
    lines.append("")
    verdicts = []
    for dataset in datasets:
        if any(kind == "bm25" for _, kind in builds.get(dataset, {})):
            continue
        vector_section(dataset, builds[dataset], searches.get(dataset, {}), lines, verdicts)
    if "scifact" in builds:
        bm25_section(builds["scifact"], searches.get("scifact", {}), overlap, lines, verdicts)
    if verdicts:
        lines.append("### Goals")
        lines.append("")
        lines.append("| data | goal | measured | |")
        lines.append("|---|---|---:|---|")
        for dataset, goal, ok, value in verdicts:
            lines.append(f"| {dataset} | {goal} | {value} | {'met' if ok else '**not met**'} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
