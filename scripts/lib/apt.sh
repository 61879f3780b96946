# Sourced by the install scripts: qnt_apt_install TAG PACKAGE...
# Installs the Debian packages that are missing (apt-get update first), quiet
# when all are installed; runs apt-get with sudo when not root.
qnt_apt_install() {
  local tag=$1; shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$tag: missing Debian packages: ${missing[*]}; run as root (or install sudo)" >&2
      return 1
    fi
    sudo=sudo
  fi
  echo "$tag: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
