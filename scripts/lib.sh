# Shared by scripts/run and scripts/test (sourced, from the repository root).
# Needs only Python 3.11+; as root on Debian it installs what is missing with apt-get.

apt_quiet() {
    # apt-get without its chatter; errors still reach stderr
    DEBIAN_FRONTEND=noninteractive apt-get -qq -y -o=Dpkg::Use-Pty=0 "$@" >/dev/null
}

can_apt() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

ensure_venv() {
    # .venv with a working Python 3.11+; Debian's python3 needs python3-venv for this
    if [ -x .venv/bin/python ] && .venv/bin/python -c 'import pip' 2>/dev/null; then
        return
    fi
    local python=${PYTHON:-python3}
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "error: Python 3.11 or newer is needed as '$python' (set PYTHON=... to choose)" >&2
        exit 1
    fi
    rm -rf .venv
    if ! "$python" -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        if can_apt; then
            echo "installing python3-venv with apt-get ..." >&2
            apt_quiet update && apt_quiet install python3-venv
        fi
        "$python" -m venv .venv || { rm -rf .venv; exit 1; }
    fi
}

pip_install() {
    # pip install -e "$1", held to the tested versions of constraints.txt, unless
    # this very pyproject.toml, setup.py and constraints.txt were installed already;
    # -qq: errors only (a warning per package about local index paths is noise)
    local stamp=".venv/.installed-${2:-app}"
    local digest
    digest=$(cat pyproject.toml setup.py constraints.txt | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return
    fi
    echo "installing the back-office and its dependencies into .venv ..." >&2
    .venv/bin/python -m pip install -qq --disable-pip-version-check -c constraints.txt -e "$1"
    echo "$digest" >"$stamp"
}
