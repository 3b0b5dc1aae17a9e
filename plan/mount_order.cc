// Parent-first ordering of mount targets (mount_order.h).
#include "plan/mount_order.h"

#include <string_view>

namespace sbx::plan {

namespace {

std::vector<std::string_view> components(const std::string& path) {
  std::vector<std::string_view> parts;
  std::string_view v(path);
  std::size_t i = 0;
  while (i < v.size()) {
    std::size_t j = v.find('/', i);
    if (j == std::string_view::npos) j = v.size();
    if (j > i) parts.push_back(v.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

bool parentFirst(const std::string& a, const std::string& b) {
  return components(a) < components(b);
}

bool pathWithin(const std::string& inner, const std::string& outer) {
  auto in = components(inner), out = components(outer);
  return out.size() <= in.size() && std::equal(out.begin(), out.end(), in.begin());
}

}  // namespace sbx::plan
