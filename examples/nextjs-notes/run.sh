#!/bin/sh
# Start the standalone server on the address polyregion gives every app.
# Next's server.js listens on $HOSTNAME:$PORT; the contract names the address $HOST, and many
# environments (containers, some shells) export an unrelated HOSTNAME, so map it explicitly.
set -eu
here=$(dirname "$0")
if [ ! -f "$here/.next/standalone/server.js" ]; then
  echo "nextjs-notes is not built: run 'npm ci && npm run build' in $here" >&2
  exit 1
fi
HOSTNAME="${HOST:-127.0.0.1}"
PORT="${PORT:-3000}"
# Node closes idle keep-alive connections after 5 s; a CDN or proxy that pools connections to
# this origin for longer can send a request down one just as it closes. Outlive such pools.
KEEP_ALIVE_TIMEOUT="${KEEP_ALIVE_TIMEOUT:-65000}"
export HOSTNAME PORT KEEP_ALIVE_TIMEOUT
exec node "$here/.next/standalone/server.js"
