# Sourced by the scripts of servers that bind every interface (Milvus, Phoenix): each runs in a network namespace of
# its own with only loopback, named after its data directory, and scripts/nsfwd.py forwards free ports of the host's
# 127.0.0.1 into it.

# free_port: a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ns_name KIND DIR: the namespace of the KIND server whose data is in DIR.
ns_name() { printf 'hyperion-%s-%s' "$1" "$(printf '%s' "$(realpath -m "$2")" | md5sum | cut -c1-8)"; }

# ns_create NS: a new namespace with loopback up.
ns_create() {
  ip netns add "$1"
  ip netns exec "$1" ip link set lo up
}

# ns_forward NS DIR HOSTPORT:NSPORT…: starts the forwarder (its pid in DIR/forward.pid, its log in DIR/forward.log).
ns_forward() {
  local ns="$1" dir="$2"; shift 2
  setsid python3 scripts/nsfwd.py "$ns" "$@" >"$dir/forward.log" 2>&1 &
  echo $! > "$dir/forward.pid"
}

# ns_remove NS DIR: stops the forwarder, kills whatever still runs in the namespace and deletes it.
ns_remove() {
  local ns="$1" dir="$2"
  if [ -f "$dir/forward.pid" ]; then kill "$(cat "$dir/forward.pid")" 2>/dev/null || true; rm -f "$dir/forward.pid"; fi
  if ip netns list | grep -qw "$ns"; then
    for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null || true; done
    sleep 0.2
    ip netns del "$ns"
  fi
}
