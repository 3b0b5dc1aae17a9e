// A small BPF assembler for the generator: instructions with symbolic jump targets, one shared
// return per action, the accumulator's contents tracked across jumps (so a word already loaded
// is not loaded again), and jump relaxation: a conditional jump cannot reach more than 255
// instructions ahead, so a far target gets a trampoline (`ja`, or a copy of the return).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bpf/bpf_program.h"
#include "backends/seccomp/policy.h"

namespace sbx::seccomp {

class Assembler {
 public:
  using Label = int;
  static constexpr std::uint32_t kUnknown = 0xffffffffu;  // the accumulator holds no known word

  Label newLabel();
  // The next instruction emitted carries `label`; the accumulator state becomes what every
  // jump to it (and the fall-through, if any) agree on.
  void bind(Label label);
  // ld [offset], skipped when the accumulator already holds that word.
  void load(std::uint32_t offset);
  void forget() { loaded_ = kUnknown; }
  // op: BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET, against the constant k.
  void jump(std::uint16_t op, std::uint32_t k, Label ifTrue, Label ifFalse);
  void jumpTo(Label target);  // unconditional
  void aluAnd(std::uint32_t k);
  void ret(Action action);
  // The label of the shared `ret action`, emitted by finish().
  Label exit(Action action);
  std::uint32_t loaded() const { return loaded_; }
  bool reachable() const { return reachable_; }

  // Lays the program out, relaxes far jumps and resolves labels.
  bool finish(Program& out, std::string& error);

 private:
  struct Ins {
    std::uint16_t code = 0;
    std::uint32_t k = 0;
    Label jt = -1, jf = -1;  // conditional jumps; ja uses jt
  };
  struct Incoming {
    bool any = false;
    std::uint32_t state = kUnknown;
  };
  void emit(const Ins& ins);
  void arrive(Label label, std::uint32_t state);

  std::vector<Ins> code_;
  std::vector<int> labelAt_;  // label -> index in code_, -1 until bound
  std::vector<Incoming> incoming_;
  std::vector<Label> pendingBind_;
  std::map<Action, Label> exits_;
  std::uint32_t loaded_ = kUnknown;
  bool reachable_ = true;
};

// The most instructions any run of the program executes, the return included.
unsigned longestPath(const Program& program);

}  // namespace sbx::seccomp
