#include "actors/executor/hcl_edit.hpp"

#include <cctype>

namespace ce::executor {

namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

size_t group_end(std::string_view s, size_t open, size_t end);

/// Past the bracket closing the one at `open`, or end when it is never closed.
size_t skip_group(std::string_view s, size_t open, size_t end) {
  auto past = group_end(s, open, end);
  return past == std::string_view::npos ? end : past;
}

/// Past the end of a line comment (stops at the newline) or a block comment.
size_t skip_comment(std::string_view s, size_t i, size_t end) {
  if (s[i] == '/' && i + 1 < end && s[i + 1] == '*') {
    auto close = s.find("*/", i + 2);
    return close == std::string_view::npos || close + 2 > end ? end : close + 2;
  }
  while (i < end && s[i] != '\n') ++i;
  return i;
}

bool comment_starts(std::string_view s, size_t i, size_t end) {
  return s[i] == '#' || (s[i] == '/' && i + 1 < end && (s[i + 1] == '/' || s[i + 1] == '*'));
}

/// Past the closing quote of the string starting at i; an unterminated string ends at its line.
size_t skip_string(std::string_view s, size_t i, size_t end) {
  ++i;
  while (i < end) {
    char c = s[i];
    if (c == '\\') {
      i += 2;
      continue;
    }
    if (c == '"') return i + 1;
    if (c == '\n') return i;
    if ((c == '$' || c == '%') && i + 1 < end) {
      if (s[i + 1] == c) {  // "$${" and "%%{" are escapes, not templates
        i += 2;
        continue;
      }
      if (s[i + 1] == '{') {
        i = skip_group(s, i + 1, end);
        continue;
      }
    }
    ++i;
  }
  return end;
}

/// If a heredoc starts at i ("<<EOF" or "<<-EOF"), the position past its terminator line's
/// marker; otherwise npos.
size_t skip_heredoc(std::string_view s, size_t i, size_t end) {
  if (i + 2 >= end || s[i] != '<' || s[i + 1] != '<') return std::string_view::npos;
  size_t j = i + 2;
  if (j < end && s[j] == '-') ++j;
  size_t marker_begin = j;
  while (j < end && is_ident_char(s[j])) ++j;
  if (j == marker_begin) return std::string_view::npos;
  std::string_view marker = s.substr(marker_begin, j - marker_begin);
  auto line = s.find('\n', j);
  while (line != std::string_view::npos && line < end) {
    size_t k = line + 1;
    while (k < end && is_blank(s[k])) ++k;
    if (s.substr(k, marker.size()) == marker &&
        (k + marker.size() >= end || !is_ident_char(s[k + marker.size()])))
      return k + marker.size();
    line = s.find('\n', k);
  }
  return end;
}

/// Past the bracket closing the one at `open`; npos when it is never closed.
size_t group_end(std::string_view s, size_t open, size_t end) {
  std::string closers;
  size_t i = open;
  while (i < end) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, i, end);
      continue;
    }
    if (comment_starts(s, i, end)) {
      i = skip_comment(s, i, end);
      continue;
    }
    if (c == '<') {
      auto past = skip_heredoc(s, i, end);
      if (past != std::string_view::npos) {
        i = past;
        continue;
      }
    }
    if (c == '(' || c == '[' || c == '{') {
      closers.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (closers.empty() || closers.back() != c) return std::string_view::npos;  // mismatched
      closers.pop_back();
      if (closers.empty()) return i + 1;
    }
    ++i;
  }
  return std::string_view::npos;
}

/// End of the expression starting at i: the end of its line (or the `}` closing a one-line
/// body, or a comma when inside an object), with trailing blanks and comments excluded.
size_t expression_end(std::string_view s, size_t i, size_t end, bool stop_at_comma) {
  size_t last = i;  // one past the last character that belongs to the expression
  while (i < end) {
    char c = s[i];
    if (c == '\n' || c == '}' || (stop_at_comma && c == ',')) break;
    if (c == '#' || (c == '/' && i + 1 < end && s[i + 1] == '/')) break;
    if (c == '/' && i + 1 < end && s[i + 1] == '*') {
      i = skip_comment(s, i, end);
      continue;
    }
    if (is_blank(c)) {
      ++i;
      continue;
    }
    if (c == '"') {
      i = last = skip_string(s, i, end);
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      i = last = skip_group(s, i, end);
      continue;
    }
    if (c == '<') {
      auto past = skip_heredoc(s, i, end);
      if (past != std::string_view::npos) {
        i = last = past;
        continue;
      }
    }
    last = ++i;
  }
  return last;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

/// Indentation (blanks) at the start of the line holding position i.
std::string_view line_indent(std::string_view s, size_t i) {
  size_t line_start = s.rfind('\n', i == 0 ? 0 : i - 1);
  line_start = (line_start == std::string_view::npos || i == 0) ? 0 : line_start + 1;
  size_t k = line_start;
  while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) ++k;
  return s.substr(line_start, k - line_start);
}

hcl_body_outline outline_range(std::string_view s, size_t i, size_t end) {
  hcl_body_outline out;
  while (i < end) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      ++i;
      continue;
    }
    if (comment_starts(s, i, end)) {
      i = skip_comment(s, i, end);
      continue;
    }
    if (!is_ident_start(c)) {  // not something this outline understands: skip the line
      auto nl = s.find('\n', i);
      i = nl == std::string_view::npos || nl > end ? end : nl + 1;
      continue;
    }
    size_t name_begin = i;
    while (i < end && is_ident_char(s[i])) ++i;
    std::string name(s.substr(name_begin, i - name_begin));
    size_t j = i;
    while (j < end && is_blank(s[j])) ++j;
    if (j < end && s[j] == '=' && (j + 1 >= end || s[j + 1] != '=')) {
      size_t value_begin = j + 1;
      while (value_begin < end && is_blank(s[value_begin])) ++value_begin;
      size_t value_end = expression_end(s, value_begin, end, false);
      out.attributes.push_back({name, name_begin, value_begin, value_end});
      i = value_end;
      continue;
    }
    hcl_block_span block;
    block.type = name;
    block.begin = name_begin;
    while (j < end) {
      if (s[j] == '"') {
        size_t close = skip_string(s, j, end);
        block.labels.emplace_back(s.substr(j + 1, close > j + 1 ? close - j - 2 : 0));
        j = close;
      } else if (is_ident_start(s[j])) {
        size_t k = j;
        while (k < end && is_ident_char(s[k])) ++k;
        block.labels.emplace_back(s.substr(j, k - j));
        j = k;
      } else if (is_blank(s[j])) {
        ++j;
      } else {
        break;
      }
    }
    if (j < end && s[j] == '{') {
      size_t past = group_end(s, j, end);
      if (past == std::string_view::npos) break;  // unbalanced: nothing more to outline
      block.open_brace = j;
      block.close_brace = past - 1;
      out.blocks.push_back(block);
      i = past;
      continue;
    }
    auto nl = s.find('\n', j);
    i = nl == std::string_view::npos || nl > end ? end : nl + 1;
  }
  return out;
}

}  // namespace

const hcl_attribute_span* hcl_body_outline::attribute(std::string_view name) const {
  for (const auto& a : attributes)
    if (a.name == name) return &a;
  return nullptr;
}

const hcl_block_span* hcl_body_outline::block(std::string_view type) const {
  for (const auto& b : blocks)
    if (b.type == type) return &b;
  return nullptr;
}

hcl_body_outline outline_file(std::string_view source) {
  return outline_range(source, 0, source.size());
}

hcl_body_outline outline_block(std::string_view source, const hcl_block_span& block) {
  return outline_range(source, block.open_brace + 1, block.close_brace);
}

size_t matching_close(std::string_view source, size_t open) {
  if (open >= source.size()) return std::string_view::npos;
  char c = source[open];
  if (c != '(' && c != '[' && c != '{') return std::string_view::npos;
  size_t past = group_end(source, open, source.size());
  return past == std::string_view::npos ? past : past - 1;
}

std::optional<std::vector<std::string>> object_keys(std::string_view expression) {
  auto e = trim(expression);
  if (e.size() < 2 || e.front() != '{' || matching_close(e, 0) != e.size() - 1) return std::nullopt;
  std::vector<std::string> keys;
  size_t i = 1, end = e.size() - 1;
  while (i < end) {
    char c = e[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      ++i;
      continue;
    }
    if (comment_starts(e, i, end)) {
      i = skip_comment(e, i, end);
      continue;
    }
    size_t key_end;
    if (c == '"') {
      key_end = skip_string(e, i, end);
      keys.emplace_back(e.substr(i + 1, key_end - i - 2));
    } else if (is_ident_start(c)) {
      key_end = i;
      while (key_end < end && is_ident_char(e[key_end])) ++key_end;
      keys.emplace_back(e.substr(i, key_end - i));
    } else if (c == '(') {
      key_end = skip_group(e, i, end);
      keys.emplace_back(e.substr(i, key_end - i));
    } else {
      return std::nullopt;
    }
    i = key_end;
    while (i < end && is_blank(e[i])) ++i;
    if (i >= end || (e[i] != '=' && e[i] != ':')) return std::nullopt;
    i = expression_end(e, i + 1, end, true);
  }
  return keys;
}

std::optional<std::vector<std::string>> call_arguments(std::string_view expression,
                                                       std::string_view name) {
  auto e = trim(expression);
  if (e.substr(0, name.size()) != name) return std::nullopt;
  size_t open = name.size();
  while (open < e.size() && is_blank(e[open])) ++open;
  if (open >= e.size() || e[open] != '(' || matching_close(e, open) != e.size() - 1)
    return std::nullopt;
  std::vector<std::string> args;
  size_t i = open + 1, end = e.size() - 1, arg_begin = i;
  while (i < end) {
    char c = e[i];
    if (c == '"') {
      i = skip_string(e, i, end);
    } else if (c == '(' || c == '[' || c == '{') {
      i = skip_group(e, i, end);
    } else if (comment_starts(e, i, end)) {
      i = skip_comment(e, i, end);
    } else if (c == ',') {
      args.emplace_back(trim(e.substr(arg_begin, i - arg_begin)));
      arg_begin = ++i;
    } else {
      ++i;
    }
  }
  auto last = trim(e.substr(arg_begin, end - arg_begin));
  if (!last.empty()) args.emplace_back(last);
  return args;
}

std::string insert_before_close(std::string_view source, size_t open_brace, size_t close_brace,
                                std::string_view lines) {
  std::string outer_indent(line_indent(source, open_brace));
  std::string indent = outer_indent + "  ";
  std::string indented;
  size_t pos = 0;
  while (pos < lines.size()) {
    auto nl = lines.find('\n', pos);
    auto line = lines.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!trim(line).empty()) indented += indent;
    indented.append(line);
    indented += '\n';
    pos = nl == std::string_view::npos ? lines.size() : nl + 1;
  }
  std::string out;
  auto inner = source.substr(open_brace + 1, close_brace - open_brace - 1);
  if (inner.find('\n') == std::string_view::npos) {  // a one-line body: open it up
    out.append(source.substr(0, open_brace + 1));
    out += '\n';
    if (!trim(inner).empty()) {
      out += indent;
      out.append(trim(inner));
      out += '\n';
    }
    out += indented;
    out += outer_indent;
    out.append(source.substr(close_brace));
    return out;
  }
  size_t line_start = source.rfind('\n', close_brace - 1) + 1;
  if (!trim(source.substr(line_start, close_brace - line_start)).empty()) {
    // the last item shares its line with the closing brace
    out.append(source.substr(0, close_brace));
    out += '\n';
    out += indented;
    out += outer_indent;
    out.append(source.substr(close_brace));
    return out;
  }
  out.append(source.substr(0, line_start));
  out += indented;
  out.append(source.substr(line_start));
  return out;
}

std::string indentation_at(std::string_view source, size_t pos) {
  return std::string(line_indent(source, pos));
}

std::string replace_value(std::string_view source, const hcl_attribute_span& attribute,
                          std::string_view value) {
  std::string out(source.substr(0, attribute.value_begin));
  out.append(value);
  out.append(source.substr(attribute.value_end));
  return out;
}

std::string append_block(std::string_view source, std::string_view block) {
  std::string out(source);
  while (!out.empty() && (out.back() == '\n' || is_blank(out.back()))) out.pop_back();
  if (!out.empty()) out += "\n\n";
  out.append(block);
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

std::string resource_address(const hcl_block_span& block) {
  if (block.type != "resource" || block.labels.size() != 2) return {};
  return block.labels[0] + "." + block.labels[1];
}

bool references(std::string_view expression, std::string_view address) {
  for (size_t at = expression.find(address); at != std::string_view::npos;
       at = expression.find(address, at + 1)) {
    bool starts = at == 0 || !(is_ident_char(expression[at - 1]) || expression[at - 1] == '.');
    size_t after = at + address.size();
    bool ends = after >= expression.size() || !is_ident_char(expression[after]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace ce::executor
