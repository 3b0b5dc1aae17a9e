// The enumerated words of the language and their spellings, in one table per enum.
// The front end parses with fromName(), the JSON writers print with nameOf(), and
// "did you mean" draws on names().
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbx::model {

enum class Trust { Trusted, Untrusted };
enum class Sensitivity { Public, Internal, Confidential, Secret };
enum class InputSource { Web, Mail, Ticket, Agent, User, Repository, Database, File, Api };
enum class Access { Read, Write, Exec };
enum class MountFlag { Nosuid, Nodev, Noexec };
enum class Effect { Read, Write, Delete, Deploy, Approve, Send };
enum class Reversibility { Reversible, Irreversible };
enum class SystemEnvironment { Production, Staging, Development, Test };
enum class IdentityKind { Spiffe, Oidc, Person };
enum class Maturity { Novel, HighVariance, Stable };
enum class Facing { Internal, External };
enum class Lifecycle { Ephemeral, AlwaysOn };
enum class ExposureKind { File, Env };
enum class PassKind { Outputs, Context, Credentials };
enum class Protocol { Tcp, Udp };
enum class NetworkMode { Isolated, Host };
enum class SyscallActionKind { Allow, Errno, Kill, Trap, Log, Notify };
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge, MaskedEq, In };
enum class Arch { X86_64, Aarch64 };
enum class Limit { Memory, Pids, Cpu, Files, FileSize };
enum class Switch { On, Off };

template <typename E>
struct EnumNames;

#define SBX_ENUM_NAMES(Enum, ...)                                                 \
  template <>                                                                     \
  struct EnumNames<Enum> {                                                        \
    static constexpr auto names = std::to_array<std::string_view>({__VA_ARGS__}); \
    static constexpr std::string_view what = #Enum;                               \
  }

SBX_ENUM_NAMES(Trust, "trusted", "untrusted");
SBX_ENUM_NAMES(Sensitivity, "public", "internal", "confidential", "secret");
SBX_ENUM_NAMES(InputSource, "web", "mail", "ticket", "agent", "user", "repository", "database", "file", "api");
SBX_ENUM_NAMES(Access, "read", "write", "exec");
SBX_ENUM_NAMES(MountFlag, "nosuid", "nodev", "noexec");
SBX_ENUM_NAMES(Effect, "read", "write", "delete", "deploy", "approve", "send");
SBX_ENUM_NAMES(Reversibility, "reversible", "irreversible");
SBX_ENUM_NAMES(SystemEnvironment, "production", "staging", "development", "test");
SBX_ENUM_NAMES(IdentityKind, "spiffe", "oidc", "person");
SBX_ENUM_NAMES(Maturity, "novel", "high-variance", "stable");
SBX_ENUM_NAMES(Facing, "internal", "external");
SBX_ENUM_NAMES(Lifecycle, "ephemeral", "always-on");
SBX_ENUM_NAMES(ExposureKind, "file", "env");
SBX_ENUM_NAMES(PassKind, "outputs", "context", "credentials");
SBX_ENUM_NAMES(Protocol, "tcp", "udp");
SBX_ENUM_NAMES(NetworkMode, "isolated", "host");
SBX_ENUM_NAMES(SyscallActionKind, "allow", "errno", "kill", "trap", "log", "notify");
SBX_ENUM_NAMES(CompareOp, "==", "!=", "<", "<=", ">", ">=", "&==", "in");
SBX_ENUM_NAMES(Arch, "x86_64", "aarch64");
SBX_ENUM_NAMES(Limit, "memory", "pids", "cpu", "files", "filesize");
SBX_ENUM_NAMES(Switch, "on", "off");

#undef SBX_ENUM_NAMES

template <typename E>
constexpr std::string_view nameOf(E value) {
  return EnumNames<E>::names[static_cast<std::size_t>(value)];
}

template <typename E>
std::optional<E> fromName(std::string_view text) {
  const auto& names = EnumNames<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

template <typename E>
std::vector<std::string> names() {
  return {EnumNames<E>::names.begin(), EnumNames<E>::names.end()};
}

}  // namespace sbx::model
