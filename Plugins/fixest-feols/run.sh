#!/bin/sh
# Checks that R and the packages feols.R needs are installed, then runs it on the request.
set -eu
if ! command -v Rscript >/dev/null 2>&1; then
    echo "fixest-feols: Rscript is not installed; install R (Debian: apt-get install r-base-core r-cran-jsonlite r-cran-sandwich)" >&2
    exit 3
fi
missing=$(Rscript -e 'for (p in c("jsonlite", "sandwich")) if (!requireNamespace(p, quietly = TRUE)) cat(p, "")')
if [ -n "$missing" ]; then
    echo "fixest-feols: the R packages $missing are missing; install them (Debian: apt-get install r-cran-jsonlite r-cran-sandwich)" >&2
    exit 3
fi
exec Rscript "$PAPERFLOW_PLUGIN_DIR/feols.R" "$1"
