#include "net/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>

namespace ce::net {

namespace {

la_ssize_t append_to_string(struct archive*, void* out, const void* bytes, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(bytes), size);
  return static_cast<la_ssize_t>(size);
}

}  // namespace

std::string tar_gz(const std::string& folder, const std::vector<artifact_download>& files) {
  std::string out;
  std::unique_ptr<struct archive, decltype(&archive_write_free)> writer(archive_write_new(),
                                                                        &archive_write_free);
  auto* a = writer.get();
  auto fail = [a](const char* what) {
    throw std::runtime_error(std::string("cannot write the archive: ") + what + ": " +
                             (archive_error_string(a) ? archive_error_string(a) : "unknown"));
  };
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK) fail("format");
  if (archive_write_add_filter_gzip(a) != ARCHIVE_OK) fail("gzip");
  // No block padding past the end: the answer is exactly the archive.
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open(a, &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK) fail("open");
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                      &archive_entry_free);
  for (const auto& file : files) {
    archive_entry_clear(entry.get());
    archive_entry_set_pathname(entry.get(), (folder + "/" + file.meta.name).c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(file.bytes->size()));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), file.meta.created_at / 1000,
                            (file.meta.created_at % 1000) * 1000000);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) fail(file.meta.name.c_str());
    if (archive_write_data(a, file.bytes->data(), file.bytes->size()) < 0)
      fail(file.meta.name.c_str());
  }
  if (archive_write_close(a) != ARCHIVE_OK) fail("close");
  return out;
}

}  // namespace ce::net
