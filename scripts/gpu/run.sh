#!/bin/sh
# wgslgrad's GPU bundle: runs every kernel case, then the bench, on this machine's GPU through Dawn
# and Vulkan, and PyTorch's same work when python3 has torch with CUDA. Needs no Node, no npm and no
# network: Node, Dawn's binding and the Vulkan loader travel in this folder.
#   sh run.sh RESULTS_DIR [--quick | --cases-only | --large-only 1024,2048] [--no-bounds-checks]
#   (WGSLGRAD_TORCH_CPU=1: time PyTorch on the CPU where no CUDA is)
# Writes RESULTS_DIR/summary.md (the table), cases.json, bench.json, torch.json and run.log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: sh run.sh RESULTS_DIR [--quick | --cases-only | --large-only 1024,2048] [--no-bounds-checks]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
case "$1" in -*) echo "run.sh: the results folder comes first, got '$1'; $usage" >&2; exit 2;; esac
# The options, checked before anything is unpacked or timed (PyTorch runs first, for minutes).
expect_sizes=0
for a in "$@"; do
  [ "$a" = "$1" ] && [ $expect_sizes = 0 ] && continue
  if [ $expect_sizes = 1 ]; then
    printf '%s' "$a" | grep -Eq '^[1-9][0-9]*(,[1-9][0-9]*)*$' || { echo "run.sh: --large-only expects sizes like 1024,2048, got '$a'" >&2; exit 2; }
    expect_sizes=0; continue
  fi
  case "$a" in
    --quick|--cases-only|--no-bounds-checks) ;;
    --large-only) expect_sizes=1 ;;
    *) echo "run.sh: unknown option '$a'; $usage" >&2; exit 2 ;;
  esac
done
[ $expect_sizes = 0 ] || { echo "run.sh: --large-only expects sizes like 1024,2048" >&2; exit 2; }
mkdir -p "$1"
results=$(cd "$1" && pwd)
rm -f "$results/summary.md"  # written last: its presence says the run got to the end
shift
[ "$(uname -m)" = x86_64 ] && [ "$(uname -s)" = Linux ] || { echo "run.sh: this bundle is for x86-64 Linux, not $(uname -s) $(uname -m)" >&2; exit 1; }

# 1. Unpack Node and Dawn beside the program (dawn.node is found relative to it).
work=$(mktemp -d "${TMPDIR:-/tmp}/wgslgrad-gpu.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dist/linux-x64" "$work/lib"
gzip -dc "$here/node.gz" > "$work/node"
gzip -dc "$here/dawn.node.gz" > "$work/dist/linux-x64/dawn.node"
chmod +x "$work/node"
cp "$here/wgslgrad-gpu.mjs" "$work/"

# 2. The Vulkan loader and libglvnd (NVIDIA's Vulkan driver is part of its GL stack and refuses to
#    create an instance without them): the system's where it has them, else the bundle's copies.
cache=$({ /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null; } || true)
for lib in libvulkan.so.1 libGLdispatch.so.0 libGLX.so.0 libEGL.so.1 libGL.so.1 libOpenGL.so.0 libGLESv2.so.2; do
  if ! printf '%s\n' "$cache" | grep -q "$lib "; then
    cp "$here/lib/$lib" "$work/lib/"
    echo "run.sh: $lib from the bundle"
  fi
done
[ -n "$(ls "$work/lib")" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$work/lib"
# libglvnd finds NVIDIA's EGL through a vendor file, which NVIDIA containers keep outside its search path.
nvidia_egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
vendors=0
for f in /usr/share/glvnd/egl_vendor.d/*.json /etc/glvnd/egl_vendor.d/*.json; do [ -f "$f" ] && vendors=1; done
if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$nvidia_egl" ] && [ $vendors = 0 ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES="$nvidia_egl"
  echo "run.sh: __EGL_VENDOR_LIBRARY_FILENAMES=$nvidia_egl"
fi
# NVIDIA containers keep the driver's libraries here, outside the linker's cache.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$d" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"

# 3. The GPU's Vulkan driver manifests (ICDs); SwiftShader from Chromium only when there is none.
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  icds=""
  for d in /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/share/vulkan/icd.d; do
    for f in "$d"/*.json; do
      # NVIDIA containers link /usr/share/vulkan/icd.d/nvidia_icd.json to the first: list it once.
      [ -f "$f" ] || continue
      real=$(readlink -f "$f")
      printf '%s' ":$icds:" | grep -q ":$real:" || icds="${icds:+$icds:}$real"
    done
  done
  if [ -z "$icds" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
    icds=/usr/lib/chromium/vk_swiftshader_icd.json
    echo "run.sh: no GPU Vulkan driver found; using Chromium's SwiftShader (a CPU)"
  fi
  [ -n "$icds" ] || { echo "run.sh: no Vulkan driver manifest (ICD) in /usr/local/nvidia/share/vulkan/icd.d, /etc/vulkan/icd.d, /usr/local/share/vulkan/icd.d or /usr/share/vulkan/icd.d; install the GPU's Vulkan driver or set VK_ICD_FILENAMES" >&2; exit 1; }
  export VK_ICD_FILENAMES="$icds"
fi
echo "run.sh: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-$VK_DRIVER_FILES}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$results/nvidia-smi.txt" 2>&1 || true

# 4. PyTorch first (the summary puts its numbers beside ours), then the cases and the bench.
status=0
if command -v python3 >/dev/null 2>&1 && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  python3 "$here/torch_bench.py" "$results/torch.json" 2>&1 | tee "$results/torch.log"
elif [ -n "${WGSLGRAD_TORCH_CPU:-}" ] && command -v python3 >/dev/null 2>&1 && python3 -c 'import torch' 2>/dev/null; then
  # Proves the PyTorch plumbing on a machine without CUDA (small sizes, the CPU).
  python3 "$here/torch_bench.py" "$results/torch.json" --cpu 2>&1 | tee "$results/torch.log"
else
  echo "run.sh: no python3 with torch and CUDA here; PyTorch not measured"
fi
# POSIX sh has no pipefail: the program's exit status goes through a file.
{ rc=0; "$work/node" "$work/wgslgrad-gpu.mjs" --out "$results" "$@" || rc=$?; echo $rc > "$work/status"; } 2>&1 | tee "$results/run.log"
[ "$(cat "$work/status")" = 0 ] || status=1
if [ -f "$results/summary.md" ]; then
  echo "run.sh: results in $results (summary.md); status $status"
else
  echo "run.sh: the program stopped before writing $results/summary.md (see run.log there); status $status"
fi
exit $status
