"""sentence-transformers embedding the same SciFact texts (title + abstract), batch 32, CPU: the time alone."""
import json
import sys
import time

import torch
from sentence_transformers import SentenceTransformer

model_dir, limit = sys.argv[1], int(sys.argv[2])
docs = [json.loads(line) for line in open("../shared/data/scifact/corpus.jsonl")]
docs = docs[:limit] if limit else docs
texts = [d["title"] + "\n\n" + d["text"] for d in docs]
model = SentenceTransformer(model_dir, device="cpu")
start = time.time()
model.encode(texts, batch_size=32)
print(json.dumps({"documents": len(texts), "seconds": time.time() - start, "torch": torch.__version__}))
