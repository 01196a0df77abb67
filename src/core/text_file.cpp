// Atomic text file writing.
#include "core/text_file.hpp"

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace mpgru::core {

void write_text_file(const std::string& text, const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  std::error_code ignored;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();  // a full disk shows here, not in the destructor
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ignored);
      throw std::runtime_error(path.string() + ": cannot write (disk full or not writable)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ignored);
    throw std::runtime_error(path.string() + ": cannot write (" + ec.message() + ")");
  }
}

}  // namespace mpgru::core
