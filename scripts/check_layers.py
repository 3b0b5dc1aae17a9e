#!/usr/bin/env python3
"""Fails when an include runs against LAYERS: from a part to one it may not include.

Usage: scripts/check_layers.py [ROOT]   (ROOT: the checkout, default: this script's parent)

Every #include "..." of every .cc, .h and .def file under a part's directory is resolved the way
the build resolves it (the including file's directory, then common/, compiler/, the checkout) and
the part of the file it names looked up. System and generated headers resolve to no part and are
not checked. Prints one line per offending include and a closing count; exits 1 on any.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SEARCH_ROOTS = ["common", "compiler", "."]


def read_layers(root):
    parts = []  # (name, directory, allowed names or None for any)
    for number, line in enumerate(open(os.path.join(root, "LAYERS")), 1):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        if len(line) < 3:
            sys.exit(f"LAYERS:{number}: expected `part directory allowed...`")
        name, directory, allowed = line[0], line[1].rstrip("/") + "/", line[2:]
        parts.append((name, directory, None if allowed == ["*"] else set(allowed) - {"-"}))
    names = {p[0] for p in parts}
    for name, _, allowed in parts:
        for other in allowed or ():
            if other not in names:
                sys.exit(f"LAYERS: part `{name}` may include `{other}`, which is no part")
    return parts


def part_of(path, parts):
    best = None
    for name, directory, _ in parts:
        if path.startswith(directory) and (best is None or len(directory) > len(best[1])):
            best = (name, directory)
    return best[0] if best else None


def resolve(root, including_dir, target):
    for base in [including_dir] + SEARCH_ROOTS:
        candidate = os.path.normpath(os.path.join(base, target))
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    parts = read_layers(root)
    allowed = {name: rule for name, _, rule in parts}
    files = includes = 0
    violations = []
    for name, directory, _ in parts:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, directory)):
            dirnames[:] = sorted(d for d in dirnames if d not in ("goldens", "__pycache__"))
            for filename in sorted(filenames):
                if not filename.endswith((".cc", ".h", ".def")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, filename), root)
                if part_of(path, parts) != name:
                    continue  # a deeper part's file
                files += 1
                text = open(os.path.join(root, path), encoding="utf-8", errors="replace").read()
                for match in INCLUDE.finditer(text):
                    target = resolve(root, os.path.dirname(path), match.group(1))
                    if target is None:
                        continue
                    includes += 1
                    other = part_of(target, parts)
                    if other is None or other == name or allowed[name] is None or other in allowed[name]:
                        continue
                    line = text.count("\n", 0, match.start()) + 1
                    may = " ".join(sorted(allowed[name])) or "nothing"
                    violations.append(f"{path}:{line}: includes {target}: part `{name}` may not include "
                                      f"part `{other}` (LAYERS: `{name}` may include {may})")
    for v in violations:
        print(v)
    print(f"layers: {files} files, {includes} includes checked, {len(violations)} against LAYERS")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
