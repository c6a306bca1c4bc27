#include "messages/errors.hpp"

namespace ce {

const char* to_string(errc code) {
  switch (code) {
    case errc::invalid_input:
      return "invalid_input";
    case errc::not_found:
      return "not_found";
    case errc::wrong_state:
      return "wrong_state";
    case errc::forbidden:
      return "forbidden";
    case errc::unavailable:
      return "unavailable";
    case errc::timed_out:
      return "timed_out";
    case errc::internal:
      return "internal";
    case errc::too_many:
      return "too_many";
    case errc::unauthenticated:
      return "unauthenticated";
  }
  return "unknown";
}

namespace {

std::string sentence_in(const caf::message& context) {
  if (!context.empty() && context.match_element<std::string>(0))
    return context.get_as<std::string>(0);
  return {};
}

}  // namespace

std::string sentence_of(const caf::error& err) {
  if (err.category() == error_category) {
    auto sentence = sentence_in(err.context());
    return sentence.empty() ? to_string(static_cast<errc>(err.code())) : sentence;
  }
  return caf::to_string(err);
}

void register_error_category(caf::actor_system_config& config) {
  config.add_error_category(error_category,
                            [](uint8_t code, caf::atom_value, const caf::message& context) {
                              std::string text = "ce::";
                              text += to_string(static_cast<errc>(code));
                              auto sentence = sentence_in(context);
                              if (!sentence.empty()) text += "(\"" + sentence + "\")";
                              return text;
                            });
}

}  // namespace ce
