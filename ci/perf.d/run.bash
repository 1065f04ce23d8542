# Sourced by ci/perf: run one row once, under perf stat (timed) or callgrind.
# Uses ci/perf's globals: ours ref build tmp tmo grace counters results profiles.
# Appends lines "LIB<TAB>ROW<TAB>METRIC<TAB>VALUE" to $results, ROW being
# "GROUP SIZE KIND"; metrics: rate (msg/s, round trips/s, deliveries/s),
# lat (us), and per process ROLE: cpu:ROLE (ns), sys:ROLE, cs:ROLE and
# ir:ROLE (instructions), all per message.
# shellcheck shell=bash disable=SC2154  # ci/perf's globals are assigned there

cg_tmo=240   # s per process under callgrind (~50x slower than native)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listening ENDPOINT PID: poll (max ~10 s) until ENDPOINT accepts
# connections: the ipc socket file exists, or the tcp port is in LISTEN state
# in /proc/net/tcp (state 0A); no probe connection is made.
wait_listening() {
  local ep=$1 pid=$2 i hexport
  [[ $ep == tcp://* ]] && hexport=$(printf ':%04X' "${ep##*:}")
  for ((i = 0; i < 1000; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0   # died: its exit code tells
    if [[ $ep == ipc://* ]]; then [ -S "${ep#ipc://}" ] && return 0
    else awk -v p="$hexport" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}' /proc/net/tcp && return 0
    fi
    sleep 0.01
  done
}

# launcher ROLE [VAR=VALUE...]: set the array `pre`, the command prefix that
# runs a program as process ROLE on library $lib, measured the $mode way.
launcher() {
  local role=$1; shift
  if [ "$mode" = time ]; then
    # shellcheck disable=SC2054  # -x, is perf's field separator, not an array comma
    pre=(perf stat -x, -e "$counters" -o "$tmp/$role.stat" --
         timeout -k 2 "$tmo" env LD_LIBRARY_PATH="$lib" "$@")
  else
    pre=(timeout -k 2 "$cg_tmo" env LD_LIBRARY_PATH="$lib" "$@"
         valgrind --tool=callgrind -q --callgrind-out-file="$tmp/$role.cg")
  fi
}

# two_sided KIND TRANSPORT SIZE COUNT: libzmq's local_KIND (binds) and
# remote_KIND (connects) as two processes; sets rc, roles, out.
two_sided() {
  local kind=$1 tr=$2 size=$3 count=$4 ep lpid lrc=0 i pre=() lrole rrole
  local penv=()
  if [ "$kind" = thr ]; then lrole=recv rrole=send; else lrole=echo rrole=ping; fi
  roles="$lrole $rrole"
  if [ "$tr" = tcp ]; then ep=tcp://127.0.0.1:$(free_port)
  else ep=ipc://$tmp/run$RANDOM.ipc; fi
  # (the { } 2>/dev/null wrappers only mute bash's own "Aborted" job notices)
  launcher "$lrole"
  "${pre[@]}" "$build/perf/local_$kind" "$ep" "$size" "$count" >"$out" 2>&1 </dev/null &
  lpid=$!
  # Start the connecting side only once the bind side listens: a refused first
  # connect is retried after ZMQ_RECONNECT_IVL (100 ms), and remote_lat's
  # stopwatch already runs by then, which would skew the latency.
  wait_listening "$ep" "$lpid"
  # ipc throughput: keep the sender's socket open 0.5 s after its last send,
  # see perf.d/hold_close.c (libzmq 4.3.4 loses in-flight ipc data otherwise).
  [ "$tr$kind" != ipcthr ] || penv=(LD_PRELOAD="$build/hold_close.so" ZMQ_OXIDE_PERF_HOLD_MS=500)
  launcher "$rrole" "${penv[@]}"
  { "${pre[@]}" "$build/perf/remote_$kind" "$ep" "$size" "$count" >"$out.remote" 2>&1 </dev/null || rc=$?; } 2>/dev/null
  # Once the sender is done, everything is in flight: the receiver gets
  # $grace s more (plenty more under callgrind), then counts as failed.
  if [ "$rc" -eq 0 ]; then
    local wait=$((grace * 20)); [ "$mode" = time ] || wait=$((wait * 10))
    for ((i = 0; i < wait; i++)); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.05; done
  fi
  if kill -0 "$lpid" 2>/dev/null; then
    # lpid is perf (whose child is timeout) or timeout itself: TERM reaches the program
    pkill -TERM -P "$lpid" 2>/dev/null || true
    kill "$lpid" 2>/dev/null || true
    echo "(harness: receiver still running after the sender ended: killed)" >>"$out"
  fi
  { wait "$lpid" || lrc=$?; } 2>/dev/null
  [ "$rc" -ne 0 ] || rc=$lrc
  [ "$kind" = thr ] || out=$out.remote   # remote_lat measures the round trips
}

# run_row MODE(time|cg) LIB(ours|ref) GROUP SIZE KIND COUNT
# Runs the row once.  MODE time: records rate/lat and cpu/sys/cs per message;
# MODE cg: leaves ROLE.cg profiles in $tmp and sets `done_count`.
# Returns 1 on failure (recorded as "fail" in time mode).
run_row() {
  local mode=$1 name=$2 group=$3 size=$4 kind=$5 count=$6 lib out=$tmp/out rc=0 roles=proc pre=()
  local row="$group $size $kind" value n role
  [ "$name" = ours ] && lib=$ours || lib=$ref
  rm -f "$tmp"/*.stat "$tmp"/*.cg "$out" "$out.remote"
  launcher proc
  case $group in
    tcp|ipc) two_sided "$kind" "$group" "$size" "$count" ;;
    inproc) { "${pre[@]}" "$build/perf/inproc_$kind" "$size" "$count" >"$out" 2>&1 </dev/null || rc=$?; } 2>/dev/null ;;
    # 4 REQ clients, 2 REP workers; 10 subscribers
    broker) { "${pre[@]}" "$build/perf/broker_rtt" 4 2 "$size" $((count / 4)) >"$out" 2>&1 </dev/null || rc=$?; } 2>/dev/null ;;
    pubsub) { "${pre[@]}" "$build/perf/pubsub_fanout" 10 "$size" $((count / 10)) >"$out" 2>&1 </dev/null || rc=$?; } 2>/dev/null ;;
    curve) { "${pre[@]}" "$build/perf/curve_thr" "$size" "$count" >"$out" 2>&1 </dev/null || rc=$?; } 2>/dev/null ;;
  esac
  # the rate, and how many messages (round trips, deliveries) it was over
  case $group/$kind in
    */lat) value=$(awk '/average latency:/ {print $3}' "$out"); n=$count ;;
    tcp/thr|ipc/thr|inproc/thr) value=$(awk '/mean throughput:.*msg\/s/ {print $3}' "$out"); n=$count ;;
    *) value=$(awk '$1 == "rate:" {print $2}' "$out"); n=$(awk '$1 == "count:" {print $2}' "$out") ;;
  esac
  if [ "$rc" -ne 0 ] || [ -z "$value" ] || [ -z "$n" ]; then
    [ "$mode" = cg ] || printf '%s\t%s\t%s\tfail\n' "$name" "$row" "$([ "$kind" = lat ] && echo lat || echo rate)" >>"$results"
    note "$name $mode $row failed (rc $rc): $(tail -c 300 "$out" | tr '\n' ' ')"
    return 1
  fi
  if [ "$mode" = cg ]; then done_count=$n; cg_roles=$roles; return 0; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$row" "$([ "$kind" = lat ] && echo lat || echo rate)" "$value" >>"$results"
  for role in $roles; do
    # perf stat -x, lines: VALUE,UNIT,EVENT,...   (task-clock in ms)
    awk -F, -v n="$n" -v lib="$name" -v row="$row" -v role="$role" '
      $3 == "task-clock" { printf "%s\t%s\tcpu:%s\t%.1f\n", lib, row, role, $1 * 1e6 / n }
      $3 == "context-switches" { printf "%s\t%s\tcs:%s\t%.5f\n", lib, row, role, $1 / n }
      $3 == "raw_syscalls:sys_enter" { printf "%s\t%s\tsys:%s\t%.5f\n", lib, row, role, $1 / n }
    ' "$tmp/$role.stat" >>"$results"
  done
}

# Instructions per message from callgrind: rows' message counts (the larger of
# the two runs; ~1-3 s each under callgrind here).
callgrind_count() {  # group size kind
  local n
  case $1/$2 in
    broker/*) n=2000 ;; pubsub/*) n=100000 ;; curve/64) n=20000 ;; curve/*) n=1000 ;;
    */1|*/64) n=50000 ;; */1024) n=20000 ;; */65536) n=2000 ;; *) n=100 ;;
  esac
  echo $((n / (quick == 1 ? 5 : 1)))
}

# run_callgrind LIB GROUP SIZE KIND N: runs N/5 and N messages under callgrind;
# records ir:ROLE = (Ir(N) - Ir(N/5)) / (messages(N) - messages(N/5)), which
# leaves out start-up and teardown.  Keeps the N run's profiles in $profiles.
run_callgrind() {
  local lib=$1 group=$2 size=$3 kind=$4 n=$5 done_count cg_roles role small_n
  local -A small_ir
  run_row cg "$lib" "$group" "$size" "$kind" $((n / 5)) || return 1
  small_n=$done_count
  for role in $cg_roles; do small_ir[$role]=$(callgrind_total "$tmp/$role.cg"); done
  run_row cg "$lib" "$group" "$size" "$kind" "$n" || return 1
  for role in $cg_roles; do
    awk -v a="${small_ir[$role]}" -v b="$(callgrind_total "$tmp/$role.cg")" \
        -v m="$small_n" -v n="$done_count" -v lib="$lib" -v row="$group $size $kind" -v role="$role" \
      'BEGIN { if (a != "" && b != "" && n > m) printf "%s\t%s\tir:%s\t%.0f\n", lib, row, role, (b - a) / (n - m) }' >>"$results"
    [ -z "$profiles" ] || cp "$tmp/$role.cg" "$profiles/$lib-$group-$size-$kind-$role.callgrind"
  done
}

callgrind_total() {  # FILE -> total instructions (Ir) of the profile
  awk '$1 == "summary:" || $1 == "totals:" {print $2; exit}' "$1" 2>/dev/null
}
