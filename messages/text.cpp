#include "messages/text.hpp"

#include <cstdio>

namespace ce {

std::string usd_per_month(double amount) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f USD/month", amount);
  return buffer;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace ce
