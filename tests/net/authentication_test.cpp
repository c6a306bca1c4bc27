#include "net/authentication.hpp"

#include "messages/checksum.hpp"

#include <catch2/catch.hpp>

using namespace ce;
using ce::net::authenticate;

namespace {

config::token_table tokens_of_vic_and_ada() {
  config::token_table t;
  t.add({"vic", "viewer", ce::sha256_hex("vic-token")});
  t.add({"ada", "admin", ce::sha256_hex("ada-token")});
  return t;
}

}  // namespace

TEST_CASE("without tokens the node is open and believes X-User-Id, then From", "[auth]") {
  auto none = authenticate(nullptr, "", "", "");
  CHECK(none.refusal.empty());
  CHECK(none.caller.user_id == "anonymous");
  CHECK(none.caller.role == role::admin);
  CHECK_FALSE(none.caller.authenticated);
  CHECK(authenticate(nullptr, "", "from-user", "").caller.user_id == "from-user");
  CHECK(authenticate(nullptr, "", "from-user", "header-user").caller.user_id == "header-user");
  config::token_table empty;
  CHECK(authenticate(&empty, "Bearer x", "", "u").caller.user_id == "u");
}

TEST_CASE("with tokens only the bearer token names the caller", "[auth]") {
  auto tokens = tokens_of_vic_and_ada();
  auto vic = authenticate(&tokens, "Bearer vic-token", "", "ada");
  REQUIRE(vic.refusal.empty());
  CHECK(vic.caller.user_id == "vic");  // X-User-Id is ignored
  CHECK(vic.caller.role == role::viewer);
  CHECK(vic.caller.authenticated);
  CHECK(authenticate(&tokens, "bearer ada-token", "", "").caller.role == role::admin);
}

TEST_CASE("no token, another scheme or an unknown token is refused with a sentence", "[auth]") {
  auto tokens = tokens_of_vic_and_ada();
  for (const char* header :
       {"", "Basic dmljOnZpYw==", "Bearer", "Bearer ", "Bearer nope", "vic-token"}) {
    INFO(header);
    auto r = authenticate(&tokens, header, "", "ada");
    CHECK_FALSE(r.refusal.empty());
    CHECK_FALSE(r.caller.authenticated);
  }
  CHECK(authenticate(&tokens, "", "", "").refusal.find("Authorization: Bearer") !=
        std::string::npos);
}
