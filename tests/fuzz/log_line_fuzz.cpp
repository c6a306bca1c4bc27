// libFuzzer target: whatever bytes a client puts in a path or a header, the
// JSON log line they end up in parses, and well-formed UTF-8 comes back as it was.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "logging/structured.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string literal;
  ce::logging::append_json_string(literal, input);
  boost::system::error_code ec;
  auto parsed = boost::json::parse(literal, ec);
  if (ec || !parsed.is_string()) std::abort();  // a line that would not parse
  std::string_view back(parsed.as_string().data(), parsed.as_string().size());
  // Only bytes that are not UTF-8 may change (to U+FFFD); then the output is longer or equal.
  if (back != input && literal.find("\\ufffd") == std::string::npos) std::abort();
  return 0;
}
