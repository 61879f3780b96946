#!/bin/bash
# Packages needed only by scripts/emulate_vnni.py, which runs qnt's VNNI
# kernels under Bochs (an x86 emulator whose Tiger Lake model has
# AVX-512 VNNI): bochs with its terminal front end and BIOS images, and
# isolinux + xorriso to make the bootable CD image. CI and normal use of qnt
# do not need them. Idempotent; quiet when installed.
set -euo pipefail
PKGS=(bochs bochs-term bochsbios vgabios isolinux syslinux-common xorriso)
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
qnt_apt_install install-emu-deps.sh "${PKGS[@]}"
