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
export HOSTNAME PORT
exec node "$here/.next/standalone/server.js"
