"""Data for the index benchmark, cached under Benchmarks/index/.cache (git-ignored).

  prepare.py scifact --hyperion BIN --model DIR [--corpus F] [--queries F] [--out-dir D]
      SciFact abstracts (title, then the text split into sentences) and the train claims, embedded by
      `hyperion embed`: scifact-sentences.jsonl, scifact-sentences.f32, scifact-claims.f32 and
      scifact-sentences.gt.i32 (exact top-10 of each claim by inner product).
  prepare.py synthetic --n N [--dim 384] [--queries 1000] [--out-dir D]
      Clustered unit vectors: clustered-N.f32, clustered-queries.f32, clustered-N.gt.i32.

.f32 files are raw float32 rows (little-endian), .gt.i32 raw int32, 10 row numbers per query, best first.
Files that exist are kept, so reruns skip the embedding.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TRUTH_K = 10

# A sentence ends at . ! or ? followed by white space and a capital, digit or opening bracket.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def log(message):
    print(message, file=sys.stderr, flush=True)


def json_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def sentences(corpus):
    out = []
    for document in json_lines(corpus):
        title = document.get("title", "").strip()
        if title:
            out.append(title)
        out.extend(part.strip() for part in SENTENCE_END.split(document.get("text", "")) if part.strip())
    return out


def embed(texts, hyperion, model, path):
    """Runs `hyperion embed` over texts and writes the vectors to path (float32 rows)."""
    if os.path.exists(path) and os.path.getsize(path) == len(texts) * 384 * 4:
        log(f"cached: {path}")
        return
    log(f"embedding {len(texts)} texts with {hyperion} embed → {path}")
    process = subprocess.Popen([hyperion, "embed", "--model", model], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def feed():
        for text in texts:
            process.stdin.write((json.dumps({"text": text}) + "\n").encode())
        process.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    rows, start = [], time.time()
    for line in process.stdout:
        record = json.loads(line)
        rows.append(np.asarray(record["embedding"], dtype=np.float32))
        if len(rows) % 2000 == 0:
            log(f"  {len(rows)}/{len(texts)} ({len(rows) / (time.time() - start):.0f}/s)")
    writer.join()
    if process.wait() != 0 or len(rows) != len(texts):
        sys.exit(f"hyperion embed failed: {len(rows)} of {len(texts)} vectors")
    vectors = np.vstack(rows)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    tmp = path + ".tmp"
    vectors.astype("<f4").tofile(tmp)
    os.replace(tmp, path)
    log(f"  done in {time.time() - start:.0f} s")


def ground_truth(base_path, queries_path, out_path, dim):
    if os.path.exists(out_path) and os.path.getmtime(out_path) >= os.path.getmtime(base_path):
        log(f"cached: {out_path}")
        return
    base = np.fromfile(base_path, dtype="<f4").reshape(-1, dim)
    queries = np.fromfile(queries_path, dtype="<f4").reshape(-1, dim)
    truth = np.empty((len(queries), TRUTH_K), dtype="<i4")
    for start in range(0, len(queries), 100):
        scores = queries[start:start + 100] @ base.T
        top = np.argpartition(-scores, TRUTH_K, axis=1)[:, :TRUTH_K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        truth[start:start + 100] = np.take_along_axis(top, order, axis=1)
    tmp = out_path + ".tmp"
    truth.tofile(tmp)
    os.replace(tmp, out_path)
    log(f"ground truth: {out_path}")


def scifact(args):
    texts = sentences(args.corpus)
    claims = [q["text"] for q in json_lines(args.queries)]
    with open(os.path.join(args.out_dir, "scifact-sentences.jsonl"), "w", encoding="utf-8") as handle:
        for text in texts:
            handle.write(json.dumps({"text": text}) + "\n")
    log(f"SciFact: {len(texts)} sentences, {len(claims)} claims")
    base = os.path.join(args.out_dir, "scifact-sentences.f32")
    queries = os.path.join(args.out_dir, "scifact-claims.f32")
    embed(texts, args.hyperion, args.model, base)
    embed(claims, args.hyperion, args.model, queries)
    ground_truth(base, queries, os.path.join(args.out_dir, "scifact-sentences.gt.i32"), 384)


def clustered(count, dim, seed, centers, latent):
    """Unit vectors around `centers`: each point is its cluster centre plus low-rank noise (the
    cluster's own 24 directions) plus a little isotropic noise, so nearby points share a local
    subspace as sentence embeddings do, then normalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, 50_000):
        size = min(50_000, count - start)
        cluster = rng.integers(0, len(centers), size)
        local = np.einsum("nr,nrd->nd", rng.standard_normal((size, latent.shape[1])).astype(np.float32), latent[cluster])
        points = centers[cluster] + 0.35 * local + 0.15 * rng.standard_normal((size, dim)).astype(np.float32) / np.sqrt(dim)
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        out[start:start + size] = points
    return out


def synthetic(args):
    rng = np.random.default_rng(7)
    clusters = 2000
    centers = rng.standard_normal((clusters, args.dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    latent = rng.standard_normal((clusters, 24, args.dim)).astype(np.float32) / np.sqrt(args.dim)
    base = os.path.join(args.out_dir, f"clustered-{args.n}.f32")
    queries = os.path.join(args.out_dir, "clustered-queries.f32")
    if not os.path.exists(queries):
        clustered(args.queries, args.dim, 1, centers, latent).astype("<f4").tofile(queries)
    if os.path.exists(base) and os.path.getsize(base) == args.n * args.dim * 4:
        log(f"cached: {base}")
    else:
        log(f"generating {args.n} clustered {args.dim}-d vectors")
        clustered(args.n, args.dim, 2, centers, latent).astype("<f4").tofile(base + ".tmp")
        os.replace(base + ".tmp", base)
    ground_truth(base, queries, os.path.join(args.out_dir, f"clustered-{args.n}.gt.i32"), args.dim)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scifact")
    s.add_argument("--hyperion", default=os.path.join(ROOT, ".build/release/hyperion"))
    s.add_argument("--model", default=os.path.join(ROOT, "data/models/all-MiniLM-L6-v2"))
    s.add_argument("--corpus", default=os.path.join(ROOT, "../shared/data/scifact/corpus.jsonl"))
    s.add_argument("--queries", default=os.path.join(ROOT, "../shared/data/scifact/queries.train.jsonl"))
    s.add_argument("--out-dir", default=os.path.join(HERE, ".cache"))
    c = sub.add_parser("synthetic")
    c.add_argument("--n", type=int, required=True)
    c.add_argument("--dim", type=int, default=384)
    c.add_argument("--queries", type=int, default=1000)
    c.add_argument("--out-dir", default=os.path.join(HERE, ".cache"))
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    scifact(args) if args.command == "scifact" else synthetic(args)


if __name__ == "__main__":
    main()
