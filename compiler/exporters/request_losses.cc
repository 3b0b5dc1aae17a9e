#include "exporters/request_losses.h"

#include <fmt/format.h>

namespace sbx::exporters {

void addRequestRuleLosses(const ExportInput& input, std::string_view runtime, std::vector<Loss>& losses) {
  for (const auto& tool : input.plan.task.tools)
    for (const auto& action : tool.actions) {
      if (action.requests.empty()) continue;
      losses.push_back(lost(Control::RequestRules,
                            fmt::format("the {} request rule(s) of action `{}` of tool `{}`", action.requests.size(),
                                        action.name, tool.name),
                            fmt::format("{} has no proxy that reads requests: the tool may send any request to the "
                                        "destinations it reaches (run the task under sbx-run)",
                                        runtime)));
      if (action.approval)
        losses.push_back(
            lost(Control::RequestApproval,
                 fmt::format("the approval of each request of action `{}` of tool `{}`", action.name, tool.name),
                 fmt::format("{} holds no request for a person to approve: the action runs unapproved "
                             "(run the task under sbx-run)",
                             runtime)));
    }
}

void addInjectionLosses(const ExportInput& input, std::string_view target, std::vector<Loss>& losses) {
  for (const auto& secret : input.plan.task.secrets) {
    if (!secret.injection) continue;
    losses.push_back(lost(Control::InjectedSecret,
                          fmt::format("`{}` injected into tool `{}`'s requests as {}", secret.name,
                                      secret.injection->tool, secret.injection->header),
                          fmt::format("{} neither mints it nor adds it to requests: the tool's requests go without "
                                      "it; do not expose it instead, which would put it in the sandbox (run the task "
                                      "under sbx-run)",
                                      target)));
  }
}

}  // namespace sbx::exporters
