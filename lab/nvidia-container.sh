#!/bin/sh
# Makes this machine look, to one command, like the H100/H200 containers the GPU bundle met: NVIDIA's
# driver under /usr/local/nvidia (Vulkan manifest, EGL vendor file, libraries outside the linker's
# cache), and no libglvnd, no Vulkan loader, no EGL vendor files of the system's own. There is no GPU
# here, so NVIDIA's driver stops at /dev/nvidiactl; everything before that (which libraries load,
# from where, which files are read) is what the real container does, and strace shows it.
#   sudo sh lab/nvidia-container.sh COMMAND...      e.g. (from the repository root)
#   sh lab/nvidia-container.sh strace -f -e trace=openat -o /tmp/trace sh out/gpu-bundle/run.sh /tmp/r --cases-only
# Needs root (a private mount namespace: nothing outside the command sees a change), and Debian's
# non-free archive for the driver's user-space packages (fetched once into $NV, default /tmp/nvidia-sim).
set -eu
[ $# -ge 1 ] || { echo "usage: sh lab/nvidia-container.sh COMMAND..." >&2; exit 2; }
NV=${NV:-/tmp/nvidia-sim}
if [ "${WGSLGRAD_IN_NAMESPACE:-}" != 1 ]; then
  if [ ! -f "$NV/fake/share/vulkan/icd.d/nvidia_icd.json" ]; then
    # Debian's NVIDIA Vulkan driver and what it loads (bookworm: 535), through a private apt setup.
    mkdir -p "$NV/apt/lists/partial" "$NV/apt/parts" "$NV/debs" "$NV/root" "$NV/fake/lib64" "$NV/fake/share/vulkan/icd.d" "$NV/fake/share/glvnd/egl_vendor.d"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$NV/apt/parts/nonfree.sources"
    apt="-o APT::Sandbox::User=root -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=$NV/apt/parts -o Dir::State::Lists=$NV/apt/lists"
    apt-get $apt update >/dev/null
    (cd "$NV/debs" && apt-get $apt download nvidia-vulkan-icd nvidia-vulkan-common libglx-nvidia0 libegl-nvidia0 libnvidia-eglcore libnvidia-glcore libnvidia-glvkspirv libnvidia-rtcore >/dev/null)
    for deb in "$NV"/debs/*.deb; do dpkg -x "$deb" "$NV/root"; done
    cp -a "$NV"/root/usr/lib/x86_64-linux-gnu/*.so* "$NV"/root/usr/lib/x86_64-linux-gnu/nvidia/current/*.so* "$NV/fake/lib64/"
    cp "$NV/root/usr/share/vulkan/icd.d/nvidia_icd.json" "$NV/fake/share/vulkan/icd.d/"
    # The containers' EGL vendor file (Debian installs its own through alternatives).
    printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "libEGL_nvidia.so.0" } }\n' > "$NV/fake/share/glvnd/egl_vendor.d/10_nvidia.json"
  fi
  exec env WGSLGRAD_IN_NAMESPACE=1 NV="$NV" unshare -m sh "$0" "$@"
fi

# In the namespace: hide libglvnd and Mesa's GL libraries (overlay whiteouts), mount the driver at
# /usr/local/nvidia, empty the EGL vendor folder, and give the linker a cache without them.
o=$(mktemp -d)
mkdir -p "$o/lib" "$o/lib.work" "$o/local" "$o/local.work" "$o/local/nvidia"
libs=/usr/lib/x86_64-linux-gnu
for f in "$libs"/libEGL.so* "$libs"/libGL.so* "$libs"/libGLESv2.so* "$libs"/libGLX.so* "$libs"/libGLdispatch.so* "$libs"/libOpenGL.so* "$libs"/libGLX_mesa.so* "$libs"/libEGL_mesa.so* "$libs"/libvulkan.so*; do
  [ -e "$f" ] && mknod "$o/lib/$(basename "$f")" c 0 0
done
mount -t overlay overlay -o "lowerdir=$libs,upperdir=$o/lib,workdir=$o/lib.work" "$libs"
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$o/local,workdir=$o/local.work" /usr/local
mount --bind "$NV/fake" /usr/local/nvidia
[ -d /usr/share/glvnd/egl_vendor.d ] && mount -t tmpfs tmpfs /usr/share/glvnd/egl_vendor.d
ldconfig -C "$o/ld.so.cache" && mount --bind "$o/ld.so.cache" /etc/ld.so.cache
exec "$@"
