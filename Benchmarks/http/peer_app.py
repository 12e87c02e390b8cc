"""The FastAPI peer for the HTTP benchmark: the same GET /health JSON as Hyperion."""
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok", "version": "0.1.0"}
