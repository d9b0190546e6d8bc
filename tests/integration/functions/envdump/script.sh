#!/bin/sh
# Writes the script's view of the world as JSON, so a test can check the environment contract.
set -eu
python3 - <<'PY'
import json, os
names = ["INPUT_FILE_PATH", "TMP_INPUT_DIR", "TMP_OUTPUT_DIR", "STORAGE_OBJECT_KEY", "EVENT",
         "EVENT_TIME", "MY_SETTING"]
view = {name: os.environ.get(name) for name in names}
view["cwd"] = os.getcwd()
view["input_size"] = os.path.getsize(os.environ["INPUT_FILE_PATH"])
view["environ_values"] = sorted(os.environ.values())
with open(os.path.join(os.environ["TMP_OUTPUT_DIR"], "env.json"), "w") as out:
    json.dump(view, out)
PY
