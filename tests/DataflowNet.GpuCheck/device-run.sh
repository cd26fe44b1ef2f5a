#!/usr/bin/env bash
# The whole GPU check in one device call (issue 6), so a session lent the GPU machine spends its 15 minutes on the
# check, not on preparing it.
#   here:   ../shared/device/pack.sh tests/DataflowNet.GpuCheck/DataflowNet.GpuCheck.csproj gpucheck
#   device: run with carry [".device"]:  bash tests/DataflowNet.GpuCheck/device-run.sh
# What the GPU and PyTorch are, then every kernel against the CPU device, then the MLP and CNN steps against PyTorch.
# Everything printed also goes to $OUT/gpucheck.txt.
set -uo pipefail
out=${OUT:-/tmp}
{
  date -u +%Y-%m-%dT%H:%MZ
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1
  ls /usr/lib/x86_64-linux-gnu/libcuda.so* /usr/lib64/libcuda.so* 2>/dev/null
  # cuBLAS (optional, for MatMul): the system's if the loader finds one, else the copy PyTorch's wheels bundle.
  # (cu12 wheels: nvidia/cublas/lib/libcublas.so.12; cu13 wheels: nvidia/cu13/lib/libcublas.so.13.)
  if ! ldconfig -p 2>/dev/null | grep -q 'libcublas.so.1[0-3]'; then
    cublas=$(python3 -c 'import glob, site; print(next((p.rsplit("/", 1)[0] for d in site.getsitepackages()
                         for p in sorted(glob.glob(d + "/nvidia/**/libcublas.so.1[0-3]", recursive=True))), ""))' 2>/dev/null)
    [ -n "$cublas" ] && [ -d "$cublas" ] && export LD_LIBRARY_PATH="$cublas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  echo "cuBLAS search path: ${LD_LIBRARY_PATH:-(default)}"
  tar xJf .device/gpucheck.tar.xz -C .device || { echo "no .device/gpucheck.tar.xz: run pack.sh and carry .device"; exit 2; }
  # 8 minutes at most, so a second try fits in the session's device time.
  # GPUCHECK_ARGS: e.g. "--only Conv" to rerun some cases after a first run stopped on a fault.
  timeout 480 .device/gpucheck/gpucheck --steps "${STEPS:-200}" ${GPUCHECK_ARGS:-}
  echo "gpucheck exit code $?"
} 2>&1 | tee "$out/gpucheck.txt"
