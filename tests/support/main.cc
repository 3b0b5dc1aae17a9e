// The doctest main of every test binary, with a listener that guards the host's device nodes:
// after an OCI export under runc, the host's /dev/null was once found owned by the workspace's
// user. The owner, group and mode of /dev/{null,zero,full,random,urandom,tty} are recorded at
// start and compared after every test case (any that runs sbx-run, the bwrap script or an OCI
// bundle); a change is reported with the test case's name and the binary exits non-zero.
// A run in which a case skipped itself (support/skip.h) and nothing failed exits with
// kSkipExitCode, so ctest counts it as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <string>

#include "support/skip.h"

namespace {

constexpr std::array<const char*, 6> kDevices = {"/dev/null",   "/dev/zero",    "/dev/full",
                                                 "/dev/random", "/dev/urandom", "/dev/tty"};

struct DeviceState {
  bool present = false;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;  // the type bits too: a node replaced by a file or a link is a change
  bool operator==(const DeviceState&) const = default;
};

std::array<DeviceState, kDevices.size()> hostDevices() {
  std::array<DeviceState, kDevices.size()> states{};
  for (std::size_t i = 0; i < kDevices.size(); ++i) {
    struct stat st {};
    if (lstat(kDevices[i], &st) == 0) states[i] = {true, st.st_uid, st.st_gid, st.st_mode};
  }
  return states;
}

bool hostDevicesChanged = false;

struct HostDeviceGuard : doctest::IReporter {
  std::array<DeviceState, kDevices.size()> expected = hostDevices();
  std::string testCase;

  explicit HostDeviceGuard(const doctest::ContextOptions&) {}

  void test_case_start(const doctest::TestCaseData& data) override { testCase = data.m_name; }
  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    auto now = hostDevices();
    for (std::size_t i = 0; i < kDevices.size(); ++i) {
      if (now[i] == expected[i]) continue;
      std::fprintf(stderr, "HOST DEVICE CHANGED after test case \"%s\": %s was %u:%u %o, is %s%u:%u %o\n",
                   testCase.c_str(), kDevices[i], expected[i].uid, expected[i].gid, expected[i].mode,
                   now[i].present ? "" : "(missing) ", now[i].uid, now[i].gid, now[i].mode);
      hostDevicesChanged = true;
    }
    expected = now;  // each change is reported once, with the test case that made it
  }

  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("host-devices", 1, HostDeviceGuard);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int status = context.run();
  if (context.shouldExit()) return status;
  if (!hostDevicesChanged) return status == 0 && sbx::test::anyTestSkipped() ? sbx::test::kSkipExitCode : status;
  std::fprintf(stderr, "[doctest] FAILURE: the host's device nodes changed during the run (see above)\n");
  return status != 0 ? status : 1;
}
