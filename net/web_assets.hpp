// The dashboard's files (web/), built into the binary so that the node serves
// them wherever it runs.
#pragma once

#include <string_view>

namespace ce::net {

struct web_asset {
  std::string_view name;  // file name in web/, e.g. "app.js"
  std::string_view text;
};

/// The file of web/ with this name; null when there is none.
const web_asset* find_web_asset(std::string_view name);

}  // namespace ce::net
