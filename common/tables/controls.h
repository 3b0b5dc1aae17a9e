// The controls a target may fail to carry (controls.def) and the tier from which losing each
// fails an export. Exporters name a lost control with lost(Control::..., what, why) and never
// write a tier themselves.
#pragma once
#include <span>
#include <string>
#include <string_view>

namespace sbx {

enum class Control {
#define SBX_CONTROL(name, tier, lostBy, summary) name,
#include "tables/controls.def"
#undef SBX_CONTROL
};

inline constexpr int kNeverMandatory = 5;  // above T4, the highest tier

struct ControlRow {
  Control control;
  std::string_view name;
  int mandatoryFrom;        // the lowest tier that makes the control mandatory; kNeverMandatory: none
  std::string_view lostBy;  // the targets that can lose it, separated by spaces
  std::string_view summary;
};

std::span<const ControlRow> controlTable();
const ControlRow& controlRow(Control control);
// Whether `target` (a name of `sbxc compile --target`) is listed as one that can lose `control`.
bool canLose(std::string_view target, Control control);

}  // namespace sbx
