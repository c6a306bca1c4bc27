#include "messages/workspace.hpp"

namespace ce {

std::vector<std::pair<std::string, std::string>> terraform_files(const workspace& files) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, file] : files)  // a std::map: already sorted by name
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".tf") == 0)
      out.emplace_back(name, *file.bytes);
  return out;
}

bool holds(const workspace& files, const artifact& a) {
  auto it = files.find(a.name);
  return it != files.end() && !a.checksum.empty() && it->second.checksum == a.checksum;
}

}  // namespace ce
