"""`hyperion eval beir` from outside: quality on SciFact (keyword), the hybrid path and index reuse on a
slice with the tiny test model, and clear errors for bad input.
   eval_checks.py BINARY WORKDIR"""
import glob
import json
import os
import subprocess
import sys

binary, work = sys.argv[1], sys.argv[2]
scifact = "../shared/data/scifact"
tiny = "../shared/fixtures/embeddings/tiny-bert-cls"
failures = []
os.makedirs(work, exist_ok=True)


def check(name, condition, detail=""):
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else f"  {detail}"))
    if not condition:
        failures.append(name)


def run(*args):
    return subprocess.run([binary, "eval", "beir", *args], capture_output=True, text=True, timeout=600)


def report(p):
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


full = ["--corpus", f"{scifact}/corpus.jsonl", "--queries", f"{scifact}/queries.train.jsonl",
        "--qrels", f"{scifact}/qrels/train.tsv"]

# BM25 over the whole corpus: a quality floor (0.6945 measured; bm25s with a stemmer gives 0.696).
p = run(*full, "--mode", "keyword", "--json")
r = report(p)
check("keyword eval on SciFact train runs", p.returncode == 0 and r is not None, p.stderr[-500:])
if r:
    check("keyword nDCG@10 >= 0.69 on 809 claims", r["queries"] == 809 and r["metrics"]["ndcg@10"] >= 0.69, r["metrics"])
    check("report has every measure and timing", set(r["metrics"]) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
          and "search" in r["seconds"] and "index" in r["seconds"], r)

# A slice: the first 300 documents and the claims judged against them, with the tiny model (fast in debug).
with open(f"{scifact}/corpus.jsonl") as f:
    docs = [json.loads(line) for line in f][:300]
ids = {d["_id"] for d in docs}
qrels = [line.rstrip("\n").split("\t") for line in open(f"{scifact}/qrels/train.tsv")][1:]
qrels = [q for q in qrels if q[1] in ids]
qids = {q[0] for q in qrels}
queries = [json.loads(line) for line in open(f"{scifact}/queries.train.jsonl")]
with open(f"{work}/corpus.jsonl", "w") as f:
    f.writelines(json.dumps(d) + "\n" for d in docs)
with open(f"{work}/queries.jsonl", "w") as f:
    f.writelines(json.dumps(q) + "\n" for q in queries if q["_id"] in qids)
with open(f"{work}/qrels.trec", "w") as f:  # TREC layout this time
    f.writelines(f"{q} 0 {d} {s}\n" for q, d, s in qrels)
small = ["--corpus", f"{work}/corpus.jsonl", "--queries", f"{work}/queries.jsonl", "--qrels", f"{work}/qrels.trec",
         "--model", tiny, "--index-dir", f"{work}/index", "--json"]
first = report(run(*small, "--mode", "hybrid"))
# The index directory holds one index-catalog generation: <dir>/<knowledge-base>/<n>/vectors.hyv.
saved = glob.glob(f"{work}/index/*/*/vectors.hyv")
check("hybrid eval builds and saves an index", first is not None and first["passages"] >= 300
      and "embed_documents" in first["seconds"] and len(saved) == 1, (first, saved))
second = report(run(*small, "--mode", "hybrid"))
check("second run reuses the saved index with the same result", second is not None and "load" in second["seconds"]
      and "embed_documents" not in second["seconds"] and first and second["metrics"] == first["metrics"], second)
rrf = report(run(*small, "--mode", "hybrid", "--fusion", "rrf", "--rrf-k", "10"))
check("rrf fusion selectable", rrf is not None and rrf["settings"]["fusion"] == "rrf", rrf)
vec = report(run(*small, "--mode", "vector"))
check("vector mode on the slice", vec is not None and vec["mode"] == "vector" and vec["queries"] == len(qids), vec)

# A damaged saved index is rebuilt, not trusted.
path = saved[0]
with open(path, "r+b") as f:
    f.seek(os.path.getsize(path) // 2)
    f.write(b"\xff\xff\xff\xff")
again = report(run(*small, "--mode", "hybrid"))
check("damaged index file is rebuilt", again is not None and "embed_documents" in again["seconds"]
      and first and again["metrics"] == first["metrics"], again)

# Bad input: clear messages, non-zero exit, no crash.
with open(f"{work}/bad.tsv", "w") as f:
    f.write("query-id\tcorpus-id\tscore\n1\tA\n")
p = run("--corpus", f"{work}/corpus.jsonl", "--queries", f"{work}/queries.jsonl", "--qrels", f"{work}/bad.tsv", "--mode", "keyword")
check("malformed qrels name the file and line", p.returncode != 0 and "bad.tsv line 2" in p.stderr, p.stderr)
p = run("--corpus", f"{work}/missing.jsonl", "--queries", f"{work}/queries.jsonl", "--qrels", f"{work}/qrels.trec", "--mode", "keyword")
check("missing corpus is named", p.returncode != 0 and "missing.jsonl" in p.stderr, p.stderr)
p = run(*small, "--mode", "hybrid", "--vector-weight", "2")
check("out-of-range option refused", p.returncode != 0 and "--vector-weight" in p.stderr, p.stderr)

sys.exit(1 if failures else 0)
