"""wordcount: text in, text out. `lines words bytes` of a text, then its five commonest words.

Counts as `wc` does (lines are newlines, words are runs of non-space), then ranks the words,
lowercased and without the punctuation around them, by count and then alphabetically. For
samples/ferry.txt:

    3 36 183
    5 the
    3 a
    3 and
    2 at
    2 ferry

The answer is always printed. A synchronous call (`oscar run`, `POST /run/wordcount`) answers
with it, since the supervisor returns the script's stdout when it writes no file; for an upload
into the input bucket it is also written to `<stem>.counts.txt`, which lands under the output
prefix (STORAGE_OBJECT_KEY is empty for synchronous calls).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from pathlib import Path

TOP = 5
WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")  # letters and digits; "don't" is one word


def counts(data: bytes) -> str:
    newline = b"\n"
    words = Counter(WORD.findall(data.decode("utf-8", errors="replace").lower()))
    ranked = sorted(words.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    lines = [f"{data.count(newline)} {len(data.split())} {len(data)}"]
    lines += [f"{count} {word}" for word, count in ranked]
    return "\n".join(lines) + "\n"


def main() -> int:
    source = Path(os.environ["INPUT_FILE_PATH"])
    answer = counts(source.read_bytes())
    sys.stdout.write(answer)
    if os.environ.get("STORAGE_OBJECT_KEY"):
        target = Path(os.environ["TMP_OUTPUT_DIR"]) / f"{source.stem}.counts.txt"
        target.write_text(answer, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
