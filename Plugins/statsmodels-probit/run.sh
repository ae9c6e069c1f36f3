#!/bin/sh
# Makes (once) and checks the plugin's Python environment, then runs probit.py on the request.
# The venv lives in the directory Paperflow gives the plugin (Artifacts/plugins/statsmodels-probit/),
# rebuilt when requirements.txt changes.
set -eu
env_dir="$PAPERFLOW_ENV_DIR"
venv="$env_dir/venv"
stamp="$env_dir/requirements.installed"
wanted="$PAPERFLOW_PLUGIN_DIR/requirements.txt"
ready() { [ -x "$venv/bin/python" ] && cmp -s "$wanted" "$stamp"; }
if ! ready; then
    # Two stages may start at once: one builds, the other waits and finds it built.
    exec 9>"$env_dir/setup.lock"
    flock 9
    if ! ready; then
        python=$(command -v python3 || true)
        if [ -z "$python" ]; then
            echo "statsmodels-probit: python3 is not installed; install it (Debian: apt-get install python3 python3-venv)" >&2
            exit 3
        fi
        rm -rf "$venv" "$stamp"
        echo "statsmodels-probit: making $venv (first use)" >&2
        if ! "$python" -m venv "$venv" >&2; then
            echo "statsmodels-probit: python3 cannot make a venv; install its venv module (Debian: apt-get install python3-venv)" >&2
            exit 3
        fi
        if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$wanted" >&2; then
            echo "statsmodels-probit: cannot install $(tr '\n' ' ' < "$wanted")from PyPI; check the network or a pip mirror (PIP_INDEX_URL)" >&2
            rm -rf "$venv"
            exit 3
        fi
        cp "$wanted" "$stamp"
    fi
    exec 9>&-
fi
exec "$venv/bin/python" "$PAPERFLOW_PLUGIN_DIR/probit.py" "$1"
