// Builds syscalls blocks (default and foreign-arch actions, architectures, baseline, rules with
// argument conditions) and limits blocks. Checks what the kernel would otherwise reject or
// silently never match: errno range, argument index and width, values outside a mask, the six
// conditions seccomp allows per rule, and the unit each limit takes.
#include <algorithm>

#include <fmt/format.h>

#include "SbxLexer.h"
#include "frontend/ast_builder_internal.h"
#include "frontend/values.h"

namespace sbx::frontend::builder {

// ---- references, actions and values ------------------------------------------------------

ast::SyscallRef Builder::syscallRef(P::SyscallRefContext* ctx) {
  ast::SyscallRef ref;
  if (ctx == nullptr) return ref;
  ref.span = span(ctx);
  if (ctx->AT_SIGN() != nullptr) {
    ref.group = true;
    ref.name = qualified(ctx->qualifiedName());
  } else if (ctx->name() != nullptr) {
    ref.name.parts.push_back(ident(ctx->name()));
    ref.name.span = ref.span;
  }
  return ref;
}

std::optional<model::SyscallAction> Builder::action(P::ActionContext* ctx) {
  if (ctx == nullptr) return std::nullopt;
  model::SyscallAction a;
  if (ctx->ALLOW())
    a.kind = model::SyscallActionKind::Allow;
  else if (ctx->KILL())
    a.kind = model::SyscallActionKind::Kill;
  else if (ctx->TRAP())
    a.kind = model::SyscallActionKind::Trap;
  else if (ctx->LOG())
    a.kind = model::SyscallActionKind::Log;
  else if (ctx->NOTIFY())
    a.kind = model::SyscallActionKind::Notify;
  else if (ctx->ERRNO()) {
    a.kind = model::SyscallActionKind::Errno;
    std::optional<std::uint64_t> value;
    Span where;
    if (ctx->INT() != nullptr) {
      where = span(ctx->INT());
      value = parseInteger(ctx->INT()->getText(), where, diags_);
    } else if (ctx->name() != nullptr) {
      where = span(ctx->name());
      value = constant(text(ctx->name()), where, true);
    }
    if (!value) return std::nullopt;
    if (*value == 0 || *value > 4095) {
      diags_.report(Code::OutOfRange, where, fmt::format("errno {} is out of range", *value))
          .help("errno values are 1-4095, e.g. EPERM");
      return std::nullopt;
    }
    a.errnoValue = static_cast<int>(*value);
  } else {
    return std::nullopt;
  }
  return a;
}

std::optional<std::uint64_t> Builder::constant(const std::string& name, Span where, bool errnoOnly) {
  auto v = lookupConstant(name);
  if (v && (!errnoOnly || name.starts_with("E"))) return v;
  auto& d = diags_.report(Code::UnknownConstant, where,
                          fmt::format("unknown {} `{}`", errnoOnly ? "errno name" : "constant", name));
  auto names = constantNames();
  if (errnoOnly) std::erase_if(names, [](const std::string& n) { return !n.starts_with("E"); });
  if (auto m = closestMatch(name, names))
    d.help(fmt::format("did you mean `{}`?", *m));
  else
    d.help("write the number instead");
  return std::nullopt;
}

std::optional<std::uint64_t> Builder::value(P::ValueContext* ctx) {
  if (ctx == nullptr) return std::nullopt;
  std::uint64_t result = 0;
  for (auto* atom : ctx->atom()) {
    if (atom == nullptr) return std::nullopt;
    std::optional<std::uint64_t> v;
    if (atom->INT() != nullptr)
      v = parseInteger(atom->INT()->getText(), span(atom->INT()), diags_);
    else if (atom->name() != nullptr)
      v = constant(text(atom->name()), span(atom->name()), false);
    if (!v) return std::nullopt;
    result |= *v;
  }
  return result;
}

// ---- argument conditions -----------------------------------------------------------------

std::optional<model::ArgCondition> Builder::condition(P::ConditionContext* ctx) {
  model::ArgCondition cond;
  cond.span = span(ctx);
  P::ArgumentContext* arg = nullptr;
  if (auto* c = as<P::CompareConditionContext>(ctx)) {
    arg = c->argument();
    if (!compareCondition(c, cond)) return std::nullopt;
  } else if (auto* m = as<P::MaskedConditionContext>(ctx)) {
    arg = m->argument();
    if (!maskedCondition(m, cond)) return std::nullopt;
  } else if (auto* s = as<P::SetConditionContext>(ctx)) {
    arg = s->argument();
    if (!setCondition(s, cond)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!conditionArgument(arg, cond)) return std::nullopt;
  return cond;
}

bool Builder::compareCondition(P::CompareConditionContext* c, model::ArgCondition& cond) {
  if (c->op == nullptr) return false;
  switch (c->op->getType()) {
    case grammar::SbxLexer::EQ:
      cond.op = model::CompareOp::Eq;
      break;
    case grammar::SbxLexer::NE:
      cond.op = model::CompareOp::Ne;
      break;
    case grammar::SbxLexer::LT:
      cond.op = model::CompareOp::Lt;
      break;
    case grammar::SbxLexer::LE:
      cond.op = model::CompareOp::Le;
      break;
    case grammar::SbxLexer::GT:
      cond.op = model::CompareOp::Gt;
      break;
    default:
      cond.op = model::CompareOp::Ge;
      break;
  }
  auto v = value(c->value());
  if (!v) return false;
  cond.values.push_back(*v);
  return true;
}

bool Builder::maskedCondition(P::MaskedConditionContext* m, model::ArgCondition& cond) {
  cond.op = model::CompareOp::MaskedEq;
  auto values = m->value();
  if (values.size() != 2) return false;
  auto mask = value(values[0]);
  auto v = value(values[1]);
  if (!mask || !v) return false;
  if ((*v & ~*mask) != 0) {
    diags_
        .report(Code::InvalidCondition, span(values[1]),
                fmt::format("value 0x{:x} has bits outside mask 0x{:x}; the condition can never hold", *v, *mask))
        .help("compare against a value within the mask");
    return false;
  }
  cond.mask = *mask;
  cond.values.push_back(*v);
  return true;
}

bool Builder::setCondition(P::SetConditionContext* s, model::ArgCondition& cond) {
  cond.op = model::CompareOp::In;
  for (auto* vctx : s->value()) {
    auto v = value(vctx);
    if (!v) return false;
    if (std::find(cond.values.begin(), cond.values.end(), *v) == cond.values.end()) cond.values.push_back(*v);
  }
  return !cond.values.empty();
}

// `argN` or `argN:WIDTH`: N is 0-5, WIDTH 32 or 64, and every value must fit the width.
bool Builder::conditionArgument(P::ArgumentContext* arg, model::ArgCondition& cond) {
  if (arg == nullptr || arg->name() == nullptr) return false;
  std::string argName = text(arg->name());
  Span argSpan = span(arg->name());
  if (argName.size() != 4 || !argName.starts_with("arg") || argName[3] < '0' || argName[3] > '5') {
    auto& d = diags_.report(Code::InvalidCondition, argSpan, fmt::format("`{}` is not a syscall argument", argName));
    d.help("arguments are arg0 to arg5");
    return false;
  }
  cond.arg = static_cast<unsigned>(argName[3] - '0');
  if (arg->INT() == nullptr) return true;
  auto width = parseInteger(arg->INT()->getText(), span(arg->INT()), diags_);
  if (!width) return false;
  if (*width != 32 && *width != 64) {
    diags_.report(Code::InvalidCondition, span(arg->INT()), fmt::format("argument width {} is not 32 or 64", *width))
        .help("write arg1:32 to compare the low 32 bits, arg1:64 for all 64");
    return false;
  }
  cond.width = static_cast<unsigned>(*width);
  for (auto v : cond.values) {
    if (cond.width == 32 && v > 0xffffffffu) {
      diags_.report(Code::InvalidCondition, cond.span, fmt::format("value 0x{:x} does not fit the 32-bit argument", v))
          .help(fmt::format("compare all 64 bits with arg{}:64, or write a value below 0x100000000", cond.arg));
      return false;
    }
  }
  return true;
}

// ---- syscalls blocks ---------------------------------------------------------------------

void Builder::syscalls(P::SyscallsStmtContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Syscalls block;
  stamped(block, head);
  for (auto* item : c->syscallItem()) {
    if (item == nullptr || item->syscallStmt() == nullptr || skip(item)) continue;
    auto* stmt = item->syscallStmt();
    ast::Statement itemHead;
    itemHead.suppressions = attributes(item->attribute(), stmt);
    itemHead.span = span(stmt);
    syscallStatement(stmt, itemHead, block);
  }
  body.syscalls.push_back(std::move(block));
}

void Builder::syscallStatement(P::SyscallStmtContext* stmt, const ast::Statement& head, ast::Syscalls& block) {
  if (auto* d = as<P::SyscallDefaultContext>(stmt)) {
    if (!once(block.defaultAction, head.span, "default")) return;
    if (auto a = action(d->action())) {
      ast::ActionSetting s;
      stamped(s, head).action = *a;
      block.defaultAction = s;
    }
  } else if (auto* f = as<P::SyscallForeignArchContext>(stmt)) {
    syscallForeignArch(f, head, block);
  } else if (auto* a = as<P::SyscallArchContext>(stmt)) {
    if (!once(block.arch, head.span, "arch")) return;
    ast::Arches s;
    stamped(s, head);
    for (auto* n : a->name())
      if (auto arch = word<model::Arch>(n, "architecture")) s.arches.push_back({*arch, span(n)});
    block.arch = std::move(s);
  } else if (auto* b = as<P::SyscallBaselineContext>(stmt)) {
    enumSetting(block.baseline, b->name(), head, "baseline");
  } else if (auto* r = as<P::SyscallRuleContext>(stmt)) {
    syscallRule(r, head, block);
  }
}

void Builder::syscallForeignArch(P::SyscallForeignArchContext* f, const ast::Statement& head, ast::Syscalls& block) {
  if (!once(block.foreignArch, head.span, "foreign-arch")) return;
  auto a = action(f->action());
  if (!a) return;
  if (a->kind == model::SyscallActionKind::Allow || a->kind == model::SyscallActionKind::Log) {
    diags_.report(Code::InvalidValue, span(f->action()), "x32 and i386 syscalls can never be allowed")
        .note("their numbers bypass a filter written for x86_64")
        .help("write foreign-arch kill or foreign-arch errno ENOSYS");
    return;
  }
  ast::ActionSetting s;
  stamped(s, head).action = *a;
  block.foreignArch = s;
}

void Builder::syscallRule(P::SyscallRuleContext* r, const ast::Statement& head, ast::Syscalls& block) {
  auto a = action(r->action());
  ast::SyscallRule rule;
  stamped(rule, head);
  for (auto* ref : r->syscallRef()) rule.syscalls.push_back(syscallRef(ref));
  bool ok = a.has_value();
  for (auto* condCtx : r->condition()) {
    auto cond = condition(condCtx);
    if (!cond) {
      ok = false;
      continue;
    }
    rule.conditions.push_back(*cond);
  }
  if (rule.conditions.size() > 6) {
    diags_
        .report(Code::InvalidCondition, head.span,
                fmt::format("{} conditions on one rule; the limit is 6", rule.conditions.size()))
        .help("split the rule");
    ok = false;
  }
  if (!ok) return;
  rule.action = *a;
  block.rules.push_back(std::move(rule));
}

// ---- limits blocks -----------------------------------------------------------------------

void Builder::limits(P::LimitsStmtContext* c, ast::Body& body, const ast::Statement& head) {
  ast::Limits block;
  stamped(block, head);
  for (auto* item : c->limitItem()) {
    if (item == nullptr || item->IDENT() == nullptr || skip(item)) continue;
    auto kind = word<model::Limit>(item->IDENT(), "limit");
    if (!kind) continue;
    ast::LimitItem li;
    li.span = span(item);
    li.suppressions = attributes(item->attribute(), item);
    li.kind = *kind;
    auto v = limitValue(item, *kind);
    if (!v) continue;
    li.value = *v;
    block.items.push_back(std::move(li));
  }
  body.limits.push_back(std::move(block));
}

// Memory and file size take a size, cpu a duration, pids and files a plain count.
std::optional<ast::Value<std::uint64_t>> Builder::limitValue(P::LimitItemContext* item, model::Limit kind) {
  TerminalNode* q = item->QUANTITY();
  TerminalNode* n = item->INT();
  switch (kind) {
    case model::Limit::Memory:
    case model::Limit::FileSize:
      if (n != nullptr) {
        diags_.report(Code::InvalidSize, span(n), fmt::format("`{}` needs a size unit", item->IDENT()->getText()))
            .help(fmt::format("write e.g. {}MiB", n->getText()));
        return std::nullopt;
      }
      return size(q);
    case model::Limit::Cpu:
      if (n != nullptr) {
        diags_.report(Code::InvalidDuration, span(n), "`cpu` needs a duration unit")
            .help(fmt::format("write e.g. {}s", n->getText()));
        return std::nullopt;
      }
      return duration(q);
    case model::Limit::Pids:
    case model::Limit::Files:
      if (q != nullptr) {
        diags_
            .report(Code::OutOfRange, span(q), fmt::format("`{}` is a count without a unit", item->IDENT()->getText()))
            .help("write a plain number, e.g. 64");
        return std::nullopt;
      }
      return limitCount(item);
  }
  return std::nullopt;
}

std::optional<ast::Value<std::uint64_t>> Builder::limitCount(P::LimitItemContext* item) {
  TerminalNode* n = item->INT();
  if (n == nullptr) return std::nullopt;
  Span where = span(n);
  auto count = parseInteger(n->getText(), where, diags_);
  if (!count) return std::nullopt;
  if (*count == 0 || *count > (1u << 30)) {
    diags_.report(Code::OutOfRange, where, fmt::format("{} limit {} is out of range", item->IDENT()->getText(), *count))
        .help("give a count between 1 and 1073741824");
    return std::nullopt;
  }
  return ast::Value<std::uint64_t>{*count, where};
}

}  // namespace sbx::frontend::builder
