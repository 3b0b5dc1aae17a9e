#include "backends/seccomp/assembler.h"

#include <algorithm>

#include <fmt/format.h>

namespace sbx::seccomp {

Assembler::Label Assembler::newLabel() {
  labelAt_.push_back(-1);
  incoming_.push_back({});
  return static_cast<Label>(labelAt_.size() - 1);
}

void Assembler::arrive(Label label, std::uint32_t state) {
  Incoming& in = incoming_[static_cast<std::size_t>(label)];
  if (!in.any) {
    in = {true, state};
  } else if (in.state != state) {
    in.state = kUnknown;
  }
}

void Assembler::bind(Label label) {
  if (reachable_) arrive(label, loaded_);
  const Incoming& in = incoming_[static_cast<std::size_t>(label)];
  loaded_ = in.any ? in.state : kUnknown;
  reachable_ = true;
  pendingBind_.push_back(label);
}

void Assembler::emit(const Ins& ins) {
  for (Label l : pendingBind_) labelAt_[static_cast<std::size_t>(l)] = static_cast<int>(code_.size());
  pendingBind_.clear();
  code_.push_back(ins);
}

void Assembler::load(std::uint32_t offset) {
  if (loaded_ == offset) return;
  emit({static_cast<std::uint16_t>(BPF_LD | BPF_W | BPF_ABS), offset});
  loaded_ = offset;
}

void Assembler::jump(std::uint16_t op, std::uint32_t k, Label ifTrue, Label ifFalse) {
  emit({static_cast<std::uint16_t>(BPF_JMP | op | BPF_K), k, ifTrue, ifFalse});
  arrive(ifTrue, loaded_);
  arrive(ifFalse, loaded_);
  reachable_ = false;
}

void Assembler::jumpTo(Label target) {
  // A jump to a shared return is the return itself: as long, one instruction shorter a path.
  for (const auto& [action, label] : exits_)
    if (label == target) {
      ret(action);
      return;
    }
  emit({static_cast<std::uint16_t>(BPF_JMP | BPF_JA), 0, target, -1});
  arrive(target, loaded_);
  reachable_ = false;
}

void Assembler::aluAnd(std::uint32_t k) {
  emit({static_cast<std::uint16_t>(BPF_ALU | BPF_AND | BPF_K), k});
  loaded_ = kUnknown;
}

void Assembler::ret(Action action) {
  emit({static_cast<std::uint16_t>(BPF_RET | BPF_K), action});
  reachable_ = false;
}

Assembler::Label Assembler::exit(Action action) {
  auto [it, fresh] = exits_.try_emplace(action, -1);
  if (fresh) it->second = newLabel();
  return it->second;
}

bool Assembler::finish(Program& out, std::string& error) {
  // Shared returns go last, strictest first, so every path ends on one.
  for (const auto& [action, label] : exits_) {
    bind(label);
    ret(action);
  }
  if (!pendingBind_.empty()) {
    error = "internal: a label is bound to no instruction";
    return false;
  }
  // Relaxation. Labels name instructions by identity (their index in code_, the order of
  // emission); trampolines get new identities. Positions are recomputed after every round of
  // insertions; a jump only ever gets farther from its target, so this ends.
  std::vector<Ins> pool = code_;         // identity -> instruction
  std::vector<int> order(code_.size());  // position -> identity
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::vector<int> target = labelAt_;  // label -> identity
  std::vector<int> position;
  auto place = [&] {
    position.assign(pool.size(), -1);
    for (std::size_t p = 0; p < order.size(); ++p) position[static_cast<std::size_t>(order[p])] = static_cast<int>(p);
  };
  for (;;) {
    place();
    std::vector<int> next;
    bool changed = false;
    for (std::size_t p = 0; p < order.size(); ++p) {
      int id = order[p];
      next.push_back(id);
      Ins& ins = pool[static_cast<std::size_t>(id)];
      if (BPF_CLASS(ins.code) != BPF_JMP || BPF_OP(ins.code) == BPF_JA) continue;
      for (int side = 0; side < 2; ++side) {
        Label l = side == 0 ? pool[static_cast<std::size_t>(id)].jt : pool[static_cast<std::size_t>(id)].jf;
        int dest = target[static_cast<std::size_t>(l)];
        if (position[static_cast<std::size_t>(dest)] - static_cast<int>(p) - 1 <= 255) continue;
        // A far return is cheaper copied than jumped to.
        Ins destIns = pool[static_cast<std::size_t>(dest)];
        Ins tramp = BPF_CLASS(destIns.code) == BPF_RET ? destIns : Ins{BPF_JMP | BPF_JA, 0, l, -1};
        pool.push_back(tramp);
        int trampId = static_cast<int>(pool.size() - 1);
        target.push_back(trampId);
        Label nl = static_cast<Label>(target.size() - 1);
        (side == 0 ? pool[static_cast<std::size_t>(id)].jt : pool[static_cast<std::size_t>(id)].jf) = nl;
        next.push_back(trampId);
        changed = true;
      }
    }
    order = std::move(next);
    if (!changed) break;
  }
  place();
  std::vector<Ins> code;
  std::vector<int> at(target.size());
  for (int id : order) code.push_back(pool[static_cast<std::size_t>(id)]);
  for (std::size_t l = 0; l < target.size(); ++l)
    at[l] = target[l] < 0 ? -1 : position[static_cast<std::size_t>(target[l])];
  out.clear();
  out.reserve(code.size());
  for (std::size_t i = 0; i < code.size(); ++i) {
    const Ins& ins = code[i];
    sock_filter f{ins.code, 0, 0, ins.k};
    if (BPF_CLASS(ins.code) == BPF_JMP) {
      auto offset = [&](Label l) { return at[static_cast<std::size_t>(l)] - static_cast<int>(i) - 1; };
      if (BPF_OP(ins.code) == BPF_JA) {
        f.k = static_cast<std::uint32_t>(offset(ins.jt));
      } else {
        int t = offset(ins.jt), e = offset(ins.jf);
        if (t < 0 || e < 0 || t > 255 || e > 255) {
          error = "internal: a jump goes backwards or out of range";
          return false;
        }
        f.jt = static_cast<std::uint8_t>(t);
        f.jf = static_cast<std::uint8_t>(e);
      }
    }
    out.push_back(f);
  }
  if (out.size() > kMaxInstructions) {
    error = fmt::format("the filter needs {} BPF instructions; the kernel accepts at most {}", out.size(),
                        kMaxInstructions);
    return false;
  }
  return true;
}

unsigned longestPath(const Program& program) {
  std::vector<unsigned> len(program.size() + 1, 0);
  for (std::size_t i = program.size(); i-- > 0;) {
    const sock_filter& in = program[i];
    auto at = [&](std::size_t t) { return t < program.size() ? len[t] : 0u; };
    if (BPF_CLASS(in.code) == BPF_RET)
      len[i] = 1;
    else if (in.code == (BPF_JMP | BPF_JA))
      len[i] = 1 + at(i + 1 + in.k);
    else if (BPF_CLASS(in.code) == BPF_JMP)
      len[i] = 1 + std::max(at(i + 1 + in.jt), at(i + 1 + in.jf));
    else
      len[i] = 1 + at(i + 1);
  }
  return program.empty() ? 0 : len[0];
}

}  // namespace sbx::seccomp
