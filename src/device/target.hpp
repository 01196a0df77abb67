// The devices the cost model knows: a named core and its example board (examples/<name>), where
// scripts/device_costs.sh measures it under QEMU.
#pragma once

#include <string>
#include <vector>

namespace mpgru::device {

enum class Target { cortex_m4, cortex_m55 };

// Every target, in the order reports list them.
const std::vector<Target>& all_targets();
// "cortex-m4", "cortex-m55": the CLI's and the data file's names (and examples/<name>).
const char* to_string(Target target);
// The inverse of to_string; throws std::invalid_argument naming `what` (e.g. "--target") and the
// accepted values.
Target parse_target(const std::string& text, const std::string& what = "target");
// "cortex-m4, cortex-m55", for messages.
std::string target_names();

}  // namespace mpgru::device
