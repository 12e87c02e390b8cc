"""Peer measurements for the index benchmark: the same measures as hyperion-index-bench.

  peer.py vector --lib hnswlib|faiss-flat|faiss-hnsw|usearch|usearch-bf16 --vectors F.f32 --queries Q.f32
      --ground-truth G.i32 [--dim 384] [--m 16] [--ef-construction 100] [--ef 10,16,32,64] [--k 10]
      [--limit N] [--passes 5] [--dataset NAME] [--serve 1] [--persist-dir DIR] [--loads 3]
  peer.py bm25 --corpus corpus.jsonl --queries queries.jsonl [--k 10] [--k1 0.9] [--b 0.4] [--passes 5]
      [--results-out FILE]

One library per process, so each one's memory figure is its own. Everything runs on one thread: builds
and searches alike, one query per call. Vectors are unit length, so every library uses inner product.
usearch stores float32 like the others; usearch-bf16 is its default (bfloat16 vectors).
Human-readable lines on stderr, JSON lines on stdout (same fields as the Swift side): wall-clock and
process-CPU-time figures (`qps` / `cpu_qps`, `build_s` / `build_cpu_s`).
Persistence as on the Swift side (unless `--persist-dir ""`): each library's own save and load (hnswlib
save_index / load_index, faiss write_index / read_index, usearch save / restore), the file's pages dropped
from the page cache before the first (cold) load, then `--loads` - 1 warm loads; searches use the loaded copy.
"""
import argparse
import ctypes
import json
import os
import sys
import tempfile
import time

# One thread everywhere, set before numpy / faiss load their thread pools.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import numpy as np  # noqa: E402


def log(message):
    print(message, file=sys.stderr, flush=True)


def emit(record):
    print(json.dumps(record, sort_keys=True), flush=True)


def memory():
    """Resident bytes after giving freed heap pages back (same as the Swift side)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def json_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def time_passes(queries, passes, body):
    """Runs body over every query `passes` times: queries/s of the fastest pass by wall clock and by
    process CPU time, and the median latency (µs) of the fastest wall-clock pass."""
    best, best_cpu, best_latencies = float("inf"), float("inf"), None
    clock, cpu_clock = time.perf_counter, time.process_time
    for _ in range(passes):
        latencies = []
        start, start_cpu = clock(), cpu_clock()
        for query in queries:
            begin = clock()
            body(query)
            latencies.append(clock() - begin)
        cpu = cpu_clock() - start_cpu
        seconds = clock() - start
        best_cpu = min(best_cpu, cpu)
        if seconds < best:
            best, best_latencies = seconds, latencies
    best_latencies.sort()
    return len(queries) / best, len(queries) / best_cpu, best_latencies[len(best_latencies) // 2] * 1e6


def measure(queries, truth, k, passes, search):
    """One untimed pass for recall (and warm-up), then `passes` timed passes; the fastest counts."""
    hits = 0
    for query, expected in zip(queries, truth):
        hits += len(expected.intersection(int(label) for label in search(query)))
    return (hits / (len(queries) * k),) + time_passes(queries, passes, search)


class Hnswlib:
    kind = "hnsw"

    def __init__(self, data, m, ef_construction):
        import hnswlib
        from importlib.metadata import version
        self.version = version("hnswlib")
        self.dim, self.count = data.shape[1], len(data)
        self.index = hnswlib.Index(space="ip", dim=data.shape[1])
        self.index.init_index(max_elements=len(data), ef_construction=ef_construction, M=m, random_seed=42)
        self.index.set_num_threads(1)
        self.index.add_items(data, np.arange(len(data)), num_threads=1)

    def save(self, path):
        self.index.save_index(path)

    def load(self, path):
        import hnswlib
        self.index = None
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.load_index(path, max_elements=self.count)
        index.set_num_threads(1)
        self.index = index

    def prepare(self, ef, k):
        self.index.set_ef(max(ef, k))
        index = self.index
        return lambda q: index.knn_query(q, k=k, num_threads=1)[0][0]


class FaissFlat:
    kind = "flat"

    def __init__(self, data, m, ef_construction):
        import faiss
        faiss.omp_set_num_threads(1)
        self.version = faiss.__version__
        self.faiss = faiss
        self.index = faiss.IndexFlatIP(data.shape[1])
        self.index.add(data)

    def save(self, path):
        self.faiss.write_index(self.index, path)

    def load(self, path):
        self.index = None
        self.index = self.faiss.read_index(path)

    def prepare(self, ef, k):
        index = self.index
        return lambda q: index.search(q[None, :], k)[1][0]


class FaissHNSW:
    kind = "hnsw"

    def __init__(self, data, m, ef_construction):
        import faiss
        faiss.omp_set_num_threads(1)
        self.version = faiss.__version__
        self.faiss = faiss
        self.index = faiss.IndexHNSWFlat(data.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self.index.add(data)

    def save(self, path):
        self.faiss.write_index(self.index, path)

    def load(self, path):
        self.index = None
        self.index = self.faiss.read_index(path)

    def prepare(self, ef, k):
        index = self.index
        index.hnsw.efSearch = max(ef, k)
        return lambda q: index.search(q[None, :], k)[1][0]


class USearch:
    kind = "hnsw"
    dtype = "f32"

    def __init__(self, data, m, ef_construction):
        import usearch
        from usearch.index import Index
        self.version = usearch.__version__
        self.index = Index(ndim=data.shape[1], metric="ip", dtype=self.dtype, connectivity=m,
                           expansion_add=ef_construction, expansion_search=64)
        self.index.add(np.arange(len(data)), data, threads=1)

    def save(self, path):
        self.index.save(path)

    def load(self, path):
        from usearch.index import Index
        self.index = None
        self.index = Index.restore(path)  # a full load into memory (Index.restore(path, view=True) would map it)

    def prepare(self, ef, k):
        self.index.expansion_search = max(ef, k)
        index = self.index
        return lambda q: index.search(q, k, threads=1).keys


class USearchBF16(USearch):
    """usearch's default: vectors stored as bfloat16 (half the memory, slightly lower recall)."""
    dtype = "bf16"


LIBRARIES = {"hnswlib": Hnswlib, "faiss-flat": FaissFlat, "faiss-hnsw": FaissHNSW, "usearch": USearch,
             "usearch-bf16": USearchBF16}


def vector(args):
    dim, k = args.dim, args.k
    data = np.fromfile(args.vectors, dtype="<f4").reshape(-1, dim)
    if args.limit:
        data = data[: args.limit]
    data = np.ascontiguousarray(data)
    queries = [np.ascontiguousarray(row) for row in np.fromfile(args.queries, dtype="<f4").reshape(-1, dim)]
    truth_flat = np.fromfile(args.ground_truth, dtype="<i4").reshape(len(queries), -1)
    truth = [set(int(x) for x in row[:k]) for row in truth_flat]
    dataset = args.dataset or os.path.splitext(os.path.basename(args.vectors))[0]
    raw_mb = data.nbytes / 1048576
    library = LIBRARIES[args.lib]
    # Load the library's module before the memory baseline, so its code and tables are not counted as index.
    __import__({"hnswlib": "hnswlib", "faiss-flat": "faiss", "faiss-hnsw": "faiss"}.get(args.lib, "usearch.index"))

    before = memory()
    start, start_cpu = time.perf_counter(), time.process_time()
    index = library(data, args.m, args.ef_construction)
    build_s, build_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
    memory_mb = (memory() - before) / 1048576
    log(f"{args.lib} {index.version} on {dataset} ({len(data)} × {dim}): build {build_s:.2f} s (CPU {build_cpu_s:.2f} s), "
        f"RSS +{memory_mb:.2f} MB ({memory_mb / raw_mb:.2f}× raw)")
    build = {"type": "build", "impl": args.lib, "kind": library.kind, "dataset": dataset, "n": len(data), "dim": dim,
             "build_s": build_s, "build_cpu_s": build_cpu_s, "memory_mb": memory_mb,
             "raw_mb": raw_mb, "threads": 1, "queries": len(queries), "version": index.version}
    if library.kind == "hnsw":
        build.update(m=args.m, ef_construction=args.ef_construction)
    del data
    if args.persist_dir:
        build.update(persist(index, args))
    emit(build)
    if args.serve:
        serve(queries, truth, k, index)
        return
    efs = [0] if library.kind == "flat" else [int(x) for x in args.ef.split(",")]
    passes = min(args.passes, 2) if library.kind == "flat" else args.passes
    for ef in efs:
        recall, qps, cpu_qps, p50 = measure(queries, truth, k, passes, index.prepare(ef, k))
        log(f"  ef {ef}: recall@{k} {recall:.4f}, {qps:.2f} q/s (CPU: {cpu_qps:.2f})")
        emit({"type": "search", "impl": args.lib, "kind": library.kind, "dataset": dataset, "ef": ef, "k": k,
              "recall": recall, "qps": qps, "cpu_qps": cpu_qps, "p50_us": p50})


def drop_from_page_cache(path):
    """Drops one file's cached pages (clean after fsync) so the next read comes from the disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            return True
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        return False


def persist(index, args):
    """Saves the index, drops it, loads it cold and then warm; the index object keeps the last loaded copy."""
    path = os.path.join(args.persist_dir, f"{args.lib}-{args.dataset or 'data'}-{os.getpid()}.index")
    try:
        start = time.perf_counter()
        index.save(path)
        save_s = time.perf_counter() - start
        file_mb = os.path.getsize(path) / 1048576
        index.index = None  # release the built index before loading
        evicted = drop_from_page_cache(path)
        loads = []
        for _ in range(max(1, args.loads)):
            index.index = None
            start, start_cpu = time.perf_counter(), time.process_time()
            index.load(path)
            loads.append((time.perf_counter() - start, time.process_time() - start_cpu))
    finally:
        if os.path.exists(path):
            os.remove(path)
    warm = min(loads[1:], key=lambda load: load[0]) if len(loads) > 1 else loads[0]
    log(f"persisted: {file_mb:.2f} MB, save {save_s:.2f} s, load {'cold' if evicted else 'first'} {loads[0][0]:.3f} s, "
        f"warm {warm[0]:.3f} s")
    return {"file_mb": file_mb, "save_s": save_s, "load_cold_s": loads[0][0], "load_cold_cpu_s": loads[0][1],
            "load_cold_evicted": evicted, "load_s": warm[0], "load_cpu_s": warm[1]}


def serve(queries, truth, k, index):
    """Answers compare.py's commands on stdin (same protocol as hyperion-index-bench --serve 1):
    `recall EF`, `pass EF` (one timed pass after a 50-query warm-up), `quit`."""
    emit({"type": "ready"})
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2 or words[0] not in ("recall", "pass"):
            return
        ef = int(words[1])
        search = index.prepare(ef, k)
        if words[0] == "recall":
            hits = sum(len(expected.intersection(int(label) for label in search(query)))
                       for query, expected in zip(queries, truth))
            emit({"type": "recall", "ef": ef, "recall": hits / (len(queries) * k)})
        else:
            for query in queries[:50]:
                search(query)
            qps, cpu_qps, p50 = time_passes(queries, 1, search)
            emit({"type": "pass", "ef": ef, "seconds": len(queries) / qps, "cpu_seconds": len(queries) / cpu_qps,
                  "p50_us": p50})


def bm25(args):
    import bm25s
    import Stemmer

    documents = json_lines(args.corpus)
    ids = [d["_id"] for d in documents]
    texts = [f"{d.get('title', '')} {d.get('text', '')}" for d in documents]
    queries = [q["text"] for q in json_lines(args.queries)]
    stemmer = Stemmer.Stemmer("english")
    log(f"bm25s {bm25s.__version__}: {len(texts)} documents, {len(queries)} queries, k1 {args.k1} b {args.b}")

    before = memory()
    start, start_cpu = time.perf_counter(), time.process_time()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25(method="lucene", k1=args.k1, b=args.b)
    retriever.index(tokens, show_progress=False)
    build_s, build_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
    memory_mb = (memory() - before) / 1048576
    log(f"bm25s: tokenize + index {build_s:.2f} s, RSS +{memory_mb:.2f} MB")

    def search(query):
        query_tokens = bm25s.tokenize(query, stopwords="en", stemmer=stemmer, show_progress=False)
        return retriever.retrieve(query_tokens, k=args.k, show_progress=False, n_threads=0)[0][0]  # 0: on this thread

    results = [[ids[int(i)] for i in search(q)] for q in queries]
    qps, cpu_qps, p50 = time_passes(queries, args.passes, search)
    log(f"bm25s: {qps:.2f} q/s single-threaded (CPU: {cpu_qps:.2f})")
    if args.results_out:
        with open(args.results_out, "w") as handle:
            for row in results:
                handle.write(json.dumps(row) + "\n")
    emit({"type": "build", "impl": "bm25s", "kind": "bm25", "dataset": "scifact", "n": len(texts), "build_s": build_s,
          "build_cpu_s": build_cpu_s, "memory_mb": memory_mb, "threads": 1, "queries": len(queries), "version": bm25s.__version__})
    emit({"type": "search", "impl": "bm25s", "kind": "bm25", "dataset": "scifact", "k": args.k, "qps": qps,
          "cpu_qps": cpu_qps, "p50_us": p50})


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("vector")
    v.add_argument("--lib", choices=sorted(LIBRARIES), required=True)
    v.add_argument("--vectors", required=True)
    v.add_argument("--queries", required=True)
    v.add_argument("--ground-truth", required=True)
    v.add_argument("--dim", type=int, default=384)
    v.add_argument("--m", type=int, default=16)
    v.add_argument("--ef-construction", type=int, default=100)
    v.add_argument("--ef", default="10,16,24,32,48,64,96,128")
    v.add_argument("--k", type=int, default=10)
    v.add_argument("--limit", type=int, default=0)
    v.add_argument("--passes", type=int, default=5)
    v.add_argument("--dataset", default="")
    v.add_argument("--serve", type=int, default=0)
    v.add_argument("--persist-dir", default=tempfile.gettempdir(), help='"" skips the save / load measurement')
    v.add_argument("--loads", type=int, default=3)
    b = sub.add_parser("bm25")
    b.add_argument("--corpus", required=True)
    b.add_argument("--queries", required=True)
    b.add_argument("--k", type=int, default=10)
    b.add_argument("--k1", type=float, default=0.9)
    b.add_argument("--b", type=float, default=0.4)
    b.add_argument("--passes", type=int, default=5)
    b.add_argument("--results-out", default="")
    args = parser.parse_args()
    vector(args) if args.command == "vector" else bm25(args)


if __name__ == "__main__":
    main()
