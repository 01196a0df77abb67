// Target names.
#include "device/target.hpp"

#include <stdexcept>

namespace mpgru::device {

const std::vector<Target>& all_targets() {
  static const std::vector<Target> targets = {Target::cortex_m4, Target::cortex_m55};
  return targets;
}

const char* to_string(Target target) {
  return target == Target::cortex_m4 ? "cortex-m4" : "cortex-m55";
}

std::string target_names() {
  std::string names;
  for (Target t : all_targets()) names += (names.empty() ? "" : ", ") + std::string(to_string(t));
  return names;
}

Target parse_target(const std::string& text, const std::string& what) {
  for (Target t : all_targets()) {
    if (text == to_string(t)) return t;
  }
  throw std::invalid_argument(what + ": unknown target '" + text + "' (expected one of " +
                              target_names() + ")");
}

}  // namespace mpgru::device
