#include "net/authentication.hpp"

#include <cctype>

namespace ce::net {

namespace {

/// The credentials of "Bearer <token>"; the scheme is case-insensitive (RFC 7235).
bool bearer_token(std::string_view header, std::string_view& token) {
  constexpr std::string_view scheme = "bearer ";
  if (header.size() <= scheme.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return false;
  token = header.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return !token.empty();
}

/// A refusal whose caller, should anyone use it anyway, may see and do nothing.
authentication refused(std::string why) {
  authentication out;
  out.caller.user_id.clear();
  out.caller.role = role::viewer;
  out.refusal = std::move(why);
  return out;
}

}  // namespace

authentication authenticate_token(const config::token_table& tokens, std::string_view token) {
  const auto* entry = tokens.find(token);
  if (entry == nullptr) return refused("the bearer token is not valid on this node");
  authentication out;
  role r = role::viewer;
  parse(entry->role, r);  // the configuration was checked at start
  out.caller.user_id = entry->user;
  out.caller.authenticated = true;
  out.caller.role = r;
  out.token_key = entry->sha256_hex;
  return out;
}

authentication authenticate(const config::token_table* tokens, std::string_view authorization,
                            std::string_view from, std::string_view x_user_id) {
  if (tokens == nullptr || tokens->empty()) {
    authentication open;
    if (!from.empty()) open.caller.user_id = std::string(from);
    if (!x_user_id.empty()) open.caller.user_id = std::string(x_user_id);
    return open;
  }
  std::string_view token;
  if (authorization.empty())
    return refused("authentication required: send the header Authorization: Bearer <token>");
  if (!bearer_token(authorization, token))
    return refused("the Authorization header must be Bearer <token>");
  return authenticate_token(*tokens, token);
}

}  // namespace ce::net
