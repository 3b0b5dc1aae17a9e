#!/usr/bin/env python3
"""The agent's attacks on tools' tokens (tests/runtime/tool_token_test.cc).

Runs inside sbx-run as the agent of examples/tool-token-demo.sbx (or of the test's variant whose
syscall policy lets the agent trace and read processes, so that only the kernel stands in the
way): the tool `show` (/usr/bin/printenv) holds DEMO_TOKEN in its environment, the tool `reader`
(/usr/bin/cat) holds /run/secrets/reader_token at descriptor 200.

    tool_token_attacks.py OUT_DIR

First the tools print their tokens (into OUT_DIR/show_token and OUT_DIR/reader_token, then
OUT_DIR/ready); then every attack, one line each:

    NAME BLOCKED|ESCAPED|CONTROL-OK|CONTROL-FAILED|SKIPPED detail

A CONTROL line runs the same access against an ordinary (dumpable) process of the agent: it must
succeed, or the attack's failure proves nothing. At the end it waits for OUT_DIR/done.
"""
import ctypes
import os
import secrets
import socket
import stat
import struct
import subprocess
import sys
import time

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.ptrace.restype = ctypes.c_long
LIBC.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
LIBC.syscall.restype = ctypes.c_long
PTRACE_TRACEME, PTRACE_PEEKDATA, PTRACE_CONT, PTRACE_ATTACH, PTRACE_DETACH = 0, 2, 7, 16, 17
PTRACE_GETREGS = 12
SYS_PIDFD_GETFD = 438
SYS_PROCESS_VM_READV = 310
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
CLONE_NEWUSER = 0x10000000
SECRET_FD = 200
BROKER = "/run/sbx/broker.sock"
JWT_HEADER = b"eyJhbGciOiJFZERTQSI"  # every token of sbx-run's broker starts with it
SHOW, READER = "/usr/bin/printenv", "/usr/bin/cat"


def line(name, verdict, detail=""):
    print(f"{name} {verdict} {detail}".rstrip(), flush=True)


def attempt(name, action, control=None):
    """action() and control() return a detail on success and raise on failure."""
    try:
        detail = action()
        line(name, "ESCAPED", detail)
    except Exception as e:  # the attack failed: that is the expected outcome
        line(name, "BLOCKED", f"{type(e).__name__}: {e}")
    if control is not None:
        try:
            line(name + ":control", "CONTROL-OK", control())
        except Exception as e:
            line(name + ":control", "CONTROL-FAILED", f"{type(e).__name__}: {e}")


def check(ok, what):
    if not ok:
        raise RuntimeError(what)


def errno_error(what):
    e = ctypes.get_errno()
    return OSError(e, f"{what}: {os.strerror(e)}")


# ---- processes to attack -------------------------------------------------------------------


def full_pipe():
    """A pipe whose buffer is full: whoever writes to it blocks."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    for chunk in (65536, 4096, 1):
        try:
            while True:
                os.write(w, b"x" * chunk)
        except BlockingIOError:
            pass
    os.set_blocking(w, True)
    return r, w


def wait_dynamic(pid):
    """Waits until `pid` runs a dynamically linked program (the tool, not its static gate)."""
    for _ in range(400):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
            if fields.get("VmLib", "0 kB").strip() != "0 kB":
                time.sleep(0.1)
                return
        except OSError:
            pass
        time.sleep(0.025)
    raise RuntimeError(f"process {pid} never ran its tool")


def blocked_tool(argv):
    """A tool process blocked writing into a full pipe, holding its token."""
    r, w = full_pipe()
    p = subprocess.Popen(argv, stdout=w, stderr=subprocess.DEVNULL)
    os.close(w)
    wait_dynamic(p.pid)
    return p, r


def ordinary_process():
    """A dumpable process of the agent with a canary in its environment and at descriptor 200."""
    fd = os.memfd_create("control", os.MFD_CLOEXEC | 0x0008)  # MFD_NOEXEC_SEAL: sbx-run refuses executable memfds
    os.write(fd, b"canary-fd")
    os.lseek(fd, 0, os.SEEK_SET)
    os.dup2(fd, SECRET_FD)
    p = subprocess.Popen(["/usr/bin/sleep", "60"], env={"CANARY": "canary-env"}, pass_fds=(SECRET_FD,))
    os.close(SECRET_FD)
    os.close(fd)
    wait_dynamic(p.pid)
    return p


def first_mapping(pid):
    with open(f"/proc/{pid}/maps") as f:
        return int(f.readline().split("-")[0], 16)


# ---- one attack against one process -------------------------------------------------------


def read_environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        data = f.read()
    return f"{len(data)} bytes" + (" with a token" if JWT_HEADER in data else "") + (
        " with the canary" if b"canary-env" in data else "")


def read_mem(pid):
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(first_mapping(pid))
        return f"read {len(f.read(16))} bytes"


def read_fd(pid):
    with open(f"/proc/{pid}/fd/{SECRET_FD}", "rb") as f:
        data = f.read()
    return "a token" if JWT_HEADER in data else repr(data[:16])


def list_fds(pid):
    return f"{len(os.listdir(f'/proc/{pid}/fd'))} descriptors"


def ptrace_attach(pid):
    if LIBC.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        raise errno_error("PTRACE_ATTACH")
    os.waitpid(pid, 0)
    LIBC.ptrace(PTRACE_DETACH, pid, None, None)
    return "attached"


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def vm_read(pid):
    try:
        address = first_mapping(pid)
    except OSError:
        address = 0x400000  # the kernel checks the access before the address
    buffer = ctypes.create_string_buffer(16)
    local, remote = IoVec(ctypes.addressof(buffer), 16), IoVec(address, 16)
    n = LIBC.syscall(SYS_PROCESS_VM_READV, pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if n < 0:
        raise errno_error("process_vm_readv")
    return f"read {n} bytes"


def steal_fd(pid):
    pidfd = os.pidfd_open(pid)
    try:
        fd = LIBC.syscall(SYS_PIDFD_GETFD, pidfd, SECRET_FD, 0)
        if fd < 0:
            raise errno_error("pidfd_getfd")
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4096)
        os.close(fd)
        return "a token" if JWT_HEADER in data else repr(data[:16])
    finally:
        os.close(pidfd)


def list_cwd(pid):
    return f"{len(os.listdir(f'/proc/{pid}/cwd'))} entries"


PROCESS_ATTACKS = [("environ", read_environ), ("mem", read_mem), ("fd", read_fd), ("fd-list", list_fds),
                   ("ptrace-attach", ptrace_attach), ("process-vm-readv", vm_read), ("pidfd-getfd", steal_fd),
                   ("cwd", list_cwd)]

# ---- the broker ---------------------------------------------------------------------------


def request(key_hex):
    return b"SBXGATE1 " + key_hex.encode() + b"\n"


def credentials(pid=None):
    return [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
             struct.pack("iII", pid or os.getpid(), os.getuid(), os.getgid()))]


def read_reply(s, timeout=5.0):
    s.settimeout(timeout)
    reply = b""
    try:
        while chunk := s.recv(65536):
            reply += chunk
    except socket.timeout:
        pass
    return reply


def judge_reply(reply):
    if JWT_HEADER in reply:
        return "the broker answered with a token"
    check(reply.startswith(b"refused") or reply == b"", f"unexpected reply {reply!r}")
    raise RuntimeError(reply.decode(errors="replace").strip() or "no reply")


def ask_broker_directly():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(BROKER)
        s.sendmsg([request(secrets.token_hex(32))], credentials())
        return judge_reply(read_reply(s))


def ask_broker_without_credentials():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(BROKER)
        s.sendall(b"hello\n")
        return judge_reply(read_reply(s))


def ask_broker_as_a_gate(gate_pid):
    """Credentials naming a running gate's pid: the kernel refuses a pid that is not the sender's."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(BROKER)
        s.sendmsg([request(secrets.token_hex(32))], credentials(gate_pid))
        return judge_reply(read_reply(s))


def become_gate_after(s, ask):
    """Forks a child that holds the broker connection `s`, sends a request with a made-up key when
    `ask`, then execs the tool (its gate) with the output discarded; returns the child's pid."""
    s.set_inheritable(True)
    pid = os.fork()
    if pid == 0:
        try:
            if ask:
                s.sendmsg([request(secrets.token_hex(32))], credentials())
            devnull = os.open("/dev/null", os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execv(SHOW, ["printenv", "DEMO_TOKEN"])
        finally:
            os._exit(127)
    return pid


def connect_then_exec_gate():
    """Connects and asks, then becomes the gate (exec): the reply comes to the agent's copy. A silent
    connection first keeps the broker busy, so that by the time it reads the request its sender is
    the gate: credentials and /proc alone would let it through; the key it cannot know does not."""
    stall = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stall.connect(BROKER)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(BROKER)
    pid = become_gate_after(s, ask=True)
    reply = read_reply(s)
    s.close()
    stall.close()
    os.waitpid(pid, 0)
    return judge_reply(reply)


def connect_then_exec_gate_silently():
    """Connects, then becomes the gate without asking: the gate makes its own connection."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(BROKER)
    pid = become_gate_after(s, ask=False)
    reply = read_reply(s, timeout=4.0)
    s.close()
    os.waitpid(pid, 0)
    return judge_reply(reply)


# ---- gates and executables ----------------------------------------------------------------

COPIES = [SHOW, READER, "/run/sbx/show/gate", "/run/sbx/show/printenv", "/run/sbx/reader/gate", "/run/sbx/reader/cat"]


def read_file(path):
    with open(path, "rb") as f:
        return f"read {len(f.read(64))} bytes"


def make_readable(path):
    os.chmod(path, 0o755)
    return "chmod 755"


def run_tool(argv, env=None, preexec=None):
    return subprocess.run(argv, env=env, capture_output=True, timeout=20, preexec_fn=preexec)


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def add_allow_all_filter():
    program = (SockFilter * 1)(SockFilter(0x06, 0, 0, 0x7FFF0000))  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW
    fprog = SockFprog(1, program)
    if LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise errno_error("PR_SET_SECCOMP")


def tool_under_extra_filter():
    r = run_tool([SHOW, "DEMO_TOKEN"], preexec=add_allow_all_filter)
    if JWT_HEADER in r.stdout:
        return "the tool got its token"
    raise RuntimeError(f"exit {r.returncode}: {r.stderr.decode(errors='replace').strip()}")


def traced_gate():
    """A child that asks to be traced, then runs the tool: the tracer is attached before the gate."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            if LIBC.ptrace(PTRACE_TRACEME, 0, None, None) != 0:
                os.write(2, b"PTRACE_TRACEME refused\n")
                os._exit(99)
            os.execv(SHOW, ["printenv", "DEMO_TOKEN"])
        finally:
            os._exit(127)
    os.close(out_w)
    os.close(err_w)
    peeked = None
    while True:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            break
        if peeked is None:  # stopped at the gate's exec: try to read its memory
            regs = (ctypes.c_ulonglong * 27)()
            LIBC.ptrace(PTRACE_GETREGS, pid, None, ctypes.addressof(regs))
            ctypes.set_errno(0)
            word = LIBC.ptrace(PTRACE_PEEKDATA, pid, ctypes.c_void_p(regs[16]), None)  # at rip
            peeked = ctypes.get_errno() == 0 and word != -1
        sig = os.WSTOPSIG(status)
        LIBC.ptrace(PTRACE_CONT, pid, None, ctypes.c_void_p(0 if sig == 5 else sig))
    out, err = os.read(out_r, 65536), os.read(err_r, 65536)
    os.close(out_r)
    os.close(err_r)
    check(b"PTRACE_TRACEME refused" not in err, "ptrace is denied by the seccomp filter")
    if JWT_HEADER in out or peeked:
        return "the traced tool got its token" if JWT_HEADER in out else "the tracer read the gate's memory"
    raise RuntimeError(f"exit {os.waitstatus_to_exitcode(status)}, memory unreadable: "
                       f"{err.decode(errors='replace').strip()}")


def enter_own_user_namespace():
    """Into a user namespace of the agent's own, uid 0 unmapped: a non-dumpable process exec'd there
    has root's /proc files, yet the agent, the namespace's owner, might trace it. The broker refuses
    a gate outside the sandbox's namespace; here the gate's credentials already fail (Landlock keeps
    the agent from writing an id map, and an unmapped uid cannot be sent)."""
    if LIBC.unshare(CLONE_NEWUSER) != 0:
        raise errno_error("unshare(CLONE_NEWUSER)")


def gate_in_own_user_namespace():
    r = run_tool([SHOW, "DEMO_TOKEN"], preexec=enter_own_user_namespace)
    if JWT_HEADER in r.stdout:
        return "the tool in the agent's user namespace got its token"
    raise RuntimeError(f"exit {r.returncode}: {r.stderr.decode(errors='replace').strip()}")


def own_user_namespace():
    """The control: the agent can make a user namespace and run a program in it."""
    r = run_tool(["/usr/bin/id", "-u"], preexec=enter_own_user_namespace)
    check(r.returncode == 0, f"exit {r.returncode}")
    return f"id -u in it: {r.stdout.decode().strip()}"


def traced_ordinary():
    """The control: a traced ordinary program's memory is readable by its tracer."""
    pid = os.fork()
    if pid == 0:
        try:
            LIBC.ptrace(PTRACE_TRACEME, 0, None, None)
            os.execv("/usr/bin/true", ["true"])
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    check(os.WIFSTOPPED(status), "not stopped at exec")
    regs = (ctypes.c_ulonglong * 27)()
    LIBC.ptrace(PTRACE_GETREGS, pid, None, ctypes.addressof(regs))
    ctypes.set_errno(0)
    LIBC.ptrace(PTRACE_PEEKDATA, pid, ctypes.c_void_p(regs[16]), None)
    e = ctypes.get_errno()
    LIBC.ptrace(PTRACE_CONT, pid, None, None)
    os.waitpid(pid, 0)
    check(e == 0, f"PEEKDATA: {os.strerror(e)}")
    return "read the traced program's memory"


UNSAFE_ENV = {"LD_PRELOAD": "/workspace/evil.so", "LD_DEBUG": "libs", "LD_LIBRARY_PATH": "/workspace/evil",
              "GCONV_PATH": "/workspace/gconv", "SBX_KEPT": "kept", "PATH": "/usr/bin:/bin"}


def loader_variables(program):
    r = run_tool([program], env=UNSAFE_ENV)
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    loader_saw_them = "cannot be preloaded" in err or "find library" in err
    return out, loader_saw_them


def loader_variables_reach_tool():
    out, loader_saw_them = loader_variables(SHOW)
    check("SBX_KEPT=kept" in out, "the tool did not run with the agent's other variables")
    leaked = [k for k in UNSAFE_ENV if k.startswith(("LD_", "GCONV")) and f"{k}=" in out]
    if leaked or loader_saw_them:
        return f"reached the tool: {leaked}, loader acted: {loader_saw_them}"
    raise RuntimeError("LD_PRELOAD, LD_DEBUG, LD_LIBRARY_PATH, GCONV_PATH removed; SBX_KEPT kept")


def loader_variables_control():
    out, loader_saw_them = loader_variables("/usr/bin/env")
    check(loader_saw_them and "LD_PRELOAD=" in out, "the loader ignored LD_PRELOAD and LD_DEBUG")
    return "the loader acts on them for an ordinary program"


def proc_sweep():
    """Every /proc file of every process the agent can read: none may hold a token."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    if JWT_HEADER in f.read():
                        found.append(f"{pid}/{name}")
            except OSError:
                pass
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    # Files only: opening a pipe would drain it (or block), a terminal would block.
                    if not stat.S_ISREG(os.stat(f"/proc/{pid}/fd/{fd}").st_mode):
                        continue
                    with open(f"/proc/{pid}/fd/{fd}", "rb") as f:
                        if JWT_HEADER in f.read(8192):
                            found.append(f"{pid}/fd/{fd}")
                except OSError:
                    pass
        except OSError:
            pass
    if found:
        return ", ".join(found)
    raise RuntimeError("no token in any readable environ, cmdline or descriptor")


def agent_environment():
    check("DEMO_TOKEN" in os.environ, "DEMO_TOKEN is not in the agent's environment")
    return "DEMO_TOKEN is in the agent's environment"


def secret_link_with_own_descriptor():
    """The link names /proc/self/fd/200: opened by the agent, that is the agent's own descriptor."""
    target = os.readlink("/run/secrets/reader_token")
    mine = os.memfd_create("mine", os.MFD_CLOEXEC | 0x0008)  # MFD_NOEXEC_SEAL
    os.write(mine, b"the agent's own")
    os.dup2(mine, SECRET_FD)
    try:
        with open("/run/secrets/reader_token", "rb") as f:
            data = f.read()
    finally:
        os.close(SECRET_FD)
        os.close(mine)
    check(JWT_HEADER in data, f"{target} is the agent's own descriptor: {data[:16]!r}")
    return "a token"


# ---- the run ------------------------------------------------------------------------------


def main():
    out_dir = sys.argv[1]
    show = run_tool([SHOW, "DEMO_TOKEN"])
    reader = run_tool([READER, "/run/secrets/reader_token"])
    with open(f"{out_dir}/show_token", "wb") as f:
        f.write(show.stdout.strip())
    with open(f"{out_dir}/reader_token", "wb") as f:
        f.write(reader.stdout.strip())
    open(f"{out_dir}/ready", "w").close()
    line("tools", "CONTROL-OK" if JWT_HEADER in show.stdout and JWT_HEADER in reader.stdout else "CONTROL-FAILED",
         (show.stderr + reader.stderr).decode(errors="replace").strip())

    attempt("agent-environment", agent_environment)
    attempt("agent-secret-file", lambda: read_file("/run/secrets/reader_token"))
    attempt("agent-secret-link", secret_link_with_own_descriptor)

    control = ordinary_process()
    targets = [("show", blocked_tool([SHOW])), ("reader", blocked_tool([READER, "/run/secrets/reader_token"]))]
    for tool, (process, _) in targets:
        for name, attack in PROCESS_ATTACKS:
            attempt(f"{tool}-{name}", lambda a=attack, p=process: a(p.pid),
                    (lambda a=attack: a(control.pid)) if tool == "show" else None)
    attempt("proc-sweep", proc_sweep)
    attempt("broker-as-gate-pid", lambda: ask_broker_as_a_gate(targets[0][1][0].pid))
    for _, (process, pipe) in targets:
        process.kill()
        process.wait()
        os.close(pipe)
    control.kill()
    control.wait()

    for path in COPIES:
        attempt(f"read:{path}", lambda p=path: read_file(p))
        attempt(f"chmod:{path}", lambda p=path: make_readable(p))
    line("read:control", "CONTROL-OK" if open("/usr/bin/env", "rb").read(4) == b"\x7fELF" else "CONTROL-FAILED")
    with open("/workspace/mode-test", "w"):
        pass
    os.chmod("/workspace/mode-test", 0o755)
    line("chmod:control", "CONTROL-OK", "chmod of the agent's own file")

    attempt("broker-direct", ask_broker_directly)
    attempt("broker-no-credentials", ask_broker_without_credentials)
    attempt("broker-connect-then-exec", connect_then_exec_gate)
    attempt("broker-connect-then-exec-silent", connect_then_exec_gate_silently)
    attempt("extra-seccomp-filter", tool_under_extra_filter)
    try:
        traced_ordinary()
        attempt("traced-gate", traced_gate, traced_ordinary)
    except Exception as e:
        line("traced-gate", "SKIPPED", f"the agent cannot trace at all here ({e})")
    attempt("gate-in-own-user-namespace", gate_in_own_user_namespace, own_user_namespace)
    attempt("loader-variables", loader_variables_reach_tool, loader_variables_control)

    for _ in range(600):
        if os.path.exists(f"{out_dir}/done"):
            break
        time.sleep(0.05)


if __name__ == "__main__":
    main()
