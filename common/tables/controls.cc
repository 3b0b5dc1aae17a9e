#include "tables/controls.h"

#include <array>

namespace sbx {

namespace {

#define SBX_CONTROL_TIER_T0 0
#define SBX_CONTROL_TIER_T1 1
#define SBX_CONTROL_TIER_T2 2
#define SBX_CONTROL_TIER_T3 3
#define SBX_CONTROL_TIER_T4 4
#define SBX_CONTROL_TIER_Never kNeverMandatory

constexpr std::array kControls = {
#define SBX_CONTROL(name, tier, lostBy, summary) \
  ControlRow{Control::name, #name, SBX_CONTROL_TIER_##tier, lostBy, summary},
#include "tables/controls.def"
#undef SBX_CONTROL
};

}  // namespace

std::span<const ControlRow> controlTable() {
  return kControls;
}

const ControlRow& controlRow(Control control) {
  return kControls[static_cast<std::size_t>(control)];
}

bool canLose(std::string_view target, Control control) {
  std::string_view rest = controlRow(control).lostBy;
  while (!rest.empty()) {
    std::size_t space = rest.find(' ');
    if (rest.substr(0, space) == target) return true;
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  return false;
}

}  // namespace sbx
