#!/bin/sh
# Runs a command and stops it when this script's standard input closes, which happens when the parent
# Node.js process exits for any reason (even SIGKILL). Also forwards TERM/INT to the command.
"$@" </dev/null &
child=$!
stop() { kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0; }
trap stop TERM INT HUP
exec 3<&0
cat <&3 >/dev/null &
reader=$!
# Returns when stdin reaches EOF (parent gone) or when the command ends by itself.
while kill -0 "$child" 2>/dev/null && kill -0 "$reader" 2>/dev/null; do sleep 0.5 & wait $!; done
kill "$reader" 2>/dev/null
stop
