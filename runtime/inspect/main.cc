// sbx-inspect: the inspecting proxy that sbx-run starts, as a child in the host's network
// namespace, only for a plan with request rules or injected secrets (docs/egress.md, "Request
// inspection"). It owns nothing but what the launcher hands it over its channel: the config, then
// one message per connection with the client's and the upstream's sockets.
//
//   sbx-inspect --channel FD
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "plan/plan_json.h"
#include "runtime/inspect/channel.h"
#include "runtime/inspect/session.h"

namespace {

int fail(const std::string& message) {
  fmt::print(stderr, "sbx-inspect: {}\n", message);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sbx::inspect;
  int channelFd = -1;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--channel" && i + 1 < argc) channelFd = std::atoi(argv[++i]);
  if (channelFd < 0) return fail("usage: sbx-inspect --channel FD (started by sbx-run)");
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the launcher
  if (getppid() == 1) return fail("the launcher is gone");
  std::signal(SIGPIPE, SIG_IGN);

  auto config = receiveMessage(channelFd);
  if (!config || config->json.value("type", "") != "config") return fail("the first message is not the config");
  Inspector inspector;
  Channel channel(channelFd);
  inspector.channel = &channel;
  std::string error, planPath = config->json.value("plan", "");
  std::ifstream planFile(planPath, std::ios::binary);
  std::stringstream planText;
  planText << planFile.rdbuf();
  auto plan = sbx::plan::parsePlan(planText.str(), error);
  if (!plan) return fail(planPath + ": " + error);
  inspector.plan = std::move(*plan);
  if (config->json.contains("secrets") && config->json["secrets"].is_object())
    for (auto& [name, value] : config->json["secrets"].items())
      if (value.is_string()) inspector.secrets[name] = value.get<std::string>();
  if (!inspector.tls.create(error) || !inspector.tls.createClientContext(config->json.value("upstreamCa", ""), error))
    return fail(error);
  std::string caCert = inspector.tls.writeCertificate(config->json.value("caDir", ""), error);
  if (caCert.empty()) return fail(error);
  if (!channel.send({{"type", "ready"}, {"caCert", caCert}})) return fail("the launcher is gone");

  serveChannel(inspector, channelFd);
  // The launcher is gone: held requests are refused; the connections end with the process, which
  // sbx-run (or its death signal) ends.
  sleep(1);  // the held requests' refusals reach their clients
  return 0;
}
