#include "runtime/audit_record.h"

#include <chrono>

namespace sbx::run {

std::string renderAuditRecord(const std::string& runId, const std::string& kind, const nlohmann::ordered_json& fields) {
  using namespace std::chrono;
  nlohmann::ordered_json line;
  line["time"] = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  line["run"] = runId;
  line["event"] = kind;
  if (fields.is_object())
    for (const auto& [k, v] : fields.items()) line[k] = v;
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace sbx::run
