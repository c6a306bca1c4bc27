// libFuzzer target: the HCL checker, which reads Terraform we did not write
// (the Generator Service's answers) as well as our own.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "actors/executor/hcl_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ce::executor::check_hcl(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
