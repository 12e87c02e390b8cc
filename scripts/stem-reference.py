#!/usr/bin/env python3
"""Reference stems for the Swift EnglishStemmer test.

Usage: stem-reference.py CORPUS.jsonl > stems.tsv

Reads a BEIR corpus.jsonl, collects every distinct word of `title` and `text`
(each field lower-cased, then split by the Unicode regex `\\w+`) and prints
`word<TAB>stem` lines sorted by word (code-point order), with stems from the
PyPI package snowballstemmer (pin 3.1.1):

    python3 -m venv venv && venv/bin/pip install snowballstemmer==3.1.1
    venv/bin/python scripts/stem-reference.py corpus.jsonl > stems.tsv
    HYPERION_TEST_STEMS=$PWD/stems.tsv swift test --filter StemmerTests
"""

import json
import re
import sys
from importlib import metadata

import snowballstemmer

WORD = re.compile(r"\w+")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    version = metadata.version("snowballstemmer")
    if version != "3.1.1":
        print(f"warning: snowballstemmer {version}, the reference is 3.1.1", file=sys.stderr)

    words = set()
    with open(sys.argv[1], encoding="utf-8") as corpus:
        for line in corpus:
            if not line.strip():
                continue
            doc = json.loads(line)
            for field in ("title", "text"):
                # Lower-case the whole field first, as the analyser does: the
                # lower-cased text is what gets split into words.
                words.update(WORD.findall((doc.get(field) or "").lower()))

    stemmer = snowballstemmer.stemmer("english")
    out = sys.stdout.buffer
    for word in sorted(words):
        out.write(f"{word}\t{stemmer.stemWord(word)}\n".encode("utf-8"))
    print(f"{len(words)} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
