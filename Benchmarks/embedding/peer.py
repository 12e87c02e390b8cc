"""Peer measurement: sentence-transformers on PyTorch CPU, same measures as hyperion-embed-bench.

Usage: peer.py [--model DIR] [--corpus FILE] [--queries FILE] [--limit N] [--threads N] [--query-count N]
Prints human-readable lines on stderr and one JSON object on stdout.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def json_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round((len(values) - 1) * p)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.path.join(ROOT, "data/models/all-MiniLM-L6-v2"))
    parser.add_argument("--corpus", default=os.path.join(ROOT, "../shared/data/scifact/corpus.jsonl"))
    parser.add_argument("--queries", default=os.path.join(ROOT, "../shared/data/scifact/queries.train.jsonl"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--query-count", type=int, default=200)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    documents = [f"{d.get('title', '')} {d.get('text', '')}" for d in json_lines(args.corpus)][: args.limit]
    queries = [q["text"] for q in json_lines(args.queries)] or ["What is the role of microRNA in cancer?"]

    before = rss_kib()
    model = SentenceTransformer(args.model, device="cpu")
    after = rss_kib()
    rss_added_mb = (after - before) / 1024
    print(f"model loaded: RSS +{rss_added_mb:.2f} MB", file=sys.stderr)

    model.encode(documents[:32], batch_size=32)  # warm-up

    # Matmul FLOPs from the real token counts (same formula as the Swift bench).
    config = model[0].auto_model.config
    h, inter, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    lengths = [len(ids) for ids in model.tokenizer(documents, truncation=True, max_length=model.max_seq_length)["input_ids"]]
    flops = sum(layers * (2 * n * (4 * h * h + 2 * h * inter) + 4 * n * n * h) for n in lengths)

    with torch.inference_mode():
        start = time.perf_counter()
        vectors = model.encode(documents, batch_size=32, convert_to_numpy=True)
        seconds = time.perf_counter() - start
    assert len(vectors) == len(documents)
    docs_per_s = len(documents) / seconds
    gflops = flops / seconds / 1e9
    print(f"{len(documents)} documents in {seconds:.2f} s: {docs_per_s:.2f} docs/s, {gflops:.2f} GFLOP/s", file=sys.stderr)

    latencies = []
    with torch.inference_mode():
        for index in range(args.query_count):
            query = queries[index % len(queries)]
            begin = time.perf_counter()
            model.encode([query], batch_size=32)
            latencies.append((time.perf_counter() - begin) * 1000)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"query latency over {args.query_count}: p50 {p50:.2f} ms, p99 {p99:.2f} ms", file=sys.stderr)

    print(json.dumps({
        "impl": "sentence-transformers", "documents": len(documents), "seconds": seconds, "docs_per_s": docs_per_s,
        "gflops": gflops, "query_p50_ms": p50, "query_p99_ms": p99, "rss_added_mb": rss_added_mb,
        "threads": args.threads, "torch": torch.__version__,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
