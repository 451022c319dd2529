#!/bin/sh
# Trains the default pack on one CUDA GPU (~9 minutes) and packs the checkpoints,
# so the ONNX export and the eval clips can run on the CPU machine that ships it:
#
#   sh models/train_gpu.sh OUT_DIR [--reuse DIR] [--set section.field=value ...]
#   # then, where the pack is exported, into a fresh folder:
#   mkdir -p models/.work/NEW && cat OUT_DIR/checkpoints.tgz.* | tar xz -C models/.work/NEW
#   deno task train --work models/.work/NEW
#
# A quick run of every stage goes first (through --reuse too, when given): a bug
# costs a minute, not the lease.
set -eu
out=$1
shift
python=${PYTHON:-python3}
work=${EMERGE_GPU_WORK:-/tmp/emerge-gpu}
export PYTHONUNBUFFERED=1
reuse=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "--reuse" ]; then reuse="--reuse $arg"; fi
  prev=$arg
done
mkdir -p "$out"
# shellcheck disable=SC2086 # $reuse is two words or none
$python models/train.py --quick --no-export $reuse --work "$work-smoke" > "$out/smoke.log" 2>&1 || {
  tail -40 "$out/smoke.log"
  exit 1
}
$python models/train.py --preset gpu --no-export --work "$work" "$@" > "$out/train.log" 2>&1 || {
  tail -40 "$out/train.log"
  exit 1
}
# The denoiser's EMA weights are all the export needs (the optimizer state triples the file).
$python - "$work/dit.pt" <<'PY'
import sys, torch
s = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
torch.save({"ema": s["ema"], "step": s["step"], "seconds": s["seconds"], "complete": True}, sys.argv[1])
PY
cd "$work"
tar czf - ./*.done text.pt video_ae.pt audio_ae.pt preview.pt sharpen_decoder.pt dit.pt config.json timings.json \
  hardware.json | split -b 15m - "$out/checkpoints.tgz."
grep -E "bank:|steps in|ceiling" "$out/train.log"
ls -la "$out"
