# The escape attempts of tests/runtime/escape_test.cc, one per name: `python3 escapes.py NAME [ARG]`
# prints ESCAPED when the attempt succeeded and BLOCKED <why> when it did not; being killed also
# means blocked. The test runs every attempt inside sbx-run (examples/contained.sbx) and outside
# it as a control: an attempt that fails outside too is not applicable, never a pass.
import ctypes, errno, mmap, os, socket, sys

libc = ctypes.CDLL(None, use_errno=True)


def syscall(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return -ctypes.get_errno() if r == -1 else r


def verdict(ok, why=""):
    print("ESCAPED" if ok else f"BLOCKED {why}", flush=True)


def attempt(fn):
    try:
        r = fn()
        verdict(r is None or r is True or (isinstance(r, int) and r >= 0), r)
    except OSError as e:
        verdict(False, errno.errorcode.get(e.errno, e.errno))
    except MemoryError:
        verdict(False, "MemoryError")


def read(path):
    with open(path, "rb") as f:
        f.read(1)


def write(path):
    with open(path, "wb") as f:
        f.write(b"x")


def i386_getpid():
    # mov eax, 20 (getpid on i386); int 0x80; ret  -- the 32-bit entry point from a 64-bit process
    code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
    mem = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    mem.write(code)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    return ctypes.CFUNCTYPE(ctypes.c_long)(addr)()


def tiocsti(request):
    master, slave = os.openpty()
    c = ctypes.c_char(b"x")
    r = libc.ioctl(slave, ctypes.c_ulong(request), ctypes.byref(c))
    return -ctypes.get_errno() if r == -1 else r


def caps():
    status = open("/proc/self/status").read().split("\n")
    fields = {l.split(":")[0]: l.split(":")[1].strip() for l in status if ":" in l}
    held = [k for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb") if int(fields[k], 16) != 0]
    return True if held else -1


def no_new_privs():
    status = open("/proc/self/status").read()
    return True if "NoNewPrivs:\t0" in status else -1


def fork_bomb():
    # Blocked: "BLOCKED -N", N the children it could start (the test checks N against the limit).
    children = 0
    try:
        while children < 512:
            pid = os.fork()
            if pid == 0:
                import time
                time.sleep(5)
                os._exit(0)
            children += 1
    except OSError:
        pass
    return True if children >= 512 else -children


def memory_bomb():
    # Touches 8 MiB blocks up to 1 GiB. Blocked: "BLOCKED -M", M the MiB it held when refused.
    blocks = []
    try:
        while len(blocks) < 128:
            blocks.append(bytearray(8 << 20))
    except MemoryError:
        return -8 * len(blocks)
    return True


def inherited_fd(fd):
    os.fstat(int(fd))
    return True


def loopback(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", int(port)))
    return True


def memfd_exec():
    # A program copied into anonymous memory and run from there: /workspace and /tmp are noexec,
    # a memfd is on no mount of the plan.
    fd = os.memfd_create("payload", 0)
    with open("/bin/true", "rb") as f:
        os.write(fd, f.read())
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(f"/proc/self/fd/{fd}", ["true"])
        except OSError as e:
            os._exit(e.errno)
        os._exit(255)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return True if status == 0 else -status  # the errno of the failed exec


def dev_write():
    # Creating in /dev or changing its mode (to the mode it has: nothing changes where it works).
    try:
        os.chmod("/dev", os.stat("/dev").st_mode & 0o7777)
        return True
    except OSError:
        pass
    probe = "/dev/sbx-escape-probe"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    os.unlink(probe)
    return True


def root_group():
    return True if 0 in (os.getgid(), os.getegid()) or 0 in os.getgroups() else -1


def host_paths_in_cmdline():
    # The host paths to look for are in host-paths.txt beside this script (the environment is
    # cleared inside): any of them in a command line readable here exposes the host's layout.
    here = os.path.dirname(os.path.abspath(__file__))
    paths = open(os.path.join(here, "host-paths.txt")).read().split()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if any(p in cmdline for p in paths):
            return True
    return -1


ATTEMPTS = {
    "read-host-file": lambda: read("/etc/hostname"),
    "read-proc-1-root": lambda: read("/proc/1/root/etc/hostname"),
    "write-read-only": lambda: write("/usr/sbx-escape-probe"),
    "remount-rw": lambda: libc.mount(None, b"/usr", None, 0x20 | 0x1000, None) == 0 or -ctypes.get_errno(),
    "mount": lambda: libc.mount(b"none", b"/mnt", b"tmpfs", 0, None) == 0 or -ctypes.get_errno(),
    "unshare": lambda: syscall(272, 0x10000000),  # CLONE_NEWUSER
    "setns": lambda: syscall(308, os.open("/proc/self/ns/uts", os.O_RDONLY), 0),
    "chroot": lambda: libc.chroot(b"/proc") == 0 or -ctypes.get_errno(),
    "ptrace": lambda: syscall(101, 0, 0, 0, 0),  # PTRACE_TRACEME
    "bpf": lambda: syscall(321, 0, ctypes.addressof(ctypes.create_string_buffer(b"\x02\0\0\0\x04\0\0\0\x04\0\0\0\x01\0\0\0" + b"\0" * 112)), 128),
    "add_key": lambda: libc.syscall(ctypes.c_long(248), b"user", b"sbx", b"data", ctypes.c_long(4), ctypes.c_long(-2)) >= 0 or -ctypes.get_errno(),
    "perf_event_open": lambda: syscall(298, ctypes.addressof(ctypes.create_string_buffer(b"\x01\0\0\0\x80\0\0\0" + b"\0" * 120)), 0, -1, -1, 0),
    "userfaultfd": lambda: syscall(323, 0),
    "io_uring_setup": lambda: syscall(425, 4, ctypes.addressof(ctypes.create_string_buffer(120))),
    "x32-syscall": lambda: syscall(0x40000000 | 39),  # getpid through the x32 ABI
    "i386-int80": i386_getpid,
    "tiocsti": lambda: tiocsti(0x5412),
    "tiocsti-high-bits": lambda: tiocsti(0x5412 | (1 << 32)),
    "tioclinux": lambda: tiocsti(0x541C),
    "raw-socket": lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) and True,
    "netlink-socket": lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) and True,
    "dev-mem": lambda: read("/dev/mem"),
    "dev-kmsg": lambda: read("/dev/kmsg"),
    "sysrq-trigger": lambda: os.open("/proc/sysrq-trigger", os.O_WRONLY) >= 0,
    "capabilities": caps,
    "no-new-privs": no_new_privs,
    "fork-bomb": fork_bomb,
    "memory-bomb": memory_bomb,
    "host-environment": lambda: True if os.environ.get("SBX_ESCAPE_CANARY") else -1,
    "inherited-fd": lambda: inherited_fd(sys.argv[2]),
    "host-loopback": lambda: loopback(sys.argv[2]),
    "memfd-exec": memfd_exec,
    "dev-write": dev_write,
    "root-group": root_group,
    "host-paths-in-cmdline": host_paths_in_cmdline,
}

if __name__ == "__main__":
    attempt(ATTEMPTS[sys.argv[1]])
