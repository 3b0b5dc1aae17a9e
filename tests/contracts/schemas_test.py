#!/usr/bin/env python3
"""The stable contracts (docs/contracts.md): sbxc's JSON outputs match schemas/*.schema.json.

    tests/contracts/schemas_test.py BUILD_DIR

- Every golden plan.json, report.json and loss.json (tests/goldens/) validates against its schema.
- The live output of this build's sbxc for every example (examples/*.sbx) validates: compile's
  plan.json and report.json, an export's loss.json, `classify --format json` and
  `check --format json`; check's also for every diagnostic case (tests/diagnostics/cases/), so
  that diagnostics with labels, notes and no location are covered.
- The stdlib digest that plan.json, report.json and `sbxc --version` name is the one computed
  here, independently, from stdlib-policies/ by the rule docs/contracts.md states.
- Mutated documents fail: a required field renamed or removed, an unknown field added, a field of
  the wrong type, another schema version; at the top and inside nested objects.
"""
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from jsonschema import Draft202012Validator  # python3-jsonschema, scripts/install-deps.sh

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {name: json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
           for name in ("plan", "report", "loss", "classify", "check")}
VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", file=sys.stderr)


def validate(kind, document, where):
    errors = sorted(VALIDATORS[kind].iter_errors(document), key=lambda e: list(e.path))
    for e in errors[:3]:
        fail(f"{where}: {kind} schema: {'/'.join(map(str, e.path)) or '<root>'}: {e.message}")
    return not errors


def sbxc(build, *args, check=True):
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C")
    r = subprocess.run([str(build / "compiler" / "sbxc"), *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    if check and r.returncode not in (0, 1):
        fail(f"sbxc {' '.join(args)} exited {r.returncode}: {r.stderr.strip()[:400]}")
    return r


def stdlib_digest():
    """docs/contracts.md: SHA-256 over every module sorted by relative path, `path NUL size NUL text`."""
    base = ROOT / "stdlib-policies"
    h = hashlib.sha256()
    for path in sorted(p.relative_to(base).as_posix() for p in base.rglob("*.sbx")):
        text = (base / path).read_bytes()
        h.update(path.encode() + b"\0" + str(len(text)).encode() + b"\0" + text)
    return h.hexdigest()


def check_goldens(digest):
    counts = {"plan": 0, "report": 0, "loss": 0}
    for kind in counts:
        for f in sorted((ROOT / "tests" / "goldens").glob(f"*/*/*/{kind}.json")):
            document = json.loads(f.read_text())
            validate(kind, document, f.relative_to(ROOT))
            stdlib = document["compiler"].get("stdlib") if kind == "plan" else document.get("stdlib", "")
            if kind != "loss" and stdlib != f"sha256:{digest}":
                fail(f"{f.relative_to(ROOT)} names stdlib {stdlib}, not this tree's sha256:{digest}")
            counts[kind] += 1
    for kind, n in counts.items():
        if n == 0:
            fail(f"no golden {kind}.json found: the test would check nothing")
    print(f"goldens: {counts['plan']} plan.json, {counts['report']} report.json, {counts['loss']} loss.json")


def check_live(build, digest):
    examples = sorted((ROOT / "examples").glob("*.sbx"))
    targets = ["oci", "bwrap", "k8s", "systemd", "docker-seccomp", "vault", "aws-iam"]
    plans = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, example in enumerate(examples):
            rel = str(example.relative_to(ROOT))
            out = Path(tmp) / example.stem
            sbxc(build, "compile", rel, "-o", str(out))
            for plan in sorted(out.glob("*/plan.json")):
                document = json.loads(plan.read_text())
                validate("plan", document, f"{rel}: {plan.parent.name}/plan.json")
                if document["compiler"].get("stdlib") != f"sha256:{digest}":
                    fail(f"{rel}: plan.json names stdlib {document['compiler'].get('stdlib')}, not sha256:{digest}")
                plans += 1
            for report in sorted(out.glob("*/report.json")):
                document = json.loads(report.read_text())
                validate("report", document, f"{rel}: {report.parent.name}/report.json")
                if document.get("stdlib") != f"sha256:{digest}":
                    fail(f"{rel}: report.json names stdlib {document.get('stdlib')}")
            target = targets[i % len(targets)]  # every target, over the examples
            exported = Path(tmp) / f"{example.stem}-{target}"
            sbxc(build, "compile", rel, "--target", target, "--allow-lossy", "-o", str(exported))
            losses = sorted(exported.glob("*/loss.json"))
            if not losses:
                fail(f"{rel} --target {target}: no loss.json written")
            for loss in losses:
                validate("loss", json.loads(loss.read_text()), f"{rel} --target {target}: loss.json")
            for command in ("classify", "check"):
                r = sbxc(build, command, "--format", "json", rel)
                validate(command, json.loads(r.stdout), f"sbxc {command} --format json {rel}")
    if plans < len(examples):
        fail(f"only {plans} plans for {len(examples)} examples")
    print(f"live: {len(examples)} examples, {plans} plans")

    cases = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "diagnostics" / "cases").glob("*.sbx"))
    r = sbxc(build, "check", "--format", "json", *cases, check=False)
    document = json.loads(r.stdout)
    validate("check", document, "sbxc check --format json tests/diagnostics/cases/*.sbx")
    if len(document["diagnostics"]) < len(cases):
        fail(f"the {len(cases)} diagnostic cases gave only {len(document['diagnostics'])} diagnostics")
    print(f"live: check of {len(cases)} diagnostic cases, {len(document['diagnostics'])} diagnostics")
    # A diagnostic with no place in a file (`location: null`): a file that cannot be read.
    r = sbxc(build, "check", "--format", "json", "tests/contracts/no-such-policy.sbx", check=False)
    document = json.loads(r.stdout)
    validate("check", document, "sbxc check --format json of a missing file")
    if [d["location"] for d in document["diagnostics"]] != [None]:
        fail(f"a missing file should give one diagnostic without a location: {document['diagnostics']}")


def mutations(document, required):
    """(description, mutated copy): each must fail its schema."""
    def nested_objects(x, path=()):
        if isinstance(x, dict):
            yield path, x
            for k, v in x.items():
                yield from nested_objects(v, path + (k,))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                yield from nested_objects(v, path + (i,))

    def at(root, path):
        for p in path:
            root = root[p]
        return root

    for path, obj in list(nested_objects(document)):
        where = "/".join(map(str, path)) or "<root>"
        for key in list(obj):
            renamed = copy.deepcopy(document)
            target = at(renamed, path)
            target[key + "X"] = target.pop(key)
            yield f"{where}: `{key}` renamed", renamed
        extra = copy.deepcopy(document)
        at(extra, path)["unexpectedField"] = 1
        yield f"{where}: unknown field added", extra
    for key, value in document.items():
        retyped = copy.deepcopy(document)
        retyped[key] = {"wrong": "type"} if not isinstance(value, dict) else "wrong type"
        yield f"`{key}` of the wrong type", retyped
        if key in required:
            removed = copy.deepcopy(document)
            del removed[key]
            yield f"`{key}` removed", removed
    other = copy.deepcopy(document)
    other["schema"] = other["schema"][:-1] + "999"
    yield "another schema version", other


def check_negative(build):
    with tempfile.TemporaryDirectory() as tmp:
        sbxc(build, "compile", "examples/email-assistant.sbx", "-o", f"{tmp}/sbx")
        sbxc(build, "compile", "examples/web-research.sbx", "--target", "k8s", "--allow-lossy", "-o", f"{tmp}/k8s")
        samples = {
            "plan": json.loads(next(Path(tmp, "sbx").glob("*/plan.json")).read_text()),
            "report": json.loads(next(Path(tmp, "sbx").glob("*/report.json")).read_text()),
            "loss": json.loads(next(Path(tmp, "k8s").glob("*/loss.json")).read_text()),
            "classify": json.loads(sbxc(build, "classify", "--format", "json", "examples/email-assistant.sbx").stdout),
            "check": json.loads(sbxc(build, "check", "--format", "json", "tests/diagnostics/cases/SBX0024-unused-import.sbx",
                                     check=False).stdout),
        }
    tried = 0
    for kind, document in samples.items():
        if not validate(kind, document, f"negative-test sample {kind}"):
            continue
        for description, mutated in mutations(document, SCHEMAS[kind]["required"]):
            tried += 1
            if VALIDATORS[kind].is_valid(mutated):
                fail(f"{kind}: a document with {description} still validates")
    print(f"negative: {tried} mutated documents, each rejected")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = Path(sys.argv[1]).resolve()
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
    digest = stdlib_digest()
    version = sbxc(build, "--version").stdout
    if f'stdlib sha256 "{digest}"' not in version:
        fail(f"sbxc --version does not name the stdlib digest {digest}: {version!r}")
    check_goldens(digest)
    check_live(build, digest)
    check_negative(build)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("ok: every output matches its schema; every mutation is rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
