#!/bin/sh
# Counts the code pairs of UNSD HS correlation tables by relationship label.
# usage: concordance_summary.sh OUT NAME FILE [NAME FILE ...]   (writes a Markdown table to OUT)
set -eu
out=$1
shift
{
    echo "| table | pairs | 1:1 | 1:n | n:1 | n:n | partial |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    while [ $# -ge 2 ]; do
        # The UNSD files end lines with CRLF: drop the CR before splitting fields.
        awk -F, -v name="$1" '
            { sub(/\r$/, "") }
            NR > 1 { pairs++; label[$4]++; if ($2 != "") partial++ }
            END { printf "| %s | %d | %d | %d | %d | %d | %d |\n", name, pairs, label["1:1"], label["1:n"], label["n:1"], label["n:n"], partial }
        ' "$2"
        shift 2
    done
} > "$out"
