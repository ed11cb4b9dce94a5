#!/bin/sh
# nova-engine-auth-monitor: runs `nova-engine models status --check --json`
# and notifies when the state changes (ok / expiring / expired), at most once
# an hour for the same state. Settings are read the way every nova-engine
# command reads them (`nova-engine env get`): the environment, then
# <state>/.env, then the config's env.vars; so a run by hand sees what the
# timer sees, and no file is ever run as shell code:
#   NOVA_MONITOR_NTFY_URL   post the message to this ntfy topic URL
#   NOVA_MONITOR_COMMAND    run this command with the message as $1
#   NOVA_MONITOR_STATE      where it remembers what it sent
#                           (default ~/.nova-engine/auth-monitor.state)
#   NOVA_MONITOR_TEST=1     send a test notification now, whatever the state
# Exit: the --check code (0 ok, 1 expired/missing, 2 expiring).
set -u
NOVA=${NOVA_ENGINE_BIN:-nova-engine}
setting() { "$NOVA" env get "$1" 2>/dev/null; }
NOVA_MONITOR_NTFY_URL=$(setting NOVA_MONITOR_NTFY_URL)
NOVA_MONITOR_COMMAND=$(setting NOVA_MONITOR_COMMAND)
NOVA_MONITOR_STATE=$(setting NOVA_MONITOR_STATE)
NOVA_MONITOR_TEST=$(setting NOVA_MONITOR_TEST)
state_file=${NOVA_MONITOR_STATE:-${NOVA_ENGINE_STATE_DIR:-$HOME/.nova-engine}/auth-monitor.state}

json=$("$NOVA" models status --check --json 2>/dev/null)
code=$?
case $code in
0) state=ok; what="all credentials are healthy" ;;
1) state=expired; what="a credential is expired or missing" ;;
2) state=expiring; what="a credential expires within 24 h" ;;
*) state=error; what="nova-engine models status failed (exit $code)" ;;
esac
# name the profiles that are not ok (ids only, never secrets)
detail=""
if command -v python3 >/dev/null 2>&1 && [ -n "$json" ]; then
    detail=$(printf '%s' "$json" | python3 -c 'import json,sys
d=json.load(sys.stdin)
bad=[o["id"]+" "+o["state"] for o in d["auth"]["oauth"] if not o["state"].startswith("ok") and o["state"]!="static"]
bad+=[m["provider"]+" missing" for m in d["auth"]["missing"]]
print(", ".join(bad))' 2>/dev/null)
fi
msg="nova-engine on $(hostname): $what${detail:+ ($detail)}"

now=$(date +%s)
last_state=""; last_time=0
[ -f "$state_file" ] && read -r last_state last_time < "$state_file"
send=0
if [ "${NOVA_MONITOR_TEST:-0}" = 1 ]; then
    msg="nova-engine on $(hostname): test notification; current state: $state${detail:+ ($detail)}"
    send=1
elif [ "$state" != "$last_state" ]; then
    [ "$state" = ok ] && [ -z "$last_state" ] || send=1
elif [ "$state" != ok ] && [ $((now - last_time)) -ge 3600 ]; then
    send=1
fi

if [ $send = 1 ]; then
    if [ -n "${NOVA_MONITOR_NTFY_URL:-}" ]; then
        curl -fsS -m 15 -H "Title: nova-engine credentials" -d "$msg" "$NOVA_MONITOR_NTFY_URL" >/dev/null ||
            echo "auth-monitor: cannot reach $NOVA_MONITOR_NTFY_URL" >&2
    fi
    if [ -n "${NOVA_MONITOR_COMMAND:-}" ]; then
        $NOVA_MONITOR_COMMAND "$msg" || echo "auth-monitor: the notify command failed" >&2
    fi
    [ -z "${NOVA_MONITOR_NTFY_URL:-}${NOVA_MONITOR_COMMAND:-}" ] && echo "$msg"
    if [ "${NOVA_MONITOR_TEST:-0}" != 1 ]; then # a test says nothing about what was sent
        mkdir -p "$(dirname "$state_file")"
        printf '%s %s\n' "$state" "$now" > "$state_file"
    fi
elif [ "$state" != "$last_state" ]; then
    printf '%s %s\n' "$state" "$now" > "$state_file"
fi
exit $code
