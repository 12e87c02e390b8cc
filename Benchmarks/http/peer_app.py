"""The FastAPI peer for the HTTP benchmark: the same JSON as Hyperion for GET /health, GET /api/v1/auth/me
(HS256 JWT verified with PyJWT, user looked up in memory) and POST /api/v1/auth/login (bcrypt cost 12)."""
import time
import uuid

import bcrypt
import jwt
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

SECRET = "benchmark-secret-benchmark-secret-0123456789"
app = FastAPI()
USER_ID = str(uuid.uuid4())
USERS = {
    USER_ID: {
        "id": USER_ID, "email": "bench@example.com", "full_name": None, "role": "admin", "is_disabled": False,
        "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
        "hash": bcrypt.hashpw(b"bench-password-1", bcrypt.gensalt(12)),
    }
}


class Login(BaseModel):
    email: str
    password: str


@app.get("/health")
def health():
    return {"status": "ok", "version": "0.1.0"}


@app.get("/api/v1/auth/me")
def me(authorization: str = Header(None)):
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401)
    try:
        claims = jwt.decode(authorization[7:], SECRET, algorithms=["HS256"], issuer="hyperion", leeway=30)
    except jwt.PyJWTError:
        raise HTTPException(401)
    user = USERS.get(claims["sub"])
    if not user or user["is_disabled"]:
        raise HTTPException(401)
    return {k: v for k, v in user.items() if k != "hash"}


@app.post("/api/v1/auth/login")
def login(body: Login):
    user = next((u for u in USERS.values() if u["email"] == body.email), None)
    if not user or not bcrypt.checkpw(body.password.encode(), user["hash"]):
        raise HTTPException(401)
    now = int(time.time())
    token = jwt.encode({"sub": user["id"], "role": user["role"], "iat": now, "exp": now + 900, "jti": str(uuid.uuid4()),
                        "iss": "hyperion"}, SECRET, algorithm="HS256")
    return {"access_token": token, "token_type": "bearer", "expires_in": 900, "refresh_token": str(uuid.uuid4())}


@app.get("/token")
def token():
    now = int(time.time())
    return {"access_token": jwt.encode({"sub": USER_ID, "role": "admin", "iat": now, "exp": now + 3600, "jti": "x",
                                        "iss": "hyperion"}, SECRET, algorithm="HS256")}
