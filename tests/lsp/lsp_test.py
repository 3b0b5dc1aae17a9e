#!/usr/bin/env python3
"""`sbxc lsp` driven by a client that speaks JSON-RPC to it over stdin and stdout, as an editor
does: diagnostics with sbxc's codes and spans as you type, a quick fix for "did you mean", hover,
completion, go to definition across a file import, formatting as `sbxc fmt`, the shutdown
handshake, and input that breaks the framing.

    lsp_test.py SBXC
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SBXC = sys.argv[1]
failures = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(name)


class Client:
    def __init__(self):
        self.process = subprocess.Popen([SBXC, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0
        self.notifications = []

    def send(self, message):
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.process.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                return message
            self.notifications.append(message)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri):
        """The next diagnostics published for `uri`."""
        while True:
            message = self.notifications.pop(0) if self.notifications else self.receive()
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return message["params"]["diagnostics"]


with tempfile.TemporaryDirectory() as tmp:
    root = Path(tmp)
    (root / ".git").mkdir()  # the repository the imports must stay in
    (root / "lib").mkdir()
    (root / "lib/shared.sbx").write_text("import std.syscalls\n\nprofile base {\n  read \"/usr\"\n}\n")
    policy = root / "policy.sbx"
    uri = "file://" + str(policy)
    text = ('import std.syscalls\nimport "lib/shared.sbx"\n\ntask fetch {\n  use shared.base\n'
            '  conect "api.example.com:443"\n  syscalls {\n    default errno EPERM\n    allow @syscalls.basic-io\n  }\n}\n')
    policy.write_text(text)

    c = Client()
    init = c.request("initialize", {"processId": None, "rootUri": "file://" + tmp, "capabilities": {}})
    caps = init.get("result", {}).get("capabilities", {})
    check("initialize: the capabilities", all(caps.get(k) for k in (
        "hoverProvider", "definitionProvider", "documentFormattingProvider", "completionProvider", "codeActionProvider")),
        caps)
    c.notify("initialized", {})

    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "sbx", "version": 1, "text": text}})
    diags = c.diagnostics(uri)
    cli = subprocess.run([SBXC, "check", "--format", "json", str(policy)], capture_output=True, text=True)
    expected = [(d["id"], d["location"]["line"] - 1, d["location"]["column"] - 1) for d in json.loads(cli.stdout)["diagnostics"]] \
        if cli.stdout.strip().startswith("{") else None
    got = [(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in diags]
    check("diagnostics: the codes and spans of `sbxc check`", expected is not None and got == expected,
          f"lsp {got}, check {expected}: {cli.stdout[:300]}")
    typo = next((d for d in diags if d["range"]["start"]["line"] == 5), None)
    check("diagnostics: the misspelt statement is an error on line 6", typo is not None and typo["severity"] == 1, diags)

    actions = c.request("textDocument/codeAction", {"textDocument": {"uri": uri},
                                                    "range": typo["range"] if typo else {},
                                                    "context": {"diagnostics": diags}}).get("result") or []
    edits = [e for a in actions for e in a.get("edit", {}).get("changes", {}).get(uri, [])]
    check("code action: `did you mean` becomes a quick fix", [e["newText"] for e in edits] == ["connect"], actions)

    fixed = text.replace("conect", "connect")
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]})
    after = [d for d in c.diagnostics(uri) if d["severity"] == 1]
    check("diagnostics: the fix leaves no error", after == [], after)

    hover = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 3}})
    value = (hover.get("result") or {}).get("contents", {}).get("value", "")
    check("hover: a keyword", "`connect`" in value and "keyword" in value, hover)
    hover = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 14}})
    value = (hover.get("result") or {}).get("contents", {}).get("value", "")
    check("hover: an imported profile shows its declaration", "profile base" in value, hover)

    completion = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 8, "character": 17}})
    labels = {i["label"] for i in (completion.get("result") or {}).get("items", [])}
    check("completion: the stdlib's groups after `@sys`", "@syscalls.network-io" in labels and "connect" not in labels,
          sorted(labels)[:10])
    completion = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 5}})
    labels = {i["label"] for i in (completion.get("result") or {}).get("items", [])}
    check("completion: keywords and syscalls by prefix, nothing else",
          {"connect", "capability"} & labels == {"connect"} and all(label.startswith("con") for label in labels)
          and "copy_file_range" not in labels, sorted(labels)[:10])

    definition = c.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 13}})
    location = definition.get("result") or {}
    check("definition: across a file import", location.get("uri", "").endswith("/lib/shared.sbx")
          and location.get("range", {}).get("start") == {"line": 2, "character": 8}, definition)

    messy = "task   a {\n    read   \"/usr\"\n}\n"
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": messy}]})
    c.diagnostics(uri)
    formatted = c.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}})
    fmt = subprocess.run([SBXC, "fmt", "-"], input=messy, capture_output=True, text=True).stdout
    check("formatting: what `sbxc fmt` writes", [e["newText"] for e in formatted.get("result") or []] == [fmt], formatted)

    unknown = c.request("textDocument/rename", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    check("an unsupported request gets MethodNotFound", unknown.get("error", {}).get("code") == -32601, unknown)
    check("shutdown is answered", "result" in c.request("shutdown", None))
    c.notify("exit", None)
    check("exit after shutdown: status 0", c.process.wait(timeout=10) == 0)

    broken = subprocess.run([SBXC, "lsp"], input=b"Content-Length: 99999999999\r\n\r\n{}", capture_output=True, timeout=10)
    check("a frame too large ends the server with an error, at once", broken.returncode != 0 and b"Content-Length" in broken.stderr,
          broken)
    truncated = subprocess.run([SBXC, "lsp"], input=b"Content-Length: 50\r\n\r\n{\"jsonrpc\"", capture_output=True, timeout=10)
    check("a message cut short ends the server with an error", truncated.returncode != 0, truncated)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
