#!/usr/bin/env python3
"""The fuzzing dictionary (tests/fuzz/sbx.dict) holds every keyword and every punctuation token.

The keywords are compiler/frontend/keywords.def's spellings, the punctuation the literal tokens
of grammar/SbxLexer.g4. A keyword added to the language without a dictionary entry would be
one the fuzzer can only find by luck; an entry for a word that is no longer a keyword wastes
mutations. Fails naming what is missing or stale.

    dict_test.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path


def dictionary_values(text):
    """The values of `name="value"` entries, unescaped as libFuzzer does (\\\\, \\", \\xNN)."""
    values = {}
    for line in text.splitlines():
        match = re.fullmatch(r'\s*([A-Za-z0-9_]+)?=?"(.*)"\s*', line)
        if not match or line.lstrip().startswith("#"):
            continue
        raw = match.group(2)
        value = re.sub(r'\\x([0-9A-Fa-f]{2})|\\(.)',
                       lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), raw)
        values[match.group(1) or value] = value
    return values


def main():
    root = Path(sys.argv[1])
    entries = dictionary_values((root / "tests/fuzz/sbx.dict").read_text())
    keywords = re.findall(r'^SBX_KEYWORD\("([^"]+)",', (root / "compiler/frontend/keywords.def").read_text(), re.M)
    lexer = (root / "grammar/SbxLexer.g4").read_text()
    punctuation = re.findall(r"^[A-Z_]+\s*:\s*'([^']+)'\s*;", lexer, re.M)
    problems = []
    present = set(entries.values())
    problems += [f'keyword "{k}" (keywords.def) is missing: add kw_{k}="{k}"' for k in keywords if k not in present]
    problems += [f'punctuation "{p}" (SbxLexer.g4) is missing' for p in punctuation if p not in present]
    stale = [f'{name}="{value}" is not a keyword (keywords.def)' for name, value in entries.items()
             if name.startswith("kw_") and value not in keywords]
    problems += stale
    if not keywords or not punctuation:
        problems.append("found no keywords or no punctuation: has the format of keywords.def or SbxLexer.g4 changed?")
    for problem in problems:
        print(f"tests/fuzz/sbx.dict: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"sbx.dict: {len(keywords)} keywords, {len(punctuation)} punctuation tokens, {len(entries)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
