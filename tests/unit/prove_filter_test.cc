// The exact comparison of seccomp programs (compiler/prove/filter_compare.h): the cells its
// partition makes, and counterexamples where two filters differ in one argument value only.
#include <doctest/doctest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "prove/bpf_partition.h"
#include "prove/filter_compare.h"

using namespace sbx;
using namespace sbx::prove;
using seccomp::jump;
using seccomp::stmt;

namespace {

constexpr std::uint32_t kWrite = 1;  // x86_64

// Kills on another architecture; for write(2) runs `argTest` on the low half of arg 0 (jumps
// from there: true -> errno EPERM, false -> allow); every other call is allowed.
seccomp::Program filter(sock_filter argTest, std::uint32_t andMask = 0) {
  seccomp::Program p{
      stmt(BPF_LD | BPF_W | BPF_ABS, seccomp::kOffsetArch),
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      stmt(BPF_LD | BPF_W | BPF_ABS, seccomp::kOffsetNr),
      jump(BPF_JMP | BPF_JEQ | BPF_K, kWrite, 0, 3),
      stmt(BPF_LD | BPF_W | BPF_ABS, seccomp::argLowOffset(0)),
      stmt(BPF_ALU | BPF_AND | BPF_K, andMask ? andMask : 0xffffffff),
      argTest,
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
  };
  return p;
}

sock_filter test(std::uint16_t op, std::uint32_t k) {
  return jump(BPF_JMP | op | BPF_K, k, 1, 0);  // true: skip the allow, to errno
}

bool grantsMore(std::uint32_t a, std::uint32_t b) {
  return actionGrant(a) > actionGrant(b);
}
bool differentGrant(std::uint32_t a, std::uint32_t b) {
  return actionGrant(a) != actionGrant(b);
}

}  // namespace

TEST_CASE("prove: smallestWithBits finds the least value at or above a bound with a bit pattern") {
  CHECK(smallestWithBits(0, 0x10, 0x10) == 0x10u);
  CHECK(smallestWithBits(0x11, 0x10, 0x10) == 0x11u);
  CHECK(smallestWithBits(0x20, 0x10, 0x10) == 0x30u);
  CHECK(smallestWithBits(0x5, 0x3, 0x0) == 0x8u);
  CHECK(smallestWithBits(0xffffffff, 0x1, 0x0) == std::nullopt);
}

TEST_CASE("prove: the cells of one word: equality and order cut intervals, masks cut bit patterns") {
  std::vector<std::uint32_t> cells;
  std::string error;
  REQUIRE(cellRepresentatives({{0xffffffff, BPF_JEQ, 5}, {0xffffffff, BPF_JGT, 9}}, cells, error));
  CHECK(cells == std::vector<std::uint32_t>{0, 5, 6, 10});
  cells.clear();
  REQUIRE(cellRepresentatives({{0xffffffff, BPF_JSET, 0x3}}, cells, error));
  CHECK(cells == std::vector<std::uint32_t>{0, 1, 2, 3});
  cells.clear();
  CHECK_FALSE(cellRepresentatives({{0xffffffff, BPF_JSET, 0xfffff}}, cells, error));  // 20 bits: past the bound
  CHECK(error.find("bound is 16") != std::string::npos);
}

TEST_CASE("prove: two filters that differ on one argument value only: the counterexample is that value") {
  auto old = filter(test(BPF_JEQ, 5)), newer = filter(test(BPF_JEQ, 6));
  auto r = compareFilters(old, newer, grantsMore);  // old allows write(6, ...), newer refuses it
  REQUIRE(r.result == FilterComparison::Result::Counterexample);
  CHECK(r.counterexample->call.nr == kWrite);
  CHECK(r.counterexample->call.arch == AUDIT_ARCH_X86_64);
  CHECK(r.counterexample->call.args[0] == 6);
  CHECK(actionText(r.counterexample->left) == "allow");
  CHECK(actionText(r.counterexample->right) == "errno 1");
  CHECK(callText(r.counterexample->call) == "write(0x6, 0x0, 0x0, 0x0, 0x0, 0x0) on x86_64");
  auto back = compareFilters(newer, old, grantsMore);
  REQUIRE(back.result == FilterComparison::Result::Counterexample);
  CHECK(back.counterexample->call.args[0] == 5);
  CHECK(compareFilters(old, old, differentGrant).result == FilterComparison::Result::Holds);
}

TEST_CASE("prove: differently written filters with the same behaviour are proved equal") {
  // x > 4 is x >= 5; a JSET on bit 4 is ((x & 0x10) == 0x10).
  auto r = compareFilters(filter(test(BPF_JGT, 4)), filter(test(BPF_JGE, 5)), differentGrant);
  CHECK(r.result == FilterComparison::Result::Holds);
  CHECK(r.cells > 0);
  CHECK(compareFilters(filter(test(BPF_JSET, 0x10)), filter(test(BPF_JEQ, 0x10), 0x10), differentGrant).result ==
        FilterComparison::Result::Holds);
}

TEST_CASE("prove: a mask wider than the other's is found with a value only its extra bit has") {
  auto r = compareFilters(filter(test(BPF_JSET, 0x10)), filter(test(BPF_JSET, 0x30)), grantsMore);
  REQUIRE(r.result == FilterComparison::Result::Counterexample);
  CHECK((r.counterexample->call.args[0] & 0x30) == 0x20);
}

TEST_CASE("prove: a filter outside what the partition models is undecided, not sampled") {
  auto p = filter(test(BPF_JEQ, 5));
  p[5] = stmt(BPF_LDX | BPF_W | BPF_MEM, 0);  // scratch memory
  auto r = compareFilters(p, p, differentGrant);
  CHECK(r.result == FilterComparison::Result::Undecided);
  CHECK(r.undecidedWhy.find("instruction 5") != std::string::npos);
}
