// libFuzzer target: the parser of what WebSocket clients send.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "messages/ws_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ce::ws::decode_client_message(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
