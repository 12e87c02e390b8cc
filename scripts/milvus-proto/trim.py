#!/usr/bin/env python3
"""Cuts milvus-proto down to what Hyperion calls.

The full MilvusService (about 90 RPCs and 300 messages) generates about 40,000 lines of Swift, which would add minutes
to every fresh build. This keeps the listed RPCs and every message and enum they reach, byte for byte as upstream wrote
them (field numbers, types and packages unchanged, so the wire format is Milvus's own); only the RBAC `option
(common.privilege_ext_obj)` blocks and the descriptor extensions that carry them are dropped, as they never reach the wire.

usage: trim.py UPSTREAM_PROTO_DIR OUT_DIR
"""
import re
import sys
from pathlib import Path

RPCS = [
    "CreateCollection", "DropCollection", "HasCollection", "DescribeCollection", "ShowCollections", "LoadCollection",
    "GetLoadState", "ReleaseCollection", "CreateIndex", "DescribeIndex", "Insert", "Delete", "Upsert", "Search", "Query", "Flush",
    "CheckHealth", "GetVersion", "CreateDatabase", "ListDatabases",
]
# Messages sent serialized inside a `bytes` field, so no RPC reaches them by type.
EXTRA = [("common", "PlaceholderGroup")]
FILES = {"common": "milvus.proto.common", "schema": "milvus.proto.schema", "milvus": "milvus.proto.milvus"}


def blocks(text):
    """Top-level statements: (kind, name, source) for message/enum/service/extend, ('line', None, source) otherwise."""
    out, i = [], 0
    while i < len(text):
        m = re.compile(r"(message|enum|service|extend)\s+([\w.]+)\s*\{").match(text, i)
        if m:
            depth, j = 0, m.end() - 1
            while True:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append((m.group(1), m.group(2), text[i:j]))
            i = j
        else:
            j = text.find("\n", i)
            j = len(text) if j < 0 else j + 1
            out.append(("line", None, text[i:j]))
            i = j
    return out


def strip_privileges(source):
    return re.sub(r"\n\s*option \(common\.privilege_ext_obj\) = \{[^}]*\};", "", source)


def main(src, dst):
    parsed = {f: blocks((Path(src) / f"{f}.proto").read_text()) for f in FILES}
    types = {(f, name): source for f, items in parsed.items() for kind, name, source in items if kind in ("message", "enum")}
    service = next(source for kind, name, source in parsed["milvus"] if kind == "service" and name == "MilvusService")
    rpcs = [line for line in service.splitlines() if re.match(r"\s*rpc\s+(\w+)\(", line)
            and re.match(r"\s*rpc\s+(\w+)\(", line).group(1) in RPCS]
    missing = set(RPCS) - {re.match(r"\s*rpc\s+(\w+)\(", r).group(1) for r in rpcs}
    assert not missing, f"not in upstream: {missing}"

    keep, todo = set(), []

    def reach(file, source):
        for token in re.findall(r"[A-Za-z_][\w.]*", source):
            parts = token.split(".")
            owner = parts[0] if len(parts) > 1 and parts[0] in FILES else file
            name = parts[-1] if len(parts) > 1 and parts[0] in FILES else parts[0]
            if (owner, name) in types and (owner, name) not in keep:
                keep.add((owner, name))
                todo.append((owner, name))

    for rpc in rpcs:
        reach("milvus", rpc)
    for file, name in EXTRA:
        keep.add((file, name))
        todo.append((file, name))
    while todo:
        file, name = todo.pop()
        reach(file, strip_privileges(types[(file, name)]))

    Path(dst).mkdir(parents=True, exist_ok=True)
    for file, items in parsed.items():
        out = []
        for kind, name, source in items:
            if kind == "line":
                if "google/protobuf/descriptor.proto" in source:
                    continue
                if source.startswith("import"):
                    imported = re.search(r'"(\w+)\.proto"', source).group(1)
                    if not any(f == imported for f, _ in keep) and not (file == "milvus" and imported in ("common", "schema")):
                        continue
                out.append(source)
            elif kind == "service" and name == "MilvusService":
                out.append("service MilvusService {\n" + "\n".join(rpcs) + "\n}")
            elif kind in ("service", "extend"):
                continue
            elif (file, name) in keep:
                out.append(strip_privileges(source))
        text = re.sub(r"\n{3,}", "\n\n", "".join(out))
        (Path(dst) / f"{file}.proto").write_text(text)
    print(f"kept {len(rpcs)} rpcs, {len(keep)} of {len(types)} messages and enums")


if __name__ == "__main__":
    main(*sys.argv[1:])
