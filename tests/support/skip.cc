// See skip.h: a test case that cannot run its subject is reported as skipped, not passed.
#include "support/skip.h"

#include <doctest/doctest.h>

#include <cstdio>

namespace sbx::test {

namespace {
bool skipped = false;
}

void skipTest(const std::string& reason) {
  skipped = true;
  std::fprintf(stderr, "SKIPPED: %s\n", reason.c_str());
  MESSAGE("skipped: " << reason);
}

bool anyTestSkipped() {
  return skipped;
}

}  // namespace sbx::test
