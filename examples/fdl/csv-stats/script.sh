#!/bin/sh
# For every numeric column of a CSV file: count, mean, min and max, as <stem>.stats.json.
set -eu
stem=$(basename "$INPUT_FILE_PATH" .csv)
python3 - "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$stem.stats.json" <<'PY'
import csv, json, os, sys

source, target = sys.argv[1], sys.argv[2]
decimals = int(os.environ.get("DECIMALS", "2"))
with open(source, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
stats = {}
for column in rows[0] if rows else []:
    try:
        values = [float(row[column]) for row in rows]
    except ValueError:
        continue  # not a numeric column
    stats[column] = {
        "count": len(values),
        "mean": round(sum(values) / len(values), decimals),
        "min": min(values),
        "max": max(values),
    }
with open(target, "w", encoding="utf-8") as f:
    json.dump(stats, f, indent=2, sort_keys=True)
print(f"{len(rows)} rows, numeric columns: {', '.join(stats) or 'none'}")
PY
