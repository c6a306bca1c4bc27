#include "config/tokens.hpp"

#include "messages/checksum.hpp"

#include <array>
#include <memory>
#include <ostream>
#include <stdexcept>

#include <openssl/rand.h>

namespace ce::config {

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0x0f]);
  }
  return out;
}

bool is_lower_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

const std::vector<std::string>& role_names() {
  static const std::vector<std::string> names{"viewer", "operator", "approver", "admin"};
  return names;
}

std::string generate_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("the random generator failed; no token was made");
  return "ce_" + to_hex(bytes.data(), bytes.size());
}

std::string config_entry(const token_entry& entry) {
  return entry.user + ":" + entry.role + ":" + entry.sha256_hex;
}

std::optional<token_entry> parse_token_entry(const std::string& text, std::string& error) {
  // The user may hold ':'; role and hash are the last two fields.
  auto last = text.rfind(':');
  auto middle =
      last == std::string::npos || last == 0 ? std::string::npos : text.rfind(':', last - 1);
  if (middle == std::string::npos) {
    error = "must be USER:ROLE:SHA256 (as `core-engine token create` prints it)";
    return std::nullopt;
  }
  token_entry entry{text.substr(0, middle), text.substr(middle + 1, last - middle - 1),
                    text.substr(last + 1)};
  if (entry.user.empty()) {
    error = "names no user";
    return std::nullopt;
  }
  bool known_role = false;
  for (const auto& r : role_names()) known_role = known_role || r == entry.role;
  if (!known_role) {
    error = "has role '" + entry.role + "'; roles are viewer, operator, approver, admin";
    return std::nullopt;
  }
  if (entry.sha256_hex.size() != 64 || !is_lower_hex(entry.sha256_hex)) {
    error = "must end in the token's SHA-256 as 64 lower-case hex digits, not the token itself";
    return std::nullopt;
  }
  return entry;
}

bool token_table::add(token_entry entry) {
  auto key = entry.sha256_hex;
  return by_hash_.emplace(std::move(key), std::move(entry)).second;
}

const token_entry* token_table::find(std::string_view presented_token) const {
  if (presented_token.empty()) return nullptr;
  auto it = by_hash_.find(sha256_hex(presented_token));
  return it == by_hash_.end() ? nullptr : &it->second;
}

int token_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const char* usage =
      "usage: core-engine token create --user USER --role viewer|operator|approver|admin\n";
  if (args.empty() || args[0] != "create") {
    err << usage;
    return 2;
  }
  token_entry entry;
  for (size_t i = 1; i < args.size(); ++i) {
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok =
        (args[i] == "--user" && value(entry.user)) || (args[i] == "--role" && value(entry.role));
    if (!ok) {
      err << "core-engine: unexpected argument '" << args[i] << "'\n" << usage;
      return 2;
    }
  }
  auto token = generate_token();
  entry.sha256_hex = sha256_hex(token);
  std::string why;
  if (!parse_token_entry(config_entry(entry), why)) {
    err << "core-engine: the token " << why << "\n" << usage;
    return 2;
  }
  out << "token for " << entry.user << " (" << entry.role << "), shown only this once:\n"
      << "  " << token << "\n"
      << "Add its hash to the configuration (only the hash is kept there):\n"
      << "  tokens = [\"" << config_entry(entry) << "\"]\n"
      << "or append \"" << config_entry(entry)
      << "\" to an existing tokens list, --tokens or CORE_ENGINE_TOKENS (comma-separated).\n"
      << "Clients send it as: Authorization: Bearer " << token << "\n";
  return 0;
}

}  // namespace ce::config
