// libFuzzer target: the requirements parser, with error collection on (as at
// create) and off (as in the actors that read stored requirements).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/requirements.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ce::json_doc doc{std::string(reinterpret_cast<const char*>(data), size)};
  std::vector<ce::field_error> errors;
  (void)ce::parse_requirements(doc, &errors);
  (void)ce::parse_requirements(doc);
  return 0;
}
