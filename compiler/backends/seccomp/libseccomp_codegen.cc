// Drives libseccomp with the flattened specification (flat_rules.h): one context per
// architecture, merged, exported as BPF through a memfd.
#include "backends/seccomp/libseccomp_codegen.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace sbx::seccomp {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

std::uint32_t scmpArch(model::Arch arch) {
  return arch == model::Arch::X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
}

Ctx newContext(const FlatFilter& flat, model::Arch arch, int optimize, std::string& error) {
  Ctx ctx(seccomp_init(flat.defaultAction));
  if (!ctx) {
    error = "libseccomp could not create a filter context";
    return nullptr;
  }
  int rc = 0;
  if (scmpArch(arch) != seccomp_arch_native()) {
    rc = seccomp_arch_add(ctx.get(), scmpArch(arch));
    if (rc == 0) rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE);
  }
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, flat.badArch);
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, static_cast<std::uint32_t>(optimize));
  if (rc != 0) {
    error = fmt::format("libseccomp rejected the filter attributes: {}", std::strerror(-rc));
    return nullptr;
  }
  return ctx;
}

}  // namespace

bool generateLibseccomp(const FlatFilter& flat, int optimize, Program& program, std::string& error) {
  Ctx merged;
  for (const auto& fa : flat.arches) {
    Ctx ctx = newContext(flat, fa.arch, optimize, error);
    if (!ctx) return false;
    for (const auto& rule : fa.rules) {
      scmp_arg_cmp cmps[6];
      unsigned n = 0;
      for (unsigned k = 0; k < 6; ++k)
        // Spelled out: SCMP_CMP is a C99 compound literal, which C++ compilers need not accept.
        if (rule.args[k].mask != 0)
          cmps[n++] = scmp_arg_cmp{k, SCMP_CMP_MASKED_EQ, rule.args[k].mask, rule.args[k].value};
      // libseccomp reads syscall numbers as the build machine's own and translates them by name
      // for the context's architecture; so the rule names its syscall in native numbering.
      int nr = fa.arch == model::Arch::X86_64 && seccomp_arch_native() == SCMP_ARCH_X86_64
                   ? static_cast<int>(rule.nr)
                   : seccomp_syscall_resolve_name(rule.name.c_str());
      int rc = nr == __NR_SCMP_ERROR ? -ENOENT : seccomp_rule_add_exact_array(ctx.get(), rule.action, nr, n, cmps);
      if (rc != 0) {
        error = fmt::format("libseccomp rejected a rule for `{}` ({}): {}", rule.name, rule.nr, std::strerror(-rc));
        return false;
      }
    }
    if (!merged) {
      merged = std::move(ctx);
    } else {
      int rc = seccomp_merge(merged.get(), ctx.get());
      if (rc != 0) {
        error = fmt::format("libseccomp could not merge the architectures: {}", std::strerror(-rc));
        return false;
      }
      ctx.release();  // seccomp_merge took it over
    }
  }
  if (!merged) {
    error = "the filter names no architecture";
    return false;
  }
  return exportProgram(merged.get(), program, error);
}

bool exportProgram(void* ctx, Program& program, std::string& error) {
  int fd = memfd_create("sbxc-seccomp", MFD_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("memfd_create: {}", std::strerror(errno));
    return false;
  }
  int rc = seccomp_export_bpf(ctx, fd);
  std::string bytes;
  if (rc == 0) {
    off_t size = lseek(fd, 0, SEEK_END);
    bytes.resize(static_cast<std::size_t>(size > 0 ? size : 0));
    if (size < 0 || pread(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) rc = -EIO;
  }
  close(fd);
  if (rc != 0 || !fromBytes(bytes, program)) {
    error = fmt::format("libseccomp could not export the filter: {}", std::strerror(rc != 0 ? -rc : EIO));
    return false;
  }
  return true;
}

bool generateLibseccomp(const FilterSpec& spec, int optimize, Program& program, std::string& error) {
  FlatFilter flat;
  if (!flatten(spec, flat, error)) return false;
  return generateLibseccomp(flat, optimize, program, error);
}

}  // namespace sbx::seccomp
