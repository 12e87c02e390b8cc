"""Runs every vector library on one data set with their timed passes interleaved, so that on a shared
machine each library sees the same load: the indexes are built one after another (one process per
library, each waits with its index), then for each efSearch every process measures recall and the
timed passes go round-robin (pass 1: A B C …, pass 2: B C … A, …). The fastest pass counts.

Usage: compare.py --results OUT.jsonl --dataset NAME --vectors F.f32 --queries Q.f32 --ground-truth G.i32
                  --bench BIN --python PY [--libs "hyperion hyperion-flat hnswlib …"] [--candidate BIN2] [--m 16]
                  [--ef-construction 100] [--ef 10,16,32] [--passes 7] [--persist-dir DIR] [--loads 3]
With --persist-dir each library also saves its index there and loads it back (cold, then warm) before the
searches, which then run on the loaded copy; the times land in the build record (load_cold_s, load_s).
Appends build and search records (the format report.py reads) to OUT.jsonl.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FLAT_PASSES = 2  # exact search is slow on the larger sets and varies little


class Library:
    def __init__(self, name, command):
        self.name = name
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.build = None
        while True:  # the build record, then "ready"
            record = self.read()
            if record["type"] == "build":
                self.build = record
            elif record["type"] == "ready":
                break
        self.kind = self.build["kind"]

    def read(self):
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"{self.name} stopped unexpectedly (exit {self.process.wait()})")
        return json.loads(line)

    def ask(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self):
        try:
            self.process.stdin.write("quit 0\n")
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        self.process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--ground-truth", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--candidate", default="", help="a second hyperion-index-bench (e.g. a branch), run as hyperion-candidate")
    parser.add_argument("--libs", default="hyperion hyperion-flat hnswlib faiss-hnsw faiss-flat usearch usearch-bf16")
    parser.add_argument("--m", default="16")
    parser.add_argument("--ef-construction", default="100")
    parser.add_argument("--ef", default="10,16,24,32,48,64,96,128")
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--persist-dir", default="", help="save + load every index here (empty: skip)")
    parser.add_argument("--loads", default="3")
    args = parser.parse_args()

    common = ["--dataset", args.dataset, "--vectors", args.vectors, "--queries", args.queries,
              "--ground-truth", args.ground_truth, "--m", args.m, "--ef-construction", args.ef_construction,
              "--serve", "1", "--persist-dir", args.persist_dir, "--loads", args.loads]
    libraries = []
    out = open(args.results, "a")

    def write(record):
        out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()

    names = args.libs.split()
    if args.candidate:
        names.insert(names.index("hyperion") + 1 if "hyperion" in names else 0, "hyperion-candidate")
    try:
        for name in names:
            print(f"== {args.dataset}: {name}", file=sys.stderr, flush=True)
            if name in ("hyperion", "hyperion-flat", "hyperion-candidate"):
                kind = "flat" if name == "hyperion-flat" else "hnsw"
                binary = args.candidate if name == "hyperion-candidate" else args.bench
                command = [binary, "vector", "--kind", kind] + common
            else:
                command = [args.python, os.path.join(HERE, "peer.py"), "vector", "--lib", name] + common
            library = Library(name, command)
            if name == "hyperion-candidate":
                library.build["impl"] = name
            libraries.append(library)
            write(library.build)

        efs = [int(x) for x in args.ef.split(",")]
        for kind, points, passes in (("hnsw", efs, args.passes), ("flat", [0], min(args.passes, FLAT_PASSES))):
            group = [library for library in libraries if library.kind == kind]
            for ef in points if group else []:
                recall = {library.name: library.ask(f"recall {ef}")["recall"] for library in group}
                best = {library.name: None for library in group}
                best_cpu = {library.name: float("inf") for library in group}
                for p in range(passes):
                    for library in group[p % len(group):] + group[:p % len(group)]:
                        result = library.ask(f"pass {ef}")
                        if best[library.name] is None or result["seconds"] < best[library.name]["seconds"]:
                            best[library.name] = result
                        best_cpu[library.name] = min(best_cpu[library.name], result["cpu_seconds"])
                line = []
                for library in group:
                    queries = library.build["queries"]
                    record = {"type": "search", "impl": library.build["impl"], "kind": kind, "dataset": args.dataset,
                              "ef": ef, "k": 10, "recall": recall[library.name],
                              "qps": queries / best[library.name]["seconds"],
                              "cpu_qps": queries / best_cpu[library.name], "p50_us": best[library.name]["p50_us"]}
                    write(record)
                    line.append(f"{library.name} {record['recall']:.3f}/{record['qps']:,.0f}")
                print(f"  ef {ef}: " + "  ".join(line), file=sys.stderr, flush=True)
    finally:
        for library in libraries:
            library.close()
        out.close()


if __name__ == "__main__":
    main()
