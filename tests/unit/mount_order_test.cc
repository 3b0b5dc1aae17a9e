// plan/mount_order.h: the parent-first order every mount tree is built in (the compiler's plan,
// sbx-run, the bwrap and OCI exports), and what lies inside what, by components.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "plan/mount_order.h"

using sbx::plan::parentFirst;
using sbx::plan::pathWithin;

TEST_CASE("mount order: a parent comes before its children, and a path's children before its neighbours") {
  CHECK(parentFirst("/", "/usr"));
  CHECK(parentFirst("/usr", "/usr/bin"));
  CHECK(parentFirst("/usr/bin/git", "/usr-local"));  // "/usr/..." all before "/usr-local"
  CHECK(parentFirst("/usr/bin", "/usr/bin/python3"));
  CHECK_FALSE(parentFirst("/usr/bin", "/usr"));
  CHECK_FALSE(parentFirst("/usr", "/usr/"));  // the same components
  CHECK_FALSE(parentFirst("/usr//bin", "/usr/bin"));

  struct M {
    std::string target;
    int id;
  };
  std::vector<M> mounts = {{"/usr/bin/git", 0}, {"/workspace/build", 1}, {"/usr", 2}, {"/workspace", 3},
                           {"/usr", 4},         {"/usr-local", 5}};
  sbx::plan::sortParentFirst(mounts);
  std::vector<int> order;
  for (const auto& m : mounts) order.push_back(m.id);
  CHECK(order == std::vector<int>{2, 4, 0, 5, 3, 1});  // equal targets keep their order
}

TEST_CASE("mount order: what lies inside what, by components") {
  CHECK(pathWithin("/usr/bin", "/usr"));
  CHECK(pathWithin("/usr/bin", "/"));
  CHECK(pathWithin("/usr", "/usr"));
  CHECK(pathWithin("/usr/bin/", "/usr//bin"));
  CHECK_FALSE(pathWithin("/usr-local", "/usr"));
  CHECK_FALSE(pathWithin("/usr", "/usr/bin"));
}
