// libFuzzer target: every request-body decoder of the REST API. The first
// byte picks the decoder; the rest is the body. A decoder must answer a value
// or an error for any bytes, never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "messages/json_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      (void)ce::codec::decode_create_task(body);
      break;
    case 1:
      (void)ce::codec::decode_generate_plan(body);
      break;
    case 2:
      (void)ce::codec::decode_safety_check(body);
      break;
    case 3:
      (void)ce::codec::decode_approve(body);
      break;
    case 4:
      (void)ce::codec::decode_reject(body);
      break;
    default:
      (void)ce::codec::decode_inline_plan(body);
      break;
  }
  return 0;
}
