#!/usr/bin/env python3
"""The TextMate grammar (editors/textmate/sbx.tmLanguage.json) against the language:

1. it is what editors/textmate/generate.py writes from compiler/frontend/keywords.def;
2. every pattern compiles;
3. applied the way a TextMate engine applies it (at each position the earliest match of the
   top-level patterns, the first listed winning a tie; a begin/end rule runs to its end) to every
   policy of examples/, stdlib-policies/ and templates/, it gives each comment, string and keyword
   the lexer finds (grammar/SbxLexer.g4's rules, restated below) the right scope, and no
   non-keyword name a keyword scope.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "editors/textmate/sbx.tmLanguage.json"
failures = []


def fail(message):
    failures.append(message)
    print("FAIL", message)


generated = subprocess.run([sys.executable, str(ROOT / "editors/textmate/generate.py"), "/dev/stdout"],
                           capture_output=True, text=True, check=True).stdout
if generated != GRAMMAR.read_text():
    fail("sbx.tmLanguage.json differs from what editors/textmate/generate.py writes: run it and commit the result")
grammar = json.loads(GRAMMAR.read_text())
repository = grammar["repository"]


def rules(entry):
    """The match/begin rules of a repository entry, flattened, with their scope names."""
    if "include" in entry:
        return rules(repository[entry["include"][1:]])
    if "patterns" in entry and "match" not in entry and "begin" not in entry:
        return [r for p in entry["patterns"] for r in rules(p)]
    return [entry]


top = [r for p in grammar["patterns"] for r in rules(p)]
for r in top + [p for e in repository.values() for p in e.get("patterns", []) if "match" in p]:
    for key in ("match", "begin", "end"):
        if key in r:
            try:
                r["_" + key] = re.compile(r[key])
            except re.error as e:
                fail(f"pattern does not compile: {r[key]!r}: {e}")


def scopes(line):
    """[(start, end, scope)] for one line, as a TextMate engine scopes it."""
    out, pos = [], 0
    while pos < len(line):
        best = None
        for r in top:
            m = (r.get("_match") or r.get("_begin")).search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
                best = (r, m)
        if best is None:
            break
        r, m = best
        if "_begin" in r:
            end = r["_end"].search(line, m.end())
            stop = end.end() if end else len(line)
            while True:  # an escape is skipped as one piece, so `\"` does not end the string
                escape = re.compile(r"\\.").search(line, m.end(), stop)
                if not escape or not end or escape.start() >= end.start():
                    break
                end = r["_end"].search(line, escape.end())
                stop = end.end() if end else len(line)
            out.append((m.start(), stop, r["name"]))
            pos = stop
        elif "captures" in r:
            for group, capture in r["captures"].items():
                out.append((m.start(int(group)), m.end(int(group)), capture["name"]))
            pos = m.end()
        else:
            out.append((m.start(), m.end(), r["name"]))
            pos = m.end()
    return out


keywords = set(re.findall(r'^SBX_KEYWORD\("([^"]+)"', (ROOT / "compiler/frontend/keywords.def").read_text(), re.M))
# SbxLexer.g4: COMMENT, STRING, IDENT (longest match; other tokens are skipped here).
LEXER = re.compile(r'(?P<comment>#.*)|(?P<string>"(?:[^"\\\n]|\\.)*"?)|(?P<ident>[A-Za-z_](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_]))*)'
                   r'|(?P<number>[0-9][0-9A-Za-z.-]*)|.')
KEYWORD_SCOPES = ("storage.type", "keyword.")

files = sorted(p for d in ("examples", "stdlib-policies", "templates") for p in (ROOT / d).rglob("*.sbx"))
checked = 0
for path in files:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        got = scopes(line)

        def scope_at(start, end):
            return next((s for a, b, s in got if a <= start and end <= b), None)

        for m in LEXER.finditer(line):
            kind = m.lastgroup
            if kind is None or kind == "number":
                continue
            checked += 1
            scope = scope_at(m.start(), m.end())
            where = f"{path.relative_to(ROOT)}:{number}:{m.start() + 1}: `{m.group()}`"
            if kind == "comment" and scope != "comment.line.number-sign.sbx":
                fail(f"{where}: a comment, scoped {scope}")
            elif kind == "string" and scope != "string.quoted.double.sbx":
                fail(f"{where}: a string, scoped {scope}")
            elif kind == "ident":
                preceded_by_at = m.start() > 0 and line[m.start() - 1] in "@."
                declared = scope == "entity.name.type.sbx"  # a keyword is also a name (`group default {`)
                if m.group() in keywords and not preceded_by_at and not declared and not (scope or "").startswith(KEYWORD_SCOPES):
                    fail(f"{where}: a keyword, scoped {scope}")
                if m.group() not in keywords and (scope or "").startswith(KEYWORD_SCOPES):
                    fail(f"{where}: a name, scoped as a keyword ({scope})")

print(f"{len(files)} policies, {checked} comments, strings and words checked")
if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)
print("PASS")
