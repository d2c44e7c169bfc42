#!/usr/bin/env bash
# `make run`: the web app (gunicorn), the scheduler, and, when no MAIL_SERVER is
# configured, a local mail sink whose messages are shown at /mail.
# Ctrl-C stops all of them.
#
# Several instances may run side by side (each with its own PORT, and its own
# DATABASE_URL and MAIL_SINK_DIR if they should not share them). Every port is
# bound by the process that will serve it *before* anything depends on it, and
# the port it actually holds is read back from that process; nothing probes a
# port, because a probe cannot tell our process from another instance's:
# - the mail sink takes a free port (or MAIL_SINK_PORT, failing if that is
#   taken) and writes it to a file; MAIL_PORT is exactly that port;
# - the web port is bound by a small Python step that then becomes gunicorn
#   (`--bind fd://N`), so a taken PORT fails at once with a clear message,
#   instead of gunicorn retrying for five seconds beside a running scheduler;
# - the scheduler starts last, only once both ports are held;
# - gunicorn's control socket lives in this instance's temporary folder, not in
#   the one default path every gunicorn of the user would share.
set -euo pipefail
BIN=${VENV:-.venv}/bin
PORT=${PORT:-5000}
export APP_BASE_URL=${APP_BASE_URL:-http://127.0.0.1:$PORT}

pids=()
state=$(mktemp -d "${TMPDIR:-/tmp}/run-dev.XXXXXX")
stop() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$state"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# await_port PID FILE: print the port PID wrote to FILE once it listens; fail if PID exits first.
await_port() {
  for _ in $(seq 300); do
    if [ -s "$2" ]; then
      cat "$2"
      return 0
    fi
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  echo "run-dev.sh: gave up waiting for process $1 to listen" >&2
  return 1
}

if [ -z "${MAIL_SERVER:-}" ]; then
  export MAIL_SINK_DIR=${MAIL_SINK_DIR:-$PWD/instance/mail}
  # 0: any free port, so that a second `make run` gets a sink of its own.
  sink_port=${MAIL_SINK_PORT:-0}
  "$BIN/python" -m scheduler.mailsink --port "$sink_port" --dir "$MAIL_SINK_DIR" --port-file "$state/mail-port" &
  pids+=($!)
  if ! MAIL_PORT=$(await_port "${pids[-1]}" "$state/mail-port"); then
    echo "The mail sink could not listen on 127.0.0.1:$sink_port (taken, perhaps by another \`make run\`?)." >&2
    echo "Leave MAIL_SINK_PORT unset to let it take a free port, or choose another." >&2
    exit 1
  fi
  export MAIL_SERVER=127.0.0.1 MAIL_PORT
fi

# Bind the web port here, then become gunicorn with the bound socket.
"$BIN/python" - "$PORT" "$state/web-port" "$BIN/gunicorn" --workers 2 --access-logfile - --control-socket "$state/gunicorn.ctl" wsgi:app <<'PY' &
import os, socket, sys

port, port_file, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn: TIME_WAIT leftovers are no obstacle
try:
    listener.bind(("127.0.0.1", int(port)))
except (OSError, ValueError) as exc:
    sys.exit(f"Cannot serve on 127.0.0.1:{port} ({exc}): is another `make run` using it? Set PORT to another port.")
listener.listen(2048)
listener.set_inheritable(True)
with open(port_file + ".partial", "w") as f:
    f.write(f"{listener.getsockname()[1]}\n")
os.replace(port_file + ".partial", port_file)
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # as for any background job
os.execv(argv[0], [argv[0], "--bind", f"fd://{listener.fileno()}", *argv[1:]])
PY
pids+=($!)
await_port "${pids[-1]}" "$state/web-port" >/dev/null || exit 1

if [ -s "$state/mail-port" ]; then
  echo "No MAIL_SERVER set: mail goes to the sink on port $MAIL_PORT, into $MAIL_SINK_DIR, readable at http://127.0.0.1:$PORT/mail"
fi

"$BIN/flask" --app wsgi scheduler &
pids+=($!)
echo "Överenskommelseregistret: http://127.0.0.1:$PORT"

# Stop everything as soon as one of them stops.
wait -n
