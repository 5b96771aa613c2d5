#!/usr/bin/env bash
# One shot on a machine with an NVIDIA GPU: build with the CUDA profile, say which device the encoders would use and
# why, then run the encode benchmark on the GPU and print raw and stream throughput.
#   scripts/gpu-bench.sh [--images N]      (default: 200 dev images and their 1,000 captions)
# Needs: the NVIDIA driver (>= 525.60.13 for CUDA 12), CUDA 12.x and cuDNN 9.x libraries on the library path
# (docs/deployment.md, "GPU workers"), Java 17, the Flickr8k folder under XMODAL_SHARED_DIR (default ../shared).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES=200
if [ "${1:-}" = "--images" ] && [ -n "${2:-}" ]; then
  IMAGES="$2"
fi
export XMODAL_WORK_DIR="${XMODAL_WORK_DIR:-$(mktemp -d /tmp/xmodal-gpu-bench.XXXXXX)}"
OUT="$XMODAL_WORK_DIR/gpu-bench"
mkdir -p "$OUT"

echo "== build with -Pgpu (ONNX Runtime with the CUDA provider)"
# app/target is rebuilt whole, so its lib/ holds the CUDA jars and not a CPU build's
(cd "$ROOT" && rm -rf app/target && ./mvnw -B -ntp -q -Pgpu package -DskipTests)

echo "== doctor"
if ! XMODAL_DEVICE=gpu "$ROOT/xmodal" doctor | tee "$OUT/doctor.txt"; then
  echo "gpu-bench: no usable GPU (see the lines above); nothing benchmarked" >&2
  exit 1
fi

echo "== bench encode on the GPU ($IMAGES images)"
XMODAL_DEVICE=gpu "$ROOT/xmodal" bench encode --images "$IMAGES" 2>&1 | tee "$OUT/bench-encode.txt"

echo "== pipeline ceiling (near-free models on the GPU)"
XMODAL_DEVICE=gpu "$ROOT/xmodal" bench encode --ceiling --images "$IMAGES" 2>&1 | tee "$OUT/bench-ceiling.txt"

echo
echo "== summary (full output under $OUT)"
grep -E '^device:' "$OUT/doctor.txt"
grep -A3 '^raw encoder throughput' "$OUT/bench-encode.txt"
grep -A2 '^encode-stream end to end' "$OUT/bench-encode.txt"
grep -E '^stream/raw|^pipeline ceiling' "$OUT/bench-encode.txt" "$OUT/bench-ceiling.txt"
