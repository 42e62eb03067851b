#!/usr/bin/env bash
# `make demo`: one whole federated-learning session on the embedded digits dataset, offline, with exactly the
# pipeline the runner uses:  prty-fetch CID | prty-partition --task t.json | prty-train --task t.json
# Usage: examples/demo.sh [OUT_DIR]   (PRTY_BIN_DIR selects the binaries; DEMO_ROWS=N trims the data for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${PRTY_BIN_DIR:-$root/.build/release}
out=${1:-$root/demo-out}
export PATH="$bin:$PATH"
command -v jq >/dev/null || { echo "demo: jq is needed (make deps installs it)" >&2; exit 69; }
for tool in prty-fetch prty-partition prty-train; do
    [ -x "$bin/$tool" ] || { echo "demo: $bin/$tool is missing; run 'make build' first" >&2; exit 69; }
done

rm -rf "$out"
mkdir -p "$out/store" "$out/tasks"
# The tools' own progress lines go to a log; on a failure its last lines are shown.
log=$out/tools.log
exec 3>&2 2>>"$log"
on_exit() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        echo "demo: failed (exit $status); the last lines of $log:" >&3
        tail -n 5 "$log" >&3
    fi
}
trap on_exit EXIT
started=$(date +%s%N)
bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { printf '  %s\n' "$*"; }

data=examples/data/digits.csv
if [ -n "${DEMO_ROWS:-}" ]; then  # a small slice keeps the test of this script quick
    head -n "$((DEMO_ROWS + 1))" "$data" > "$out/digits-slice.csv"
    data=$out/digits-slice.csv
fi

bold "1. Publish the dataset into a local block store"
cid=$(prty-fetch add "$data" --store "$out/store")
gateway="file://$out/store"
say "$data -> $cid ($(find "$out/store" -type f | wc -l) blocks in $out/store)"
say "from here on the data is referred to only by its CID and every block is verified against it"

# Task documents for this run: the examples with this CID, and one per participant index.
nn_task=$out/tasks/nn-round-1.json
forest_task=$out/tasks/forest-round-1.json
jq --arg cid "$cid" '.dataset_cid = $cid' examples/tasks/digits-nn.json > "$nn_task"
jq --arg cid "$cid" '.dataset_cid = $cid' examples/tasks/digits-forest.json > "$forest_task"
participants=$(jq '.partition_config.total_parts' "$nn_task")

fetch() { prty-fetch "$cid" --gateway "$gateway" --cache-dir "$out/cache-$1"; }

bold "2. Split off the held-out test set (the same for every participant, never trained on)"
fetch test | prty-partition --task "$nn_task" --take test > "$out/test.json"
say "test set: $(jq '.labels | length' "$out/test.json") rows"
fetch stats | prty-partition --task "$nn_task" --stats > "$out/partition-stats.json"
say "non_iid parts (alpha $(jq '.partition_config.alpha' "$nn_task")): sizes $(jq -c '.sizes' "$out/partition-stats.json"), skew $(jq '.skew * 1000 | round / 1000' "$out/partition-stats.json") (mean total-variation distance to the whole)"

# train MODEL ROUND TASK: every participant fetches, takes its own part and trains.
train() {
    local model=$1 round=$2 task=$3
    for ((i = 0; i < participants; i++)); do
        fetch "$i" | prty-partition --task "$task" --index "$i" | prty-train --task "$task" > "$out/$model-round-$round-part-$i.json"
        say "participant $i: $(jq -r '"\(.data_size) rows, validation accuracy \(.accuracy * 1000 | round / 10)%"' "$out/$model-round-$round-part-$i.json")"
    done
    prty-train aggregate "$out/$model-round-$round-part-"*.json > "$out/$model-round-$round-global.json"
    prty-train evaluate --model "$out/$model-round-$round-global.json" < "$out/test.json" > "$out/$model-round-$round-eval.json"
    say "global model on the test set: accuracy $(jq -r '.accuracy * 1000 | round / 10' "$out/$model-round-$round-eval.json")%"
}

bold "3. Neural network, round 1 ($participants participants, FedAvg)"
train nn 1 "$nn_task"

bold "4. Neural network, round 2 (every participant starts from the round-1 global model)"
jq --slurpfile global "$out/nn-round-1-global.json" '.round_id = "round-2" | .global_model = $global[0]' "$nn_task" > "$out/tasks/nn-round-2.json"
train nn 2 "$out/tasks/nn-round-2.json"

bold "5. Random forest, two rounds, trees unioned"
train forest 1 "$forest_task"
jq '.round_id = "round-2" | .model_config.random_state = 2' "$forest_task" > "$out/tasks/forest-round-2.json"
train forest 2 "$out/tasks/forest-round-2.json"
prty-train aggregate "$out/forest-round-1-global.json" "$out/forest-round-2-global.json" > "$out/forest-both-rounds.json"
prty-train evaluate --model "$out/forest-both-rounds.json" < "$out/test.json" > "$out/forest-both-rounds-eval.json"
say "both rounds' forests together: $(jq '.metadata.forest.trees | length' "$out/forest-both-rounds.json" 2>/dev/null || echo '?') trees, test accuracy $(jq -r '.accuracy * 1000 | round / 10' "$out/forest-both-rounds-eval.json")%"

elapsed=$(( ($(date +%s%N) - started) / 1000000000 ))
bold "Summary"
printf '  %-28s %s\n' "neural network, round 1:" "$(jq -r '.accuracy * 1000 | round / 10' "$out/nn-round-1-eval.json")% test accuracy"
printf '  %-28s %s\n' "neural network, round 2:" "$(jq -r '.accuracy * 1000 | round / 10' "$out/nn-round-2-eval.json")% test accuracy"
printf '  %-28s %s\n' "random forest, round 1:" "$(jq -r '.accuracy * 1000 | round / 10' "$out/forest-round-1-eval.json")% test accuracy"
printf '  %-28s %s\n' "random forest, both rounds:" "$(jq -r '.accuracy * 1000 | round / 10' "$out/forest-both-rounds-eval.json")% test accuracy"
printf '  %-28s %s\n' "partition skew:" "$(jq '.skew * 1000 | round / 1000' "$out/partition-stats.json") (0 = every part like the whole)"
printf '  %-28s %s s\n' "time:" "$elapsed"
printf '  %-28s %s\n' "outputs:" "$out (the tools' stderr: $log)"
