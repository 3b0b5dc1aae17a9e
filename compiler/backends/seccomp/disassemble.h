// seccomp.pfc: a readable listing of a filter, one instruction a line, with the syscall names
// and arguments each comparison tests (tracked along every path from the arch check).
#pragma once
#include <string>
#include <string_view>

#include "bpf/bpf_program.h"

namespace sbx::seccomp {

std::string disassemble(const Program& program, std::string_view header);

}  // namespace sbx::seccomp
