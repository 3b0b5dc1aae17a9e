// Where data goes: the labels of what a read action returns and whether a send is bounded
// (classifier/data_flow.h). The authority graph turns these into nodes and edges.
#include "classifier/data_flow.h"
#include "classifier/facts.h"

#include <algorithm>
#include <cctype>

namespace sbx::classifier {

std::string hostNamed(std::string_view location) {
  if (auto scheme = location.find("://"); scheme != std::string_view::npos) location.remove_prefix(scheme + 3);
  location = location.substr(0, location.find_first_of("/?#"));
  if (auto user = location.rfind('@'); user != std::string_view::npos) location.remove_prefix(user + 1);
  if (!location.starts_with('[')) location = location.substr(0, location.find(':'));
  std::string host(location);
  while (host.ends_with('.')) host.pop_back();
  for (char& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return host;
}

ReadLabels readLabels(const model::ResolvedTask& task, const model::Tool& tool) {
  std::vector<std::string> hosts;
  if (!tool.system.empty()) {
    hosts.push_back(hostNamed(tool.system));
  } else {
    for (const auto& d : tool.egress)
      if (d.kind == model::Destination::Kind::Host) hosts.push_back(d.host);
  }
  ReadLabels out;
  for (const auto& in : task.inputs) {
    if (in.location.empty()) continue;
    std::string host = hostNamed(in.location);
    if (host.empty() || std::find(hosts.begin(), hosts.end(), host) == hosts.end()) continue;
    if (out.labelledBy.empty()) out.sensitivity = in.sensitivity;
    out.sensitivity = std::max(out.sensitivity, in.sensitivity);
    if (in.trust == model::Trust::Untrusted) out.trust = model::Trust::Untrusted;
    out.labelledBy.push_back(&in);
  }
  return out;
}

bool isBoundedSink(std::string_view sink) {
  auto star = sink.rfind('*');
  if (star == std::string_view::npos) return !sink.empty();
  std::string_view rest = sink.substr(star + 1);
  auto anchor = rest.find_first_of("@.");
  if (anchor == std::string_view::npos) return false;
  std::string_view domain = rest.substr(anchor + 1);
  domain = domain.substr(0, domain.find_first_of("/?#:"));
  auto dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

bool isOpenSend(const model::Tool& tool, const model::Action& action) {
  if (action.effect != model::Effect::Send || approvalEnforced(tool, action)) return false;
  if (action.sinks.empty()) return true;
  return !std::all_of(action.sinks.begin(), action.sinks.end(), [](const std::string& s) { return isBoundedSink(s); });
}

}  // namespace sbx::classifier
