// Small pieces of the sentences the engine writes, one format each.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ce {

/// A monthly cost as every message states it: "12400.00 USD/month".
std::string usd_per_month(double amount);

/// "a, b, c".
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace ce
