#include "actors/executor/rendering.hpp"

#include <stdexcept>

#include "actors/executor/artifacts.hpp"
#include "actors/executor/memo.hpp"

namespace ce::executor {

namespace {

// Entries kept per memo. A task makes a handful of each, so these hold the recent tasks'
// distinct inputs while bounding what distinct tasks can pin in memory: about 5 MiB for
// rendered files (a few KiB each), 10 MiB for checks (keyed by the text), and 5 MiB for
// modules and best-practice outcomes (keyed by every file of a task).
constexpr std::size_t rendered_entries = 512;
constexpr std::size_t checked_entries = 512;
constexpr std::size_t module_entries = 64;

/// Everything of a task's context that rendering reads. The requirements' text decides
/// the parsed requirements, so it stands for them.
std::string context_key(const task_context& context) {
  std::string key;
  key.reserve(64 + context.requirements.text.size());
  key += to_string(context.provider);
  key += '\x1f';
  key += context.environment;
  key += '\x1f';
  key += context.region;
  key += '\x1f';
  for (const auto& c : context.components) {
    key += c;
    key += ',';
  }
  key += '\x1f';
  key += context.requirements.text;
  return key;
}

/// The .tf files of a workspace by name and sha256: the same key is the same bytes.
std::string files_key(const workspace& files) {
  std::string key;
  key.reserve(files.size() * 80);
  for (const auto& [name, file] : files) {
    if (name.size() <= 3 || name.compare(name.size() - 3, 3, ".tf") != 0) continue;
    key += name;
    key += '\x1e';
    key += file.checksum;
    key += '\x1d';
  }
  return key;
}

template <class Render>
checked_file check_rendered(Render&& render) {
  checked_file out;
  try {
    out.file = render();
  } catch (const std::invalid_argument& refused) {
    out.refused = refused.what();
    return out;
  }
  out.checksum = sha256_hex(out.file.content);
  out.report = check_hcl(out.file.content);
  return out;
}

bounded_memo<checked_file>& rendered_memo() {
  static bounded_memo<checked_file> memo(rendered_entries);
  return memo;
}

}  // namespace

checked_file_ptr render_checked_component(cloud_provider provider, std::string_view component,
                                          const task_context& context, const requirements& req) {
  if (!has_template(provider, component))  // not memoized: an unknown component is a bug
    return std::make_shared<const checked_file>(
        check_rendered([&] { return render_component(provider, component, context, req); }));
  std::string key = "component\x1f" + std::string(component) + '\x1f' + context_key(context);
  return rendered_memo().get_or_make(key, [&] {
    return check_rendered([&] { return render_component(provider, component, context, req); });
  });
}

checked_file_ptr render_checked_root_module(const task_context& context, const requirements& req) {
  return rendered_memo().get_or_make("main.tf\x1f" + context_key(context), [&] {
    return check_rendered([&] { return render_root_module(context, req); });
  });
}

checked_file_ptr render_checked_outputs(const task_context& context, const requirements& req) {
  return rendered_memo().get_or_make("outputs.tf\x1f" + context_key(context), [&] {
    return check_rendered([&] { return render_outputs(context, req); });
  });
}

std::string module_key(const workspace& files, const task_context& context) {
  return context_key(context) + '\x1c' + files_key(files);
}

workspace_file workspace_file_of(const checked_file_ptr& rendered) {
  return {
      rendered->file.type,
      shared<std::string>(std::shared_ptr<const std::string>(rendered, &rendered->file.content)),
      rendered->checksum};
}

std::shared_ptr<const hcl_file_report> checked_hcl(const workspace_file& file) {
  static bounded_memo<hcl_file_report> memo(checked_entries);
  return memo.get_or_make(file.checksum, [&] { return check_hcl(*file.bytes); });
}

std::shared_ptr<const hcl_set_report> checked_module(const workspace& files) {
  static bounded_memo<hcl_set_report> memo(module_entries);
  return memo.get_or_make(files_key(files), [&] { return check_module(terraform_files(files)); });
}

std::shared_ptr<const checked_practices> checked_best_practices(const workspace& files,
                                                                const task_context& context,
                                                                const requirements& req) {
  static bounded_memo<checked_practices> memo(module_entries);
  return memo.get_or_make(module_key(files, context), [&] {
    checked_practices out;
    out.outcome = apply_best_practices(terraform_files(files), context, req);
    for (const auto& f : out.outcome.changed_files)
      out.changed[f.name] = {f.type, shared<std::string>(f.content), sha256_hex(f.content)};
    return out;
  });
}

}  // namespace ce::executor
