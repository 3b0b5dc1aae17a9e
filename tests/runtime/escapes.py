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


def tiocsti(request, argument=b"x"):
    master, slave = os.openpty()
    c = ctypes.c_char(argument)
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


def peer():
    # The process to attack through /proc and the cross-process calls: inside, the sandbox's init
    # (our parent, PID 1), which shares the launcher's memory (runtime/init.h); outside, as the
    # control, a child of ours of the same user, which these calls may reach.
    if os.getppid() == 1:
        return 1
    import signal
    pid = os.fork()
    if pid == 0:
        signal.pause()
        os._exit(0)
    import atexit
    atexit.register(lambda: os.kill(pid, 9))
    return pid


def process_vm(nr):
    # One byte at an address of ours: init shares the launcher's memory, a child ours (same layout).
    buf = ctypes.create_string_buffer(1)
    local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 1)
    remote = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 1)
    return syscall(nr, peer(), ctypes.addressof(local), 1, ctypes.addressof(remote), 1, 0)


def pidfd_getfd_init():
    # Steal any descriptor of PID 1 (the sync socket, the proxy's listener, the workspace).
    pidfd = syscall(434, peer(), 0)  # pidfd_open
    if pidfd < 0:
        return pidfd
    last = -1
    for target in range(64):
        last = syscall(438, pidfd, target, 0)  # pidfd_getfd
        if last >= 0:
            return True
    return last


def kcmp_init():
    return syscall(312, peer(), os.getpid(), 0, 0, 0)  # kcmp(peer, self, KCMP_FILE, 0, 0)


def clone_flags(flags):
    # clone(flags | SIGCHLD) through the raw call; the child exits at once.
    pid = syscall(56, flags | 17, 0, 0, 0, 0)
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    return pid


def clone3_newuser():
    # clone3 keeps its flags in memory, out of seccomp's sight: struct clone_args, 88 bytes.
    args = (ctypes.c_uint64 * 11)(0x10000000, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0)
    pid = syscall(435, ctypes.addressof(args), 88)
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    return pid


def open_by_handle():
    # The "shocker" breakout: open_by_handle_at with a handle of a file (needs CAP_DAC_READ_SEARCH).
    handle = ctypes.create_string_buffer(8 + 128)
    ctypes.c_uint32.from_buffer(handle).value = 128
    mount_id = ctypes.c_int()
    here = os.path.abspath(__file__).encode()
    r = libc.syscall(ctypes.c_long(303), ctypes.c_long(-100), here, handle, ctypes.byref(mount_id), ctypes.c_long(0))
    if r != 0:
        return -ctypes.get_errno()
    mount_fd = os.open(os.path.dirname(here), os.O_RDONLY)
    return syscall(304, mount_fd, ctypes.addressof(handle), os.O_RDONLY)


def prctl_set_mm():
    # PR_SET_MM_BRK to the current break: rewriting the memory map's fields (CAP_SYS_RESOURCE).
    libc.sbrk.restype = ctypes.c_void_p
    brk = libc.sbrk(ctypes.c_long(0))
    r = libc.prctl(35, 7, ctypes.c_ulong(brk), 0, 0)
    return r if r == 0 else -ctypes.get_errno()


def vsock_listen():
    # vsock reaches the hypervisor's host past the network namespace: bind and listen only
    # (no traffic leaves: a listener the host could reach is the escape).
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.bind((socket.VMADDR_CID_ANY, socket.VMADDR_PORT_ANY))
    s.listen(1)
    return True


def core_dumps():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    return True if hard != 0 else -1  # the payload could raise its soft limit and dump a core


def sysv_shm(shm_id):
    # A segment the host made for every user (mode 0666): the IPC namespace must hide it.
    libc.shmat.restype = ctypes.c_void_p
    address = libc.shmat(ctypes.c_int(int(shm_id)), None, 0)
    return True if address not in (None, ctypes.c_void_p(-1).value) else -ctypes.get_errno()


def abstract_unix(name):
    # An abstract UNIX socket listening on the host: the network namespace must hide it.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect("\0" + name)
    return True


def raise_rlimit():
    # Raising the hard address-space limit (outside, lowered first so that there is a limit).
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 40, 1 << 40))
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except ValueError:  # how Python reports EPERM here
        return -errno.EPERM
    return True


def oom_score_adj_lower():
    # -1000: never OOM-killed, so the host's processes would be instead (CAP_SYS_RESOURCE).
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("-1000")
    return True


def sys_fs_cgroup():
    os.listdir("/sys/fs/cgroup")
    return True


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
    "proc-1-mem-open": lambda: os.open(f"/proc/{peer()}/mem", os.O_RDWR) >= 0,
    "proc-1-maps": lambda: read(f"/proc/{peer()}/maps"),
    "proc-1-fd": lambda: os.listdir(f"/proc/{peer()}/fd") and True,
    "proc-1-cwd": lambda: os.listdir(f"/proc/{peer()}/cwd") and True,
    "proc-1-map-files": lambda: os.listdir(f"/proc/{peer()}/map_files") and True,
    "proc-1-environ": lambda: True if open(f"/proc/{peer()}/environ", "rb").read() else -1,  # masked: empty
    "process-vm-readv": lambda: process_vm(310),
    "process-vm-writev": lambda: process_vm(311),
    "pidfd-getfd-init": pidfd_getfd_init,
    "kcmp-init": kcmp_init,
    "clone-newuser": lambda: clone_flags(0x10000000),
    "clone-newns": lambda: clone_flags(0x00020000),
    "clone3-newuser": clone3_newuser,
    "unshare-newns": lambda: syscall(272, 0x00020000),
    "unshare-newtime": lambda: syscall(272, 0x80),
    "fsopen": lambda: libc.syscall(ctypes.c_long(430), b"tmpfs", ctypes.c_long(0)) >= 0 or -ctypes.get_errno(),
    "open-tree": lambda: libc.syscall(ctypes.c_long(428), ctypes.c_long(-100), b"/", ctypes.c_long(1)) >= 0 or -ctypes.get_errno(),
    "open-by-handle": open_by_handle,
    "prctl-set-mm": prctl_set_mm,
    "tiocsetd": lambda: tiocsti(0x5423, b"\0"),  # N_TTY, the discipline it has
    "tioccons": lambda: tiocsti(0x541D),
    "keyctl-join": lambda: syscall(250, 1, 0),  # KEYCTL_JOIN_SESSION_KEYRING: a fresh keyring
    "personality": lambda: syscall(135, 0x0040000),  # ADDR_NO_RANDOMIZE for what it execs
    "vsock-listen": vsock_listen,
    "core-dumps": core_dumps,
    "sys-fs-cgroup": sys_fs_cgroup,
    "sysv-shm": lambda: sysv_shm(sys.argv[2]),
    "abstract-unix": lambda: abstract_unix(sys.argv[2]),
    "raise-rlimit": raise_rlimit,
    # kill(-1, 0) probes every process we may signal except PID 1 and ourselves: none inside.
    "signal-all": lambda: os.kill(-1, 0),
    "nice-raise": lambda: os.setpriority(os.PRIO_PROCESS, 0, -20),  # CAP_SYS_NICE
    "sched-fifo": lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1)),  # real-time CPU
    "ioprio-rt": lambda: syscall(251, 1, 0, (1 << 13) | 4),  # ioprio_set: the real-time I/O class
    "oom-score-adj-lower": oom_score_adj_lower,
}

if __name__ == "__main__":
    attempt(ATTEMPTS[sys.argv[1]])
