// sbx-run's own reading of a policy's files: an import that is a FIFO neither hangs the launcher
// (which digests the imports for its cache key) nor sbxc (which it runs); the run is refused with
// sbxc's diagnostic at the import.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/paths.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace sbx::test;

TEST_CASE("sbx-run: an import that is a FIFO is refused, without blocking") {
  TempDir dir;
  fs::path policy = dir.path() / "main.sbx";
  writeText(policy, "import \"lib.sbx\"\ntask demo {\n  read \"/usr\"\n  timeout 10s\n}\n");
  REQUIRE(mkfifo((dir.path() / "lib.sbx").c_str(), 0644) == 0);
  Run r = run({"/usr/bin/timeout", "--signal=KILL", "30", SBX_RUN_BINARY, policy.string(), "--", "/bin/true"}, "",
              dir.path().string(), {"PATH=/usr/bin:/bin", "SBX_RUN_CACHE=" + (dir.path() / "cache").string()});
  INFO(r.exitCode << "\n" << r.out << r.err);
  CHECK(r.exitCode > 0);
  CHECK(r.exitCode != 137);  // killed by the timeout: it hung
  CHECK(r.err.find("main.sbx:1:8") != std::string::npos);
  CHECK(r.err.find("is not a regular file") != std::string::npos);
}
