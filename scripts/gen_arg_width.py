#!/usr/bin/env python3
"""Generates common/tables/arg_width.def: the syscall arguments the kernel reads as 32-bit (or
narrower) values, for x86_64 and aarch64, from a kernel source tree.

Why generated: a hand-written list missed setrlimit's resource, the chown ids, signal numbers,
futex's op and the *at flags, and a policy comparing such an argument on all 64 bits is bypassed
by setting the upper half (the kernel's SYSCALL_DEFINE wrapper casts the register to the
parameter's type and ignores it). The source of truth is the kernel itself:

  * the syscall tables say which entry point serves each syscall name:
      x86_64:  arch/x86/entry/syscalls/syscall_64.tbl (the "common" and "64" ABIs)
      aarch64: include/uapi/asm-generic/unistd.h with arch/arm64/include/uapi/asm/unistd.h's
               __ARCH_WANT_* switches (64-bit, not compat)
  * include/linux/syscalls.h's asmlinkage prototypes give each entry point's parameter types
    (evaluated for the architecture's configuration: CONFIG_CLONE_BACKWARDS on arm64, ...);
  * entry points that syscalls.h does not declare (arch_prctl, iopl, modify_ldt, mmap, ...)
    come from the SYSCALL_DEFINEn in arch/<arch>/kernel.

Regenerate (needs the Debian package linux-source-6.1, or any kernel tree):
    apt-get install linux-source-6.1
    mkdir -p /tmp/ksrc && tar -C /tmp/ksrc -xf /usr/src/linux-source-6.1.tar.xz
    scripts/gen_arg_width.py /tmp/ksrc/linux-source-6.1 > common/tables/arg_width.def
The output is deterministic (sorted). tests/seccomp/arg_width_source_test.sh compares the checked-in
file with a fresh run when a kernel tree is present, and is skipped (exit 77) otherwise.
"""
import os
import re
import sys

# Parameter types the kernel reads as fewer than 64 bits, with their width.
NARROW = {
    "int": 32, "unsigned int": 32, "unsigned": 32, "signed int": 32,
    "u32": 32, "__u32": 32, "uint32_t": 32, "s32": 32, "__s32": 32,
    "uid_t": 32, "gid_t": 32, "pid_t": 32, "qid_t": 32, "key_serial_t": 32,
    "clockid_t": 32, "timer_t": 32, "mqd_t": 32, "key_t": 32, "rwf_t": 32, "mode_t": 32,
    "umode_t": 16, "unsigned short": 16, "u16": 16, "old_uid_t": 16, "old_gid_t": 16,
}
# Parameter types read on all 64 bits (pointers are recognised by their '*').
WIDE = {
    "long", "unsigned long", "long long", "unsigned long long", "u64", "__u64", "s64",
    "size_t", "loff_t", "off_t", "aio_context_t", "old_sigset_t", "time_t",
    "cap_user_header_t", "cap_user_data_t", "__kernel_old_time_t", "__sighandler_t",
}
# Arguments declared 64-bit that the kernel truncates itself before use (why, per entry).
TRUNCATED = {
    ("clone", 0): "kernel_clone_args takes lower_32_bits(clone_flags) (kernel/fork.c)",
}
ARCH_CONFIG = {
    "x86_64": {"CONFIG_64BIT", "CONFIG_X86_64"},
    "aarch64": {"CONFIG_64BIT", "CONFIG_ARM64", "CONFIG_CLONE_BACKWARDS"},
}
# Where each architecture switches on the optional syscalls (#define __ARCH_WANT_...).
ARCH_WANT_HEADERS = {
    "x86_64": ["arch/x86/include/asm/unistd.h"],
    "aarch64": ["arch/arm64/include/uapi/asm/unistd.h", "arch/arm64/include/asm/unistd.h"],
}
ARCH_DIRS = {"x86_64": ["arch/x86/kernel", "arch/x86/mm", "arch/x86/entry"], "aarch64": ["arch/arm64/kernel"]}
# 32-bit-only sources in the x86 tree (their SYSCALL_DEFINEs are not x86_64 entry points).
SKIP_SOURCES = {"process_32.c", "vm86_32.c", "sys_ia32.c", "signal_32.c"}


def read(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        return f.read()


def condition_holds(expr, defined):
    expr = re.sub(r"/\*.*?\*/", "", expr).strip()
    expr = re.sub(r"defined\s*\(\s*(\w+)\s*\)", lambda m: str(m.group(1) in defined), expr)
    expr = re.sub(r"defined\s+(\w+)", lambda m: str(m.group(1) in defined), expr)
    expr = re.sub(r"_?_?BITS_PER_LONG", "64", expr)
    expr = expr.replace("||", " or ").replace("&&", " and ").replace("!=", " != ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    expr = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: m.group(0) if m.group(0) in ("True", "False", "and", "or", "not") else "0", expr)
    return bool(eval(expr, {"__builtins__": {}}))  # noqa: S307 - a constant expression we built


def preprocess(text, defined):
    """Keeps the lines of the conditional blocks that hold under `defined`; only conditionals."""
    out, stack = [], []  # stack of (this branch active, some branch taken, parent active)
    active = True
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)", s)
        if not m:
            if active:
                out.append(line)
            continue
        kind, rest = m.group(1), m.group(2)
        if kind in ("ifdef", "ifndef", "if"):
            if kind == "if":
                holds = condition_holds(rest, defined)
            else:
                name = rest.split()[0]
                # Prototypes are guarded by CONFIG_ARCH_HAS_SYSCALL_WRAPPER only so that wrapper
                # arches do not call them; their types still describe the entry points.
                holds = (name in defined or name == "CONFIG_ARCH_HAS_SYSCALL_WRAPPER") == (kind == "ifdef")
                if name in ("_LINUX_SYSCALLS_H", "CONFIG_ARCH_HAS_SYSCALL_WRAPPER") and kind == "ifndef":
                    holds = True
            stack.append((active, holds))
            active = active and holds
        elif kind == "elif":
            parent, taken = stack[-1]
            holds = not taken and condition_holds(rest, defined)
            stack[-1] = (parent, taken or holds)
            active = parent and holds
        elif kind == "else":
            parent, taken = stack[-1]
            active = parent and not taken
            stack[-1] = (parent, True)
        else:
            active = stack.pop()[0]
    return "\n".join(out)


def width_of(param):
    """(bits, type text) of one parameter; bits is 64 for anything read on the whole register."""
    p = re.sub(r"\b(const|volatile|__user|__force|struct|union)\b", lambda m: m.group(0) if m.group(0) in ("struct", "union") else "", param)
    p = " ".join(p.split())
    if "*" in p or "[" in p:
        return 64, "pointer"
    words = p.split()
    if words and words[0] == "enum":
        return 32, "enum " + words[1]
    for n in (3, 2, 1):  # longest known type spelled by the leading words; the rest is the name
        t = " ".join(words[:n])
        if len(words) >= n and t in NARROW:
            return NARROW[t], t
        if len(words) >= n and t in WIDE:
            return 64, t
    raise SystemExit(f"gen_arg_width: unknown parameter type in '{param}': add it to NARROW or WIDE")


def split_params(params):
    params = " ".join(params.split())
    if params in ("void", ""):
        return []
    return [p.strip() for p in params.split(",")]


def prototypes_from_header(root, defined):
    text = preprocess(read(root, "include/linux/syscalls.h"), defined)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    protos = {}
    for m in re.finditer(r"asmlinkage\s+long\s+(sys_\w+)\s*\(([^;]*?)\)\s*;", text, flags=re.S):
        protos[m.group(1)] = [width_of(p) for p in split_params(m.group(2))]
    return protos


def prototypes_from_arch(root, arch):
    protos = {}
    for d in ARCH_DIRS[arch]:
        for dirpath, _, files in sorted(os.walk(os.path.join(root, d))):
            for name in sorted(files):
                if not name.endswith(".c") or name in SKIP_SOURCES:
                    continue
                text = read(root, os.path.relpath(os.path.join(dirpath, name), root))
                for m in re.finditer(r"^SYSCALL_DEFINE(\d)\((\w+)\s*(?:,([^)]*))?\)", text, flags=re.M):
                    parts = [p.strip() for p in (m.group(3) or "").split(",")] if m.group(3) else []
                    types = [parts[i] for i in range(0, len(parts), 2)]
                    protos["sys_" + m.group(2)] = [width_of(t) for t in types]
    return protos


def x86_64_table(root):
    table = {}
    for line in read(root, "arch/x86/entry/syscalls/syscall_64.tbl").splitlines():
        f = line.split()
        if len(f) >= 4 and not line.startswith("#") and f[1] in ("common", "64"):
            table[f[2]] = f[3]
    return table


def aarch64_table(root, defined):
    text = preprocess(read(root, "include/uapi/asm-generic/unistd.h").replace("\\\n", " "), defined)
    names = {}
    for m in re.finditer(r"#define\s+(__NR(?:3264)?_\w+)\s+(__NR3264_\w+|\d+)\b", text):
        names[m.group(1)] = m.group(2)
    table = {}
    calls = r"^(__SYSCALL|__SC_COMP|__SC_3264|__SC_COMP_3264)\((\w+),\s*([^)]*)\)"
    for m in re.finditer(calls, text, flags=re.M):
        macro, nr, args = m.group(1), m.group(2), [a.strip() for a in m.group(3).split(",")]
        entry = args[0] if macro in ("__SYSCALL", "__SC_COMP") else args[1]  # native, 64-bit
        # The name libseccomp and sbxc use: __NR_fstat is __NR3264_fstat on 64-bit.
        aliases = [k for k, v in names.items() if v == nr and k.startswith("__NR_")]
        name = (aliases[0] if aliases else nr)
        name = re.sub(r"^__NR(3264)?_", "", name)
        if entry != "sys_ni_syscall" and not name.startswith("arch_specific"):
            table[name] = entry
    return table


def rows_for(arch, table, protos):
    rows = []
    for name, entry in table.items():
        if entry not in protos:
            raise SystemExit(f"gen_arg_width: no prototype for {arch} {name} ({entry})")
        for i, (bits, typ) in enumerate(protos[entry]):
            if (name, i) in TRUNCATED:
                bits, typ = 32, "unsigned long, " + TRUNCATED[(name, i)]
            if bits < 64:
                rows.append((name, i, bits, typ))
    return rows


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: gen_arg_width.py KERNEL_SOURCE_DIR > common/tables/arg_width.def")
    root = sys.argv[1]
    version = read(root, "Makefile").split("\n")[:4]
    kv = ".".join(l.split("=")[1].strip() for l in version[1:4])
    rows = []
    for arch in ("x86_64", "aarch64"):
        defined = set(ARCH_CONFIG[arch])
        for header in ARCH_WANT_HEADERS[arch]:
            text = preprocess(read(root, header), defined)
            defined |= set(re.findall(r"#\s*define\s+(__ARCH_WANT_\w+)", text))
        protos = prototypes_from_header(root, defined)
        protos.update(prototypes_from_arch(root, arch))
        table = x86_64_table(root) if arch == "x86_64" else aarch64_table(root, defined)
        rows += [(arch,) + r for r in rows_for(arch, table, protos)]
    print(HEADER.format(kv=kv).rstrip("\n"))
    for arch, name, i, bits, typ in sorted(rows):
        print(f"SBX_ARG_NARROW({arch}, {name}, {i}, {bits})  // {typ}")
    print("\n#undef SBX_ARG_NARROW")


HEADER = """// GENERATED by scripts/gen_arg_width.py from Linux {kv} (include/linux/syscalls.h, the
// SYSCALL_DEFINEs of arch/x86 and arch/arm64, syscall_64.tbl and asm-generic/unistd.h): do not
// edit; see the script for how to regenerate.
// Syscall arguments the kernel reads as fewer than 64 bits: SBX_ARG_NARROW(arch, syscall,
// argument index, bits), bits being 32 or 16 (umode_t). The kernel's SYSCALL_DEFINE wrapper casts
// the register to the parameter's type, so the upper bits may hold anything: a condition without
// an explicit width compares only the low 32 bits of these (and == / != / & on a 16-bit one only
// its low 16), else `arg0 == 6` would be bypassed with 6 | 1<<32 (CVE-2019-10063's class). Every
// other argument compares all 64 bits.
#ifndef SBX_ARG_NARROW
#error "define SBX_ARG_NARROW(arch, syscall, index, bits) before including arg_width.def"
#endif
"""

if __name__ == "__main__":
    main()
