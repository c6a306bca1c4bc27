#include "client/connection.hpp"

#include <catch2/catch.hpp>

using ce::client::parse_server_url;

TEST_CASE("a server URL gives host, port and base path", "[client]") {
  std::string why;
  auto a = parse_server_url("http://127.0.0.1:3004", why);
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == "3004");
  CHECK(a->base_path.empty());
  auto b = parse_server_url("http://engine.internal/prefix/", why);
  REQUIRE(b);
  CHECK(b->host == "engine.internal");
  CHECK(b->port == "80");  // http's own port
  CHECK(b->base_path == "/prefix");
}

TEST_CASE("anything but a plain http URL is refused with a reason", "[client]") {
  std::string why;
  CHECK_FALSE(parse_server_url("https://engine:443", why));
  CHECK(why.find("http://") != std::string::npos);
  CHECK_FALSE(parse_server_url("http://:3004", why));
  CHECK_FALSE(parse_server_url("http://engine:30x4", why));
}
