# Shared by scripts/*.sh: install missing Debian packages (as root) and the Python environment.

# ensure_debian_packages binary:package ... - install the packages whose binary is not on PATH.
ensure_debian_packages() {
  local missing=() pair binary package
  for pair in "$@"; do
    binary=${pair%%:*}; package=${pair#*:}
    if ! command -v "$binary" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$binary" ]; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} - install them (sudo apt-get install ${missing[*]}) or run as root" >&2
    return 1
  fi
  echo "== installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv [extra] - create .venv and install ridebuy (editable) with the given extra, when it changed.
ensure_venv() {
  local extra=${1:-}
  local spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    python3 -m venv .venv
  fi
  local stamp=".venv/.ridebuy-installed-$extra"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== installing ridebuy $spec into .venv"
    .venv/bin/python -m pip install -q -e "$spec"
    touch "$stamp"
  fi
}
