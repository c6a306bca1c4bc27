// Bearer tokens: made once by `core-engine token create`, stored in the
// configuration only as their SHA-256 with the user and role they stand for.
// Pure logic (OpenSSL for randomness and hashing), tested without a server.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ce::config {

/// One configured token: `USER:ROLE:SHA256HEX` in the configuration.
struct token_entry {
  std::string user;
  std::string role;        // viewer | operator | approver | admin
  std::string sha256_hex;  // of the whole token text, lower-case hex
};

/// The roles a token may carry, weakest first.
const std::vector<std::string>& role_names();

/// A new token: "ce_" and 64 hex digits from 32 bytes of OpenSSL's RAND_bytes.
/// Throws std::runtime_error if the random generator fails.
std::string generate_token();

/// The configuration entry for a token: `user:role:sha256`. The token itself is not in it.
std::string config_entry(const token_entry& entry);

/// Parses `USER:ROLE:SHA256HEX`; the error names what is wrong.
std::optional<token_entry> parse_token_entry(const std::string& text, std::string& error);

/// The configured tokens, found by the hash of the token a client presents.
class token_table {
 public:
  /// Adds an entry; false (and nothing added) if its hash is already there.
  bool add(token_entry entry);
  /// The entry of the presented token, or nullptr.
  const token_entry* find(std::string_view presented_token) const;
  bool empty() const { return by_hash_.empty(); }
  std::size_t size() const { return by_hash_.size(); }

 private:
  std::unordered_map<std::string, token_entry> by_hash_;
};

/// `core-engine token create --user U --role R`: prints a new token once and
/// the configuration entry (its hash) to add. `args` follow "token". Exit code.
int token_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ce::config
