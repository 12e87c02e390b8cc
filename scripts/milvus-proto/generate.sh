#!/usr/bin/env bash
# Regenerates Sources/HyperionMilvus/Generated from Milvus's own protocol definitions. Run by hand, once per Milvus
# protocol upgrade; the output is committed, so builds need neither protoc nor the plugins (building swift-protobuf's
# plugin alone takes about 10 minutes here).
#   scripts/milvus-proto/generate.sh [MILVUS_PROTO_CHECKOUT]
# With a checkout of https://github.com/milvus-io/milvus-proto (tag v2.3.5, 9ed8fb405005c2a2cdb10d30276d8bec9334b023)
# it first cuts proto/*.proto down to the calls Hyperion makes (trim.py) into scripts/milvus-proto/proto; without one it
# generates from the cut files kept there.
# Needs protoc (apt protobuf-compiler) and the two plugins, built from the packages Package.swift already names:
#   swift build -c release --product protoc-gen-swift          (apple/swift-protobuf 1.39.0)
#   swift build -c release --product protoc-gen-grpc-swift-2   (grpc/grpc-swift-protobuf 2.4.1)
# in a scratch package that depends on both; PLUGINS names its .build/release directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../Sources/HyperionMilvus/Generated"
plugins="${PLUGINS:?set PLUGINS to the directory holding protoc-gen-swift and protoc-gen-grpc-swift-2}"
if [ $# -ge 1 ]; then python3 "$here/trim.py" "$1/proto" "$here/proto"; fi
command -v protoc >/dev/null || apt-get install -y -q protobuf-compiler
rm -rf "$out" && mkdir -p "$out"
protoc -I "$here/proto" \
  --plugin=protoc-gen-swift="$plugins/protoc-gen-swift" \
  --swift_out="$out" --swift_opt=Visibility=Internal \
  "$here"/proto/common.proto "$here"/proto/schema.proto "$here"/proto/milvus.proto
# The client of MilvusService only (the other files declare no service).
protoc -I "$here/proto" \
  --plugin=protoc-gen-grpc-swift="$plugins/protoc-gen-grpc-swift-2" \
  --grpc-swift_out="$out" --grpc-swift_opt=Visibility=Internal,Server=false,Client=true \
  "$here"/proto/milvus.proto
ls -l "$out"
