#!/usr/bin/env bash
# Make sure the PostgreSQL the suite needs answers on 127.0.0.1:5432.
# In CI (CI=true) the PostgreSQL run is mandatory: start the local cluster if it is down, and fail
# if it still does not answer. Outside CI a developer without PostgreSQL is told so, loudly.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if [ "${ARREARS_TEST_POSTGRES_URL:-}" != "" ] && [[ "$ARREARS_TEST_POSTGRES_URL" != *"@127.0.0.1:5432/"* ]]; then
  exit 0  # another server was named; the suite itself will say if it cannot reach it
fi
if ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
echo "PostgreSQL is not reachable on 127.0.0.1:5432 (set ARREARS_TEST_POSTGRES_URL to use another server)" >&2
exit 1
