#!/usr/bin/env bash
# Starts a throwaway OCI registry (Debian's docker-registry, CNCF Distribution) on loopback for
# tests and benchmarks. Usage: scripts/start-registry.sh [port] -> prints its URL on the last line.
# Blobs live under /tmp/garden-registry-<port>; deletes are enabled so garbage collection can run.
set -euo pipefail
port="${1:-55000}"
bin=$(command -v docker-registry || true)
[ -n "$bin" ] || { echo "docker-registry is not installed (apt-get install docker-registry)" >&2; exit 1; }
dir="/tmp/garden-registry-$port"
url="http://127.0.0.1:$port"
if ! curl -fsS "$url/v2/" >/dev/null 2>&1; then
  rm -rf "$dir"; mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
YAML
  nohup "$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    curl -fsS "$url/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "$url/v2/" >/dev/null || { echo "docker-registry did not start; see $dir/registry.log" >&2; exit 1; }
fi
echo "$url"
