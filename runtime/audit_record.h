// One record of a run, as one JSON line: what the audit log (audit.h) appends and what the event
// stream (event_stream.h) follows, rendered here only so that the two never differ.
//   {"time":<ms since the epoch>,"run":"<run id>","event":"<kind>", ...the kind's own fields}
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace sbx::run {

// The line, with its trailing newline. Invalid UTF-8 in a field is replaced, never rejected: a
// record names what the sandbox sent.
std::string renderAuditRecord(const std::string& runId, const std::string& kind, const nlohmann::ordered_json& fields);

}  // namespace sbx::run
