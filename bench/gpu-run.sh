#!/usr/bin/env bash
# The benchmark table on a lent GPU machine (H100/H200; see ../shared/docs/gpu-device.md), with
# PyTorch on the same card as the anchor (bench/torch_ref.py: rows 1, 4, 5 and an epoch).
#
# UNVERIFIED: written in a session without a GPU machine. Every step is time-boxed and writes
# what it saw, so a first run reports where it stops (e.g. no Vulkan adapter for Dawn).
#
#   1. here:   bash bench/gpu-run.sh pack
#              (node + Vulkan loader via ../shared/tools/gpu-pack.sh, then bench/pack-gpu.ts:
#               the bench bundled, tfjs bundled, Dawn's addon xz-compressed; .gpu/ is ~35 MiB)
#   2. device: run  command="bash bench/gpu-run.sh device"  carry=[".gpu"]  timeout_s=540
#              (bench/ travels with the working tree; everything else it needs is in .gpu/)
#   Files back in $OUT: env.txt, bench.txt, bench.json, profile.txt, profile.json, torch.txt, torch.json
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pack() {
  set -e
  bash ../shared/tools/gpu-pack.sh
  node --import ./scripts/register.mjs bench/pack-gpu.ts
  du -sh .gpu
}

device() {
  local out=${OUT:-/tmp/webgrad-gpu-out}
  mkdir -p "$out" /tmp/xdg && chmod 700 /tmp/xdg
  for f in .gpu/*.deb; do dpkg -x "$f" /; done
  ldconfig
  xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node
  xz -dc .gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz > .gpu/node_modules/webgpu/dist/linux-x64/dawn.node
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp/xdg
  export WEBGRAD_BENCH_TFJS="$root/.gpu/bench/tfjs.mjs"
  local node=/tmp/node

  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
    echo "node $($node --version)"
    ls /usr/local/nvidia/share/vulkan/icd.d/ 2>&1
    # The adapter Dawn sees; if none, the adapters it can list, and stop there (that is the finding).
    (cd .gpu && timeout 60 $node --input-type=module -e '
      const { create, globals } = await import("webgpu");
      Object.assign(globalThis, globals);
      const a = await create([]).requestAdapter({ powerPreference: "high-performance" });
      if (!a) {
        console.log("NO ADAPTER: requestAdapter() returned null; adapters Dawn lists:");
        try { create(["adapter=foo"]); } catch (e) { console.log(String(e)); }
        process.exit(3);
      }
      const i = a.info;
      console.log("adapter:", JSON.stringify({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description }));
      console.log("features:", [...a.features].join(" "));
      console.log("maxStorageBufferBindingSize:", a.limits.maxStorageBufferBindingSize, "maxBufferSize:", a.limits.maxBufferSize);
      process.exit(0);')
  } > "$out/env.txt" 2>&1
  local adapter_rc=$?
  cat "$out/env.txt"

  if [ "$adapter_rc" -eq 0 ]; then
    # The table: WebGPU rows at GPU sizes (matmul to 4096, full epoch), webgrad vs tfjs.
    timeout 300 $node .gpu/bench/run.mjs --backend webgpu --gpu --out "$out/bench.json" 2>&1 \
      | grep -v 'artificially reduced' > "$out/bench.txt"
    echo "bench exit: ${PIPESTATUS[0]}" >> "$out/bench.txt"
    tail -40 "$out/bench.txt"
    # Where the GPU time goes, per kernel (timestamp queries), for matmul, the MLP step and the tutorial.
    timeout 120 $node .gpu/bench/run.mjs --profile --rows 1,4,5 --gpu --out "$out/profile.json" 2>&1 \
      | grep -v 'artificially reduced' > "$out/profile.txt"
    echo "profile exit: ${PIPESTATUS[0]}" >> "$out/profile.txt"
    head -80 "$out/profile.txt"
  else
    echo "no WebGPU adapter: skipping the webgrad/tfjs table (see env.txt)"
  fi

  # PyTorch on the same card: the anchor.
  timeout 180 python3 bench/torch_ref.py --out "$out/torch.json" > "$out/torch.txt" 2>&1
  echo "torch exit: $?" >> "$out/torch.txt"
  cat "$out/torch.txt"
}

case "${1:-}" in
  pack) pack ;;
  device) device ;;
  *) echo "usage: bash bench/gpu-run.sh pack|device" >&2; exit 2 ;;
esac
