#!/usr/bin/env bash
# Install the Debian/Ubuntu packages rapport needs to build, test and analyse,
# only those that are missing. Non-interactive; uses sudo when not root.
# On a cluster without root, load modules instead (see README: "On a cluster");
# this script is for workstations and CI.
set -euo pipefail

packages=(
  cmake make gcc pkg-config git libc6-dev
  libgsl-dev libyaml-dev libcsv-dev librandom123-dev libhdf5-dev zlib1g-dev hdf5-tools
  python3 python3-numpy python3-scipy python3-h5py python3-xarray python3-h5netcdf python3-pandas
  python3-matplotlib python3-statsmodels chromium
  r-base-core r-cran-hdf5r
  hdf5-filter-plugin time
  libopenmpi-dev openmpi-bin slurm-wlm munge lmod
  clang libclang-rt-14-dev libomp-14-dev valgrind
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "rapport: installing missing packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
