#include "config/tokens.hpp"
#include "messages/checksum.hpp"

#include <set>
#include <sstream>

#include <catch2/catch.hpp>

using namespace ce::config;

TEST_CASE("SHA-256 is the standard digest in lower-case hex", "[tokens]") {
  // FIPS 180-2 test vector for "abc".
  CHECK(ce::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("generated tokens are long, random and distinct", "[tokens]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = generate_token();
    CHECK(t.size() == 3 + 64);  // "ce_" and 32 random bytes in hex
    CHECK(t.rfind("ce_", 0) == 0);
    seen.insert(t);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("a config entry is USER:ROLE:SHA256 and parses back", "[tokens]") {
  token_entry e{"team:alice", "operator", ce::sha256_hex("secret")};
  std::string why;
  auto parsed = parse_token_entry(config_entry(e), why);
  REQUIRE(parsed);
  CHECK(parsed->user == "team:alice");  // a user may hold ':'
  CHECK(parsed->role == "operator");
  CHECK(parsed->sha256_hex == e.sha256_hex);
}

TEST_CASE("malformed entries are refused with the reason", "[tokens]") {
  auto hash = ce::sha256_hex("x");
  std::string why;
  CHECK_FALSE(parse_token_entry("alice", why));
  CHECK_FALSE(parse_token_entry(":operator:" + hash, why));
  CHECK(why.find("user") != std::string::npos);
  CHECK_FALSE(parse_token_entry("alice:root:" + hash, why));
  CHECK(why.find("root") != std::string::npos);
  CHECK_FALSE(parse_token_entry("alice:operator:ce_notahash", why));
  CHECK(why.find("SHA-256") != std::string::npos);
  CHECK_FALSE(parse_token_entry("alice:operator:" + std::string(64, 'G'), why));
}

TEST_CASE("the table finds a token by its hash and nothing else", "[tokens]") {
  token_table table;
  REQUIRE(table.add({"alice", "viewer", ce::sha256_hex("token-a")}));
  REQUIRE(table.add({"bob", "admin", ce::sha256_hex("token-b")}));
  CHECK_FALSE(table.add({"carol", "admin", ce::sha256_hex("token-b")}));  // same token twice
  REQUIRE(table.find("token-a"));
  CHECK(table.find("token-a")->user == "alice");
  CHECK(table.find("token-b")->role == "admin");
  CHECK(table.find("token-c") == nullptr);
  CHECK(table.find(ce::sha256_hex("token-a")) == nullptr);  // the hash is not the token
  CHECK(table.find("") == nullptr);
}

TEST_CASE("token create prints a token once and the entry holding only its hash", "[tokens]") {
  std::ostringstream out, err;
  REQUIRE(token_command({"create", "--user", "carol", "--role", "approver"}, out, err) == 0);
  std::istringstream lines(out.str());
  std::string line, token, entry;
  while (std::getline(lines, line)) {
    if (line.rfind("  ce_", 0) == 0) token = line.substr(2);
    if (auto at = line.find("tokens = [\""); at != std::string::npos)
      entry = line.substr(at + 11, line.rfind("\"]") - at - 11);
  }
  REQUIRE_FALSE(token.empty());
  CHECK(entry == "carol:approver:" + ce::sha256_hex(token));
  CHECK(entry.find(token) == std::string::npos);
  std::ostringstream out2, err2;
  CHECK(token_command({"create", "--user", "carol", "--role", "root"}, out2, err2) == 2);
  CHECK(err2.str().find("root") != std::string::npos);
  CHECK(token_command({"list"}, out2, err2) == 2);
}
