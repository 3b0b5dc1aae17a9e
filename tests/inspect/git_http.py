"""A git smart-HTTP server for the inspector's tests: each request is handed to Debian's
`git http-backend` as a CGI program (the way Apache or nginx serve it), over the HTTPS server of
loopback_https.py. The handler records every request it serves (method and path with query)."""
import http.server
import os
import re
import subprocess


def make_repository(work):
    """work/srv/repo.git, a bare repository with one commit whose subject is returned."""
    subject = "the served commit"
    source, served = work / "src", work / "srv/repo.git"
    git = lambda *a: subprocess.run(["git", *a], check=True, capture_output=True, env={
        "PATH": os.environ["PATH"], "HOME": str(work), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    git("init", "-q", "-b", "main", str(source))
    (source / "README").write_text("served over HTTPS\n")
    git("-C", str(source), "add", "README")
    git("-C", str(source), "commit", "-q", "-m", subject)
    git("clone", "-q", "--bare", str(source), str(served))
    return subject


def handler_for(project_root):
    class GitHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        seen = []  # (method, path with query)

        def backend(self):
            GitHandler.seen.append((self.command, self.path))
            body = self.read_body()
            path, _, query = self.path.partition("?")
            env = {"PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(project_root), "GIT_HTTP_EXPORT_ALL": "1",
                   "GIT_CONFIG_NOSYSTEM": "1", "REQUEST_METHOD": self.command, "PATH_INFO": path,
                   "QUERY_STRING": query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                   "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}
            for header, variable in (("Git-Protocol", "GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
                if self.headers.get(header):
                    env[variable] = self.headers[header]
            out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60).stdout
            head, _, payload = re.split(rb"(\r?\n\r?\n)", out, maxsplit=1) if re.search(rb"\r?\n\r?\n", out) else (out, b"", b"")
            status, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def read_body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    chunk = self.rfile.read(size + 2)[:size]
                    if not size:
                        return body
                    body += chunk
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        do_GET = do_POST = backend

        def log_message(self, *args):
            pass

    return GitHandler
