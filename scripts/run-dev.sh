#!/usr/bin/env bash
# `make run`: the web app (gunicorn), the scheduler, and, when no MAIL_SERVER is
# configured, a local mail sink whose messages are shown at /mail.
# Ctrl-C stops all of them.
set -euo pipefail
BIN=${VENV:-.venv}/bin
PORT=${PORT:-5000}
export APP_BASE_URL=${APP_BASE_URL:-http://127.0.0.1:$PORT}

pids=()
stop() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

if [ -z "${MAIL_SERVER:-}" ]; then
  export MAIL_SERVER=127.0.0.1
  export MAIL_PORT=${MAIL_SINK_PORT:-8025}
  export MAIL_SINK_DIR=${MAIL_SINK_DIR:-$PWD/instance/mail}
  "$BIN/python" -m scheduler.mailsink --port "$MAIL_PORT" --dir "$MAIL_SINK_DIR" &
  pids+=($!)
  # The scheduler must not start before the sink listens, or mail would go elsewhere.
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MAIL_PORT") 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "The mail sink could not start on port $MAIL_PORT (in use?); set MAIL_SINK_PORT." >&2; exit 1; }
    sleep 0.1
  done
  echo "No MAIL_SERVER set: mail goes to $MAIL_SINK_DIR, readable at http://127.0.0.1:$PORT/mail"
fi

"$BIN/flask" --app wsgi scheduler &
pids+=($!)
echo "Överenskommelseregistret: http://127.0.0.1:$PORT"
"$BIN/gunicorn" --bind "127.0.0.1:$PORT" --workers 2 --access-logfile - wsgi:app &
pids+=($!)

# Stop everything as soon as one of them stops.
wait -n
