// Facts about where data goes that the authority graph needs for the lethal combination (TIERS.md
// E2): what a tool's read action brings back into the task, and whether a send action's sinks
// bound where its data can go. Rules decide; these only describe.
#pragma once
#include <string>
#include <vector>

#include "model/model.h"

namespace sbx::classifier {

// The labels of the data a tool's read action returns into the task: those of the tool's system.
// The language labels data only on inputs, so a system's labels are those of the inputs whose
// location names it (`input tickets untrusted confidential at "https://tickets.acme.example/q"`
// labels the system "tickets.acme.example"): untrusted if any such input is, and the highest
// sensitivity among them. A system no input labels is trusted and confidential: it is the
// organisation's own system of record, and its data is private unless declared otherwise
// (declare an input at the system, e.g. `... trusted internal at "wiki.acme.example"`). A tool
// with no system reads from whatever it connects to, labelled the same way.
struct ReadLabels {
  model::Trust trust = model::Trust::Trusted;
  model::Sensitivity sensitivity = model::Sensitivity::Confidential;
  std::vector<const model::Input*> labelledBy;  // empty: the default above
};
ReadLabels readLabels(const model::ResolvedTask& task, const model::Tool& tool);

// The host a system name or an input location names: scheme, user, port and path removed,
// lower case, no trailing dot ("https://Tickets.acme.example:443/q" -> "tickets.acme.example").
std::string hostNamed(std::string_view location);

// A sink bounds where data goes when it names one recipient or channel ("#ops-alerts",
// "mailto:oncall@acme.example") or a pattern confined to one organisation's domain
// ("mailto:*@acme.example", "https://*.acme.example/hooks"): after its last `*` comes an `@` or
// `.` followed by a domain of at least two labels. "*", "mailto:*", "#ops-*" or "*@*.example"
// reach anyone.
bool isBoundedSink(std::string_view sink);

// A send action is an open exfiltration channel unless it is behind an approval gate that holds
// (approvalEnforced, facts.h) or names sinks that are all bounded.
bool isOpenSend(const model::Tool& tool, const model::Action& action);

}  // namespace sbx::classifier
