"""Reads the `hyperion eval beir --json` results of run.sh, times the same vector queries through each engine's own
Python client, and prints the Markdown report.
   report.py WORKDIR PGVECTOR_URL CHROMA_URL MILVUS_ADDRESS "STORES" """
import json
import os
import subprocess
import sys

work, pg, chroma, milvus, stores = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split()
EVAL_KB = "00000000-0000-4000-8000-0000000000be".replace("-", "")
NAME = f"hyv_{EVAL_KB}_1"
K = 400  # what the retriever asks each index for here: 100 candidates × 4 at document granularity (Retriever.depth)

PG_CLIENT = r'''
import json, sys, time, psycopg
url, name, k, path = sys.argv[1:5]
k = int(k)
queries = [json.loads(l)["vector"] for l in open(path)]
conn = psycopg.connect(url.split("?")[0], autocommit=True)
def run(q, exact):
    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = " + ("off" if exact else "on"))
        conn.execute(f"SET LOCAL hnsw.ef_search = {min(max(40, k), 1000)}")
        lit = "[" + ",".join(repr(float(x)) for x in q) + "]"
        return [r[0] for r in conn.execute(f"SELECT id, embedding <=> %s::vector FROM {name} ORDER BY embedding <=> %s::vector LIMIT {k}", (lit, lit))]
for q in queries[:20]: run(q, False)  # warm up
lat, ann = [], []
for q in queries:
    t = time.perf_counter(); ids = run(q, False); lat.append((time.perf_counter() - t) * 1000); ann.append(ids[:10])
exact = [run(q, True)[:10] for q in queries]
lat.sort()
recall = sum(len(set(a) & set(e)) for a, e in zip(ann, exact)) / sum(len(e) for e in exact)
print(json.dumps({"p50": lat[len(lat) // 2], "p95": lat[len(lat) * 95 // 100], "recall10": recall, "exact": exact}))
'''

CHROMA_CLIENT = r'''
import json, sys, time, chromadb
exact_path, url, name, k, path = sys.argv[1:6]
k = int(k)
host, port = url.split("://")[1].split(":")
client = chromadb.HttpClient(host=host, port=int(port))
col = client.get_collection(name)
queries = [json.loads(l)["vector"] for l in open(path)]
exact = json.load(open(exact_path))
for q in queries[:20]: col.query(query_embeddings=[q], n_results=k, include=["distances", "metadatas"])
lat, ann = [], []
for q in queries:
    t = time.perf_counter(); r = col.query(query_embeddings=[q], n_results=k, include=["distances", "metadatas"])
    lat.append((time.perf_counter() - t) * 1000); ann.append(r["ids"][0][:10])
lat.sort()
recall = sum(len(set(a) & set(e)) for a, e in zip(ann, exact)) / sum(len(e) for e in exact)
print(json.dumps({"p50": lat[len(lat) // 2], "p95": lat[len(lat) * 95 // 100], "recall10": recall}))
'''

# Hyperion's own settings: HNSW ef = max(vector.milvus.ef_search 200, k), strong consistency, the document id returned.
MILVUS_CLIENT = r'''
import json, sys, time
from pymilvus import connections, Collection
exact_path, address, name, k, path = sys.argv[1:6]
k = int(k)
host, port = address.split(":")
connections.connect(host=host, port=port)
col = Collection(name)
queries = [json.loads(l)["vector"] for l in open(path)]
exact = json.load(open(exact_path))
params = {"metric_type": "COSINE", "params": {"ef": max(200, k)}}
def run(q):
    return col.search([q], "vector", params, limit=k, output_fields=["document_id"], consistency_level="Strong")[0]
for q in queries[:20]: run(q)
lat, ann = [], []
for q in queries:
    t = time.perf_counter(); r = run(q); lat.append((time.perf_counter() - t) * 1000); ann.append(list(r.ids)[:10])
lat.sort()
recall = sum(len(set(a) & set(e)) for a, e in zip(ann, exact)) / sum(len(e) for e in exact)
print(json.dumps({"p50": lat[len(lat) // 2], "p95": lat[len(lat) * 95 // 100], "recall10": recall}))
'''

results = {}
for store in stores:
    for mode in ("hybrid", "vector", "keyword"):
        path = os.path.join(work, f"{store}-{mode}.json")
        if os.path.exists(path):
            results[(store, mode)] = json.load(open(path))

queries = os.path.join(work, "queries.jsonl")
native = {}
exact = os.path.join(work, "exact.json")


def client(store, python, script, *args):
    """Runs one engine's own client; its JSON result, or None (with its error printed) when it failed."""
    out = subprocess.run([os.environ.get(python, "python3"), "-c", script, *args, NAME, str(K), queries], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return None
    native[store] = json.loads(out.stdout)
    return native[store]


# pgvector's exact search gives the truth the other engines' recall is measured against.
if "pgvector" in stores and client("pgvector", "PGVECTOR_PYTHON", PG_CLIENT, pg):
    json.dump(native["pgvector"]["exact"], open(exact, "w"))
for store, python, script, address in (("chroma", "CHROMA_PYTHON", CHROMA_CLIENT, chroma), ("milvus", "MILVUS_PYTHON", MILVUS_CLIENT, milvus)):
    if store in stores and os.path.exists(exact):
        client(store, python, script, exact, address)

first = next(iter(results.values()))
print(f"SciFact train: {first['queries']} queries, {first['documents']} documents, {first['passages']} passages; "
      f"model {first['settings']['model']}; one query at a time.\n")
print("| store | hybrid nDCG@10 | vector nDCG@10 | keyword nDCG@10 | hybrid Recall@10 | vectors into the engine (passages/s) | keyword postings into the store (documents/s) |")
print("|---|---|---|---|---|---|---|")
for store in stores:
    h, v, kw = results.get((store, "hybrid")), results.get((store, "vector")), results.get((store, "keyword"))
    if not (h and v and kw):
        continue
    cv, ck = h["seconds"].get("copy_vectors"), h["seconds"].get("copy_keywords")
    vectors_rate = f"{h['passages'] / cv:.0f}" if cv else "(in process)"
    keywords_rate = f"{h['documents'] / ck:.0f}" if ck else "(in process)"
    print(f"| {store} | {h['metrics']['ndcg@10']:.4f} | {v['metrics']['ndcg@10']:.4f} | {kw['metrics']['ndcg@10']:.4f} | "
          f"{h['metrics']['recall@10']:.4f} | {vectors_rate} | {keywords_rate} |")
print()
print("Per-query search latency through Hyperion's index seam (ms, p50 / p95):\n")
print("| store | hybrid | vector | keyword |")
print("|---|---|---|---|")
for store in stores:
    row = [f"{results[(store, m)]['seconds']['search_p50_ms']:.2f} / {results[(store, m)]['seconds']['search_p95_ms']:.2f}"
           if (store, m) in results else "–" for m in ("hybrid", "vector", "keyword")]
    print(f"| {store} | " + " | ".join(row) + " |")
print()
if native:
    print(f"The same vector queries (k = {K}) through each engine's own Python client, same tables, same run:\n")
    print("| engine | client | client p50 / p95 (ms) | Hyperion p50 / p95 (ms) | Hyperion's overhead at p50 | engine recall@10 vs exact |")
    print("|---|---|---|---|---|---|")
    for store, client in (("pgvector", "psycopg 3"), ("milvus", "pymilvus 2.3.8"), ("chroma", "chromadb")):
        if store in native and (store, "vector") in results:
            n, h = native[store], results[(store, "vector")]["seconds"]
            print(f"| {store} | {client} | {n['p50']:.2f} / {n['p95']:.2f} | {h['search_p50_ms']:.2f} / {h['search_p95_ms']:.2f} | "
                  f"{(h['search_p50_ms'] / n['p50'] - 1) * 100:+.0f} % | {n['recall10']:.3f} |")
