#include "actors/executor/hcl_check.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace ce::executor {

namespace {

// ---- tokens -------------------------------------------------------------------

enum class tok {
  ident,
  number,
  newline,
  eof,
  invalid,  // a lexical error; `message` says what
  lbrace,
  rbrace,
  lbrack,
  rbrack,
  lparen,
  rparen,
  comma,
  dot,
  ellipsis,
  colon,
  question,
  equal,
  fat_arrow,
  plus,
  minus,
  star,
  slash,
  percent,
  eq,
  ne,
  lt,
  gt,
  le,
  ge,
  logical_and,
  logical_or,
  bang,
  open_quote,
  close_quote,
  open_heredoc,
  close_heredoc,
  literal,        // literal text of a template
  interp_start,   // ${
  control_start,  // %{
  seq_end,        // } closing ${ or %{
};

struct token {
  tok kind = tok::eof;
  std::string_view text;
  int line = 1;
  int column = 1;
  std::string message;  // for tok::invalid
};

bool is_ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// ---- tokenizer ----------------------------------------------------------------

/// Turns source text into tokens. Templates (quoted strings and heredocs) are
/// split into literal parts and ${ } / %{ } sequences, so the lexer keeps a
/// stack of modes. Stops after the first lexical error, emitting it as a
/// tok::invalid token that the parser reports when it gets there.
class lexer {
 public:
  explicit lexer(std::string_view source) : src_(source) {}

  std::vector<token> run() {
    if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a UTF-8 byte order mark
    modes_.push_back(mode{});
    while (!done_) {
      switch (modes_.back().kind) {
        case mode_kind::expression:
          lex_expression();
          break;
        case mode_kind::quoted:
          lex_quoted();
          break;
        case mode_kind::heredoc:
          lex_heredoc();
          break;
      }
    }
    return std::move(out_);
  }

 private:
  enum class mode_kind { expression, quoted, heredoc };
  struct mode {
    mode_kind kind = mode_kind::expression;
    bool in_template = false;  // an expression inside ${ } or %{ }
    int brace_depth = 0;
    std::string_view marker;  // heredoc
    bool at_line_start = false;
    int open_line = 1;
    int open_column = 1;
  };

  char at(size_t offset = 0) const {
    return pos_ + offset < src_.size() ? src_[pos_ + offset] : '\0';
  }
  bool at_end(size_t offset = 0) const { return pos_ + offset >= src_.size(); }

  void advance(size_t n = 1) {
    for (size_t i = 0; i < n && pos_ < src_.size(); ++i) {
      char c = src_[pos_++];
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++column_;  // UTF-8 continuation bytes belong to the previous character
      }
    }
  }

  struct mark {
    size_t pos;
    int line;
    int column;
  };
  mark here() const { return {pos_, line_, column_}; }

  void emit(tok kind, const mark& start) {
    out_.push_back({kind, src_.substr(start.pos, pos_ - start.pos), start.line, start.column, {}});
  }
  void fail(int line, int column, std::string message) {
    out_.push_back({tok::invalid, {}, line, column, std::move(message)});
    done_ = true;
  }

  void push_template_sequence(tok kind) {
    mark start = here();
    advance(2);
    if (at() == '~') advance();
    emit(kind, start);
    mode m;
    m.in_template = true;
    m.open_line = start.line;
    m.open_column = start.column;
    modes_.push_back(m);
  }

  void lex_expression() {
    while (at() == ' ' || at() == '\t' || at() == '\r') advance();
    mode& m = modes_.back();
    mark start = here();
    if (at_end()) {
      if (m.in_template) {
        fail(m.open_line, m.open_column,
             "Unterminated template sequence: the \"${\" or \"%{\" opened here is never closed");
        return;
      }
      emit(tok::eof, start);
      done_ = true;
      return;
    }
    char c = at();
    auto single = [&](tok kind) {
      advance();
      emit(kind, start);
    };
    auto pair = [&](char second, tok two, tok one) {
      if (at(1) == second) {
        advance(2);
        emit(two, start);
      } else {
        single(one);
      }
    };
    if (c == '\n') return single(tok::newline);
    if (c == '#' || (c == '/' && at(1) == '/')) {
      while (!at_end() && at() != '\n') advance();
      return;
    }
    if (c == '/' && at(1) == '*') {
      size_t close = src_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) {
        fail(start.line, start.column, "Unterminated comment: the \"/*\" here has no \"*/\"");
        return;
      }
      advance(close + 2 - pos_);
      return;
    }
    if (is_digit(c)) {
      while (is_digit(at())) advance();
      if (at() == '.' && is_digit(at(1))) {
        advance();
        while (is_digit(at())) advance();
      }
      if ((at() == 'e' || at() == 'E') &&
          (is_digit(at(1)) || ((at(1) == '+' || at(1) == '-') && is_digit(at(2))))) {
        advance(2);
        while (is_digit(at())) advance();
      }
      return emit(tok::number, start);
    }
    if (is_ident_start(c)) {
      while (is_ident_char(at())) advance();
      return emit(tok::ident, start);
    }
    switch (c) {
      case '"': {
        single(tok::open_quote);
        mode q;
        q.kind = mode_kind::quoted;
        q.open_line = start.line;
        q.open_column = start.column;
        modes_.push_back(q);
        return;
      }
      case '<':
        if (at(1) == '<') return lex_heredoc_opener(start);
        return pair('=', tok::le, tok::lt);
      case '{':
        ++m.brace_depth;
        return single(tok::lbrace);
      case '}':
        if (m.in_template && m.brace_depth == 0) {
          single(tok::seq_end);
          modes_.pop_back();
          return;
        }
        if (m.brace_depth > 0) --m.brace_depth;
        return single(tok::rbrace);
      case '~':
        if (at(1) == '}' && m.in_template && m.brace_depth == 0) {
          advance(2);
          emit(tok::seq_end, start);
          modes_.pop_back();
          return;
        }
        break;
      case '[':
        return single(tok::lbrack);
      case ']':
        return single(tok::rbrack);
      case '(':
        return single(tok::lparen);
      case ')':
        return single(tok::rparen);
      case ',':
        return single(tok::comma);
      case ':':
        return single(tok::colon);
      case '?':
        return single(tok::question);
      case '.':
        if (at(1) == '.' && at(2) == '.') {
          advance(3);
          return emit(tok::ellipsis, start);
        }
        return single(tok::dot);
      case '=':
        if (at(1) == '>') {
          advance(2);
          return emit(tok::fat_arrow, start);
        }
        return pair('=', tok::eq, tok::equal);
      case '!':
        return pair('=', tok::ne, tok::bang);
      case '>':
        return pair('=', tok::ge, tok::gt);
      case '&':
        if (at(1) == '&') {
          advance(2);
          return emit(tok::logical_and, start);
        }
        break;
      case '|':
        if (at(1) == '|') {
          advance(2);
          return emit(tok::logical_or, start);
        }
        break;
      case '+':
        return single(tok::plus);
      case '-':
        return single(tok::minus);
      case '*':
        return single(tok::star);
      case '/':
        return single(tok::slash);
      case '%':
        return single(tok::percent);
      default:
        break;
    }
    std::string shown = (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                            ? "byte " + std::to_string(static_cast<unsigned char>(c))
                            : std::string("\"") + c + "\"";
    fail(start.line, start.column, "Invalid character: " + shown + " cannot start a token");
  }

  void lex_heredoc_opener(const mark& start) {
    size_t p = pos_ + 2;
    if (p < src_.size() && src_[p] == '-') ++p;
    size_t name_start = p;
    if (p < src_.size() && is_ident_start(src_[p])) {
      while (p < src_.size() && is_ident_char(src_[p])) ++p;
    }
    std::string_view marker = src_.substr(name_start, p - name_start);
    if (p < src_.size() && src_[p] == '\r') ++p;
    if (marker.empty() || p >= src_.size() || src_[p] != '\n') {
      fail(start.line, start.column,
           "Invalid heredoc: \"<<\" must be followed by a marker name and a newline, like <<EOT");
      return;
    }
    advance(p + 1 - pos_);
    emit(tok::open_heredoc, start);
    mode h;
    h.kind = mode_kind::heredoc;
    h.marker = marker;
    h.at_line_start = true;
    h.open_line = start.line;
    h.open_column = start.column;
    modes_.push_back(h);
  }

  void lex_quoted() {
    mark start = here();
    int open_line = modes_.back().open_line;
    int open_column = modes_.back().open_column;
    auto flush = [&] {
      if (pos_ > start.pos) emit(tok::literal, start);
    };
    for (;;) {
      if (at_end() || at() == '\n') {
        flush();
        fail(open_line, open_column,
             at_end()
                 ? "Unterminated template string: the quoted string opened here is never closed"
                 : "Invalid multi-line string: the quoted string opened here is not closed "
                   "on its line");
        return;
      }
      char c = at();
      if (c == '"') {
        flush();
        mark q = here();
        advance();
        emit(tok::close_quote, q);
        modes_.pop_back();
        return;
      }
      if (c == '\\') {
        mark escape = here();
        char e = at(1);
        size_t hex_digits = e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (hex_digits > 0) {
          for (size_t i = 0; i < hex_digits; ++i) {
            if (!is_hex(at(2 + i))) {
              fail(escape.line, escape.column,
                   "Invalid escape sequence: \\" + std::string(1, e) + " needs " +
                       std::to_string(hex_digits) + " hexadecimal digits");
              return;
            }
          }
          advance(2 + hex_digits);
          continue;
        }
        if (e == 'n' || e == 'r' || e == 't' || e == '"' || e == '\\') {
          advance(2);
          continue;
        }
        fail(escape.line, escape.column,
             "Invalid escape sequence: a backslash in a quoted string must start \\n, \\r, \\t, "
             "\\\", \\\\, \\u or \\U");
        return;
      }
      if ((c == '$' || c == '%') && at(1) == c && at(2) == '{') {
        advance(3);  // $${ and %%{ are literal
        continue;
      }
      if ((c == '$' || c == '%') && at(1) == '{') {
        flush();
        push_template_sequence(c == '$' ? tok::interp_start : tok::control_start);
        return;
      }
      advance();
    }
  }

  void lex_heredoc() {
    mode& h = modes_.back();
    if (h.at_line_start) {
      size_t eol = src_.find('\n', pos_);
      if (eol == std::string_view::npos) eol = src_.size();
      std::string_view line = src_.substr(pos_, eol - pos_);
      size_t first = line.find_first_not_of(" \t\r");
      size_t last = line.find_last_not_of(" \t\r");
      // The closing marker needs the newline after it: HCL refuses one at the end of the file.
      if (first != std::string_view::npos && line.substr(first, last - first + 1) == h.marker &&
          eol < src_.size()) {
        mark start = here();
        advance(eol - pos_);
        emit(tok::close_heredoc, start);
        modes_.pop_back();
        return;
      }
      if (at_end()) {
        fail(
            h.open_line, h.open_column,
            "Unterminated heredoc: no line after the heredoc opened here holds only its marker \"" +
                std::string(h.marker) + "\"");
        return;
      }
      h.at_line_start = false;
    }
    mark start = here();
    for (;;) {
      if (at_end()) {
        if (pos_ > start.pos) emit(tok::literal, start);
        fail(
            h.open_line, h.open_column,
            "Unterminated heredoc: no line after the heredoc opened here holds only its marker \"" +
                std::string(h.marker) + "\"");
        return;
      }
      char c = at();
      if (c == '\n') {
        advance();
        emit(tok::literal, start);
        h.at_line_start = true;
        return;
      }
      if ((c == '$' || c == '%') && at(1) == c && at(2) == '{') {
        advance(3);
        continue;
      }
      if ((c == '$' || c == '%') && at(1) == '{') {
        if (pos_ > start.pos) emit(tok::literal, start);
        push_template_sequence(c == '$' ? tok::interp_start : tok::control_start);
        return;
      }
      advance();
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::vector<mode> modes_;
  std::vector<token> out_;
  bool done_ = false;
};

// ---- parser -------------------------------------------------------------------

struct syntax_error {
  int line;
  int column;
  std::string message;
};

/// Where a body is: decides what its blocks and attributes define.
enum class body_kind { file, locals, resource_like, lifecycle, other };

std::string describe(const token& t) {
  switch (t.kind) {
    case tok::eof:
      return "the end of the file";
    case tok::newline:
      return "a newline";
    case tok::literal:
      return "template text";
    case tok::open_quote:
      return "a quoted string";
    default:
      return "\"" + std::string(t.text) + "\"";
  }
}

class parser {
 public:
  parser(std::vector<token> tokens, hcl_file_report& report)
      : toks_(std::move(tokens)), report_(report) {}

  void parse_file() { parse_body(body_kind::file, nullptr); }

 private:
  // Newlines end arguments in bodies and separate object items, but are
  // insignificant inside (), [] and template sequences.
  struct newline_mode {
    parser& p;
    newline_mode(parser& owner, bool significant) : p(owner) { p.newlines_.push_back(significant); }
    ~newline_mode() { p.newlines_.pop_back(); }
  };

  size_t significant_index(size_t i) const {
    if (!newlines_.back()) {
      while (i < toks_.size() && toks_[i].kind == tok::newline) ++i;
    }
    return std::min(i, toks_.size() - 1);
  }

  const token& peek() {
    pos_ = significant_index(pos_);
    const token& t = toks_[pos_];
    if (t.kind == tok::invalid) throw syntax_error{t.line, t.column, t.message};
    return t;
  }
  /// The token after the next one, newline handling as in peek.
  const token& peek_second() {
    size_t first = significant_index(pos_);
    return toks_[significant_index(first + 1)];
  }
  const token& next() {
    const token& t = peek();
    if (t.kind != tok::eof) ++pos_;
    return t;
  }
  [[noreturn]] static void fail(const token& t, std::string message) {
    throw syntax_error{t.line, t.column, std::move(message)};
  }
  const token& expect(tok kind, const std::string& message) {
    const token& t = peek();
    if (t.kind != kind) fail(t, message + ", found " + describe(t));
    return next();
  }
  bool at_keyword(std::string_view word) {
    const token& t = peek();
    return t.kind == tok::ident && t.text == word;
  }
  bool at_for_keyword() { return at_keyword("for") && peek_second().kind == tok::ident; }

  void skip_newlines() {
    while (toks_[pos_].kind == tok::newline) ++pos_;
  }

  // ---- bodies and blocks ----

  void parse_body(body_kind kind, const token* open_brace) {
    newline_mode significant(*this, true);
    std::map<std::string_view, int> arguments;  // name -> line
    for (;;) {
      const token& t = peek();
      if (t.kind == tok::newline) {
        next();
        continue;
      }
      if (t.kind == tok::eof) {
        if (!open_brace) return;
        fail(*open_brace, "Unclosed configuration block: the \"{\" here has no matching \"}\"");
      }
      if (t.kind == tok::rbrace) {
        if (open_brace) return;
        fail(t, "Unexpected \"}\": no block is open here");
      }
      if (t.kind != tok::ident) {
        fail(t,
             "Argument or block definition required: expected an argument name or a block "
             "type, found " +
                 describe(t));
      }
      if (!parse_item(kind, arguments)) {
        const token& end = peek();
        if (end.kind != tok::newline && end.kind != tok::eof) {
          fail(end,
               "Missing newline after argument: an argument definition must end with a "
               "newline, found " +
                   describe(end));
        }
      }
    }
  }

  /// Parses an argument or a block at the current identifier; true for a block.
  bool parse_item(body_kind kind, std::map<std::string_view, int>& arguments) {
    const token& name = next();
    const token& after = peek();
    if (after.kind == tok::equal) {
      next();
      auto [it, fresh] = arguments.emplace(name.text, name.line);
      if (!fresh) {
        report_.errors.push_back({name.line, name.column,
                                  "Attribute redefined: the argument \"" + std::string(name.text) +
                                      "\" was already set on line " + std::to_string(it->second)});
      }
      if (kind == body_kind::locals) add_unique(report_.locals, std::string(name.text));
      bool skip_references = (kind == body_kind::resource_like &&
                              (name.text == "provider" || name.text == "providers")) ||
                             (kind == body_kind::lifecycle && name.text == "ignore_changes");
      bool saved = record_references_;
      if (skip_references) record_references_ = false;
      parse_expression();
      record_references_ = saved;
      return false;
    }
    if (after.kind != tok::open_quote && after.kind != tok::ident && after.kind != tok::lbrace) {
      fail(after,
           "Argument or block definition required: expected \"=\" after the argument "
           "name \"" +
               std::string(name.text) + "\" or a block body, found " + describe(after));
    }
    std::vector<std::string> labels;
    while (peek().kind == tok::open_quote || peek().kind == tok::ident) {
      const token& label = next();
      if (label.kind == tok::ident) {
        labels.emplace_back(label.text);
        continue;
      }
      std::string text;
      while (peek().kind == tok::literal) text += next().text;
      const token& close = peek();
      if (close.kind != tok::close_quote) {
        fail(close, "Invalid block label: a block label must be a plain quoted string");
      }
      next();
      labels.push_back(text);
    }
    const token& open = expect(tok::lbrace,
                               "Invalid block definition: expected \"{\" to open the "
                               "body of block \"" +
                                   std::string(name.text) + "\"");
    body_kind child = record_definition(kind, name.text, labels);
    bool iterator_scope = name.text == "dynamic" && labels.size() == 1;
    if (iterator_scope) scope_.push_back(labels[0]);

    const token& first = peek();
    if (first.kind == tok::newline) {
      parse_body(child, &open);
      next();  // the closing brace
    } else if (first.kind == tok::rbrace) {
      next();
    } else {
      // A single-line block holds at most one argument.
      if (first.kind != tok::ident) {
        fail(first,
             "Invalid block definition: expected a newline or an argument after \"{\", "
             "found " +
                 describe(first));
      }
      std::map<std::string_view, int> single_arguments;
      if (parse_item(child, single_arguments)) {
        fail(first,
             "Invalid single-line block: a block on one line can hold only one argument, "
             "not a nested block");
      }
      expect(tok::rbrace, "Invalid single-line block: expected \"}\" after its one argument");
    }
    if (iterator_scope) scope_.pop_back();
    const token& end = peek();
    if (end.kind != tok::newline && end.kind != tok::eof) {
      fail(end, "Missing newline after block definition, found " + describe(end));
    }
    return true;
  }

  body_kind record_definition(body_kind kind, std::string_view type,
                              const std::vector<std::string>& labels) {
    if (kind != body_kind::file) {
      return type == "lifecycle" ? body_kind::lifecycle : body_kind::other;
    }
    if (type == "locals") return body_kind::locals;
    if (type == "resource" && labels.size() == 2) {
      report_.resources.push_back(labels[0] + "." + labels[1]);
      return body_kind::resource_like;
    }
    if (type == "data" && labels.size() == 2) {
      report_.resources.push_back("data." + labels[0] + "." + labels[1]);
      return body_kind::resource_like;
    }
    if (type == "module" && labels.size() == 1) {
      report_.modules.push_back(labels[0]);
      return body_kind::resource_like;
    }
    if (type == "variable" && labels.size() == 1) report_.variables.push_back(labels[0]);
    if (type == "output" && labels.size() == 1) report_.outputs.push_back(labels[0]);
    return body_kind::other;
  }

  // ---- expressions ----

  void parse_expression() {
    parse_binary(0);
    if (peek().kind == tok::question) {
      next();
      parse_expression();
      expect(tok::colon, "Missing false expression in conditional: expected \":\"");
      parse_expression();
    }
  }

  static bool is_operator_of_level(tok kind, int level) {
    switch (level) {
      case 0:
        return kind == tok::logical_or;
      case 1:
        return kind == tok::logical_and;
      case 2:
        return kind == tok::eq || kind == tok::ne;
      case 3:
        return kind == tok::lt || kind == tok::gt || kind == tok::le || kind == tok::ge;
      case 4:
        return kind == tok::plus || kind == tok::minus;
      case 5:
        return kind == tok::star || kind == tok::slash || kind == tok::percent;
      default:
        return false;
    }
  }

  void parse_binary(int level) {
    constexpr int unary_level = 6;
    if (level == unary_level) return parse_unary();
    parse_binary(level + 1);
    while (is_operator_of_level(peek().kind, level)) {
      next();
      parse_binary(level + 1);
    }
  }

  void parse_unary() {
    if (peek().kind == tok::minus || peek().kind == tok::bang) {
      next();
      return parse_unary();
    }
    parse_term();
  }

  void parse_term() {
    const token& t = next();
    std::vector<std::string_view> path;
    switch (t.kind) {
      case tok::number:
        break;
      case tok::ident:
        if (t.text == "true" || t.text == "false" || t.text == "null") break;
        if (peek().kind == tok::lparen) {
          parse_call_arguments(t);
          break;
        }
        path.push_back(t.text);
        break;
      case tok::open_quote:
        parse_template(tok::close_quote);
        break;
      case tok::open_heredoc:
        parse_template(tok::close_heredoc);
        break;
      case tok::lparen: {
        newline_mode insignificant(*this, false);
        parse_expression();
        expect(tok::rparen, "Unbalanced parentheses: expected \")\"");
        break;
      }
      case tok::lbrack:
        parse_tuple(t);
        break;
      case tok::lbrace:
        parse_object(t);
        break;
      default:
        fail(t, "Invalid expression: expected the start of an expression, found " + describe(t));
    }
    parse_traversal(path);
    record_reference(path);
  }

  /// Attribute access, indexes and splats after a term. `path` collects the
  /// leading attribute names of a variable for reference tracking.
  void parse_traversal(std::vector<std::string_view>& path) {
    bool collecting = !path.empty();
    for (;;) {
      const token& t = peek();
      if (t.kind == tok::dot) {
        next();
        const token& step = next();
        if (step.kind == tok::ident) {
          if (collecting) path.push_back(step.text);
        } else if (step.kind == tok::number && step.text.find('.') != std::string_view::npos) {
          fail(step, "Invalid legacy index syntax: write a[1][2] instead of a.1.2");
        } else if (step.kind == tok::number || step.kind == tok::star) {
          collecting = false;  // legacy index a.0 or attribute splat a.*
        } else {
          fail(step,
               "Invalid attribute name: expected a name after \".\", found " + describe(step));
        }
      } else if (t.kind == tok::lbrack) {
        next();
        newline_mode insignificant(*this, false);
        if (peek().kind == tok::star) {
          next();
        } else {
          parse_expression();
        }
        expect(tok::rbrack, "Missing close bracket on index: expected \"]\"");
        collecting = false;
      } else {
        return;
      }
    }
  }

  void parse_call_arguments(const token& function) {
    next();  // (
    newline_mode insignificant(*this, false);
    if (peek().kind == tok::rparen) {
      next();
      return;
    }
    for (;;) {
      parse_expression();
      const token& t = peek();
      if (t.kind == tok::comma) {
        next();
        if (peek().kind == tok::rparen) break;
        continue;
      }
      if (t.kind == tok::ellipsis) {
        next();
        expect(tok::rparen, "Missing \")\" after the expanded last argument");
        return;
      }
      if (t.kind == tok::rparen) break;
      fail(t, "Missing \",\" or \")\" in the arguments of function \"" +
                  std::string(function.text) + "\", found " + describe(t));
    }
    next();
  }

  void parse_tuple(const token& open) {
    newline_mode insignificant(*this, false);
    if (at_for_keyword()) return parse_for(tok::rbrack);
    if (peek().kind == tok::rbrack) {
      next();
      return;
    }
    for (;;) {
      if (peek().kind == tok::eof)
        fail(open, "Unclosed list: the \"[\" here has no matching \"]\"");
      parse_expression();
      const token& t = peek();
      if (t.kind == tok::comma) {
        next();
        if (peek().kind == tok::rbrack) break;
        continue;
      }
      if (t.kind == tok::rbrack) break;
      fail(t, "Missing \",\" or \"]\" in a list, found " + describe(t));
    }
    next();
  }

  void parse_object(const token& open) {
    newline_mode significant(*this, true);
    skip_newlines();
    if (at_for_keyword()) {
      newline_mode insignificant(*this, false);
      return parse_for(tok::rbrace);
    }
    for (;;) {
      skip_newlines();
      const token& t = peek();
      if (t.kind == tok::rbrace) {
        next();
        return;
      }
      if (t.kind == tok::eof) {
        fail(open, "Unclosed object: the \"{\" here has no matching \"}\"");
      }
      tok after_key = peek_second().kind;
      if (t.kind == tok::ident && (after_key == tok::equal || after_key == tok::colon)) {
        next();  // a bare name is a literal key, not a reference
      } else {
        parse_expression();
      }
      const token& separator = peek();
      if (separator.kind != tok::equal && separator.kind != tok::colon) {
        fail(separator, "Missing key/value separator: expected \"=\" after the object key, found " +
                            describe(separator));
      }
      next();
      parse_expression();
      const token& end = peek();
      if (end.kind == tok::comma || end.kind == tok::newline) {
        next();
      } else if (end.kind != tok::rbrace) {
        fail(end,
             "Missing attribute separator: expected a newline or \",\" after an object "
             "attribute, found " +
                 describe(end));
      }
    }
  }

  void parse_for(tok close) {
    next();  // for
    std::vector<std::string> names;
    names.emplace_back(expect(tok::ident, "Invalid \"for\" expression: expected a name").text);
    if (peek().kind == tok::comma) {
      next();
      names.emplace_back(
          expect(tok::ident, "Invalid \"for\" expression: expected a second name").text);
    }
    if (!at_keyword("in")) {
      fail(peek(), "Invalid \"for\" expression: expected \"in\", found " + describe(peek()));
    }
    next();
    parse_expression();
    expect(tok::colon, "Invalid \"for\" expression: expected \":\" after the collection");
    size_t scope_size = scope_.size();
    scope_.insert(scope_.end(), names.begin(), names.end());
    parse_expression();
    if (close == tok::rbrace) {
      expect(tok::fat_arrow, "Invalid \"for\" expression: expected \"=>\" after the key");
      parse_expression();
      if (peek().kind == tok::ellipsis) next();
    }
    if (at_keyword("if")) {
      next();
      parse_expression();
    }
    scope_.resize(scope_size);
    expect(close, close == tok::rbrack ? "Invalid \"for\" expression: expected \"]\""
                                       : "Invalid \"for\" expression: expected \"}\"");
  }

  // ---- templates ----

  void parse_template(tok close) { parse_template_items(close, {}); }

  /// Parses template parts until `close` (consumed, returns "") or one of the
  /// directive keywords in `stops` (consumed with its "}", returned).
  std::string_view parse_template_items(tok close, std::vector<std::string_view> stops) {
    for (;;) {
      const token& t = peek();
      if (t.kind == tok::literal) {
        next();
        continue;
      }
      if (t.kind == tok::interp_start) {
        next();
        newline_mode insignificant(*this, false);
        parse_expression();
        expect(tok::seq_end, "Missing \"}\" to close the interpolation");
        continue;
      }
      if (t.kind == tok::control_start) {
        next();
        std::string_view stopped = parse_directive(close, stops);
        if (!stopped.empty()) return stopped;
        continue;
      }
      if (t.kind == close) {
        if (!stops.empty()) {
          fail(t, "Unterminated template directive: expected %{ " + std::string(stops.back()) +
                      " } before the end of the template");
        }
        next();
        return {};
      }
      fail(t, "Unexpected " + describe(t) + " in a template");
    }
  }

  std::string_view parse_directive(tok close, const std::vector<std::string_view>& stops) {
    const token& keyword = peek();
    if (keyword.kind != tok::ident) fail(keyword, "Invalid template directive");
    if (std::find(stops.begin(), stops.end(), keyword.text) != stops.end()) {
      next();
      expect(tok::seq_end, "Missing \"}\" to close the template directive");
      return keyword.text;
    }
    if (keyword.text == "if") {
      next();
      {
        newline_mode insignificant(*this, false);
        parse_expression();
        expect(tok::seq_end, "Missing \"}\" to close the if directive");
      }
      std::string_view ended = parse_template_items(close, {"else", "endif"});
      if (ended == "else") parse_template_items(close, {"endif"});
      return {};
    }
    if (keyword.text == "for") {
      next();
      std::vector<std::string> names;
      {
        newline_mode insignificant(*this, false);
        names.emplace_back(expect(tok::ident, "Invalid for directive: expected a name").text);
        if (peek().kind == tok::comma) {
          next();
          names.emplace_back(expect(tok::ident, "Invalid for directive: expected a name").text);
        }
        if (!at_keyword("in")) fail(peek(), "Invalid for directive: expected \"in\"");
        next();
        parse_expression();
        expect(tok::seq_end, "Missing \"}\" to close the for directive");
      }
      size_t scope_size = scope_.size();
      scope_.insert(scope_.end(), names.begin(), names.end());
      parse_template_items(close, {"endfor"});
      scope_.resize(scope_size);
      return {};
    }
    fail(keyword, "Invalid template directive: unexpected \"" + std::string(keyword.text) + "\"");
  }

  // ---- references ----

  void record_reference(const std::vector<std::string_view>& path) {
    if (!record_references_ || path.size() < 2) return;
    std::string_view root = path[0];
    static const std::set<std::string_view> builtins = {"count", "each", "self", "path",
                                                        "terraform"};
    if (builtins.count(root)) return;
    if (std::find(scope_.begin(), scope_.end(), root) != scope_.end()) return;
    std::string name = std::string(root) + "." + std::string(path[1]);
    if (root == "data" && path.size() >= 3) name += "." + std::string(path[2]);
    add_unique(report_.references, name);
  }

  static void add_unique(std::vector<std::string>& list, std::string value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
  }

  std::vector<token> toks_;
  size_t pos_ = 0;
  std::vector<bool> newlines_{true};
  hcl_file_report& report_;
  std::vector<std::string> scope_;  // for-expression and dynamic-block iterators
  bool record_references_ = true;
};

std::string where(const std::string& file, const hcl_diagnostic& d) {
  return file + ": line " + std::to_string(d.line) + ", column " + std::to_string(d.column) + ": " +
         d.message;
}

}  // namespace

hcl_file_report check_hcl(std::string_view source) {
  hcl_file_report report;
  parser p(lexer(source).run(), report);
  try {
    p.parse_file();
  } catch (const syntax_error& e) {
    report.errors.push_back({e.line, e.column, e.message});
  }
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [](const hcl_diagnostic& a, const hcl_diagnostic& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  report.ok = report.errors.empty();
  return report;
}

hcl_set_report check_module(const std::vector<std::pair<std::string, std::string>>& files) {
  hcl_set_report out;
  std::map<std::string, std::string> defined;  // address ("var.x", "aws_vpc.main") -> file
  std::vector<std::pair<std::string, hcl_file_report>> reports;

  auto define = [&](const std::string& address, const std::string& what, const std::string& file) {
    auto [it, fresh] = defined.emplace(address, file);
    if (fresh) return;
    out.errors.push_back(it->second == file
                             ? what + " is defined twice in " + file + "."
                             : what + " is defined in both " + it->second + " and " + file + ".");
  };

  for (const auto& [name, content] : files) {
    hcl_file_report report = check_hcl(content);
    for (const auto& error : report.errors) out.errors.push_back(where(name, error));
    for (const auto& r : report.resources) {
      bool data = r.compare(0, 5, "data.") == 0;
      define(r, (data ? "Data source " : "Resource ") + r, name);
    }
    for (const auto& v : report.variables) define("var." + v, "Variable " + v, name);
    for (const auto& l : report.locals) define("local." + l, "Local value " + l, name);
    for (const auto& m : report.modules) define("module." + m, "Module " + m, name);
    for (const auto& o : report.outputs) define("output." + o, "Output " + o, name);
    reports.emplace_back(name, std::move(report));
  }
  for (const auto& [name, report] : reports) {
    for (const auto& reference : report.references) {
      if (!defined.count(reference)) {
        out.errors.push_back(name + " references " + reference +
                             ", which no file of the module defines.");
      }
    }
  }
  out.ok = out.errors.empty();
  return out;
}

}  // namespace ce::executor
