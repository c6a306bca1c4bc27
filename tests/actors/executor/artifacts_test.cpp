#include "actors/executor/artifacts.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/actors/executor/temp_dir.hpp"

using namespace ce;
using namespace ce::executor;
using ce::executor::testing::temp_dir;

namespace {

void write_plain(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 test vectors", "[artifacts]") {
  // FIPS 180-2, appendix B.1 ("abc") and the digest of the empty message.
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("write_artifact creates the directory and records size, checksum and path",
          "[artifacts]") {
  temp_dir tmp;
  const std::string dir = tmp / "artifacts/task_1";
  rendered_file file{"vpc.tf", artifact_type::terraform, "resource \"aws_vpc\" \"main\" {}\n"};
  auto a = write_artifact(dir, file, "art_1", 1700000000000);

  CHECK(a.id == "art_1");
  CHECK(a.name == "vpc.tf");
  CHECK(a.type == artifact_type::terraform);
  CHECK(std::filesystem::path(a.path).is_absolute());
  CHECK(std::filesystem::equivalent(a.path, dir + "/vpc.tf"));
  CHECK(a.size == static_cast<int64_t>(file.content.size()));
  CHECK(a.checksum == sha256_hex(file.content));
  CHECK(a.created_at == 1700000000000);
  CHECK(read_file(a.path) == file.content);
  CHECK(artifact_intact(a));
}

TEST_CASE("rewriting an artifact replaces it and leaves no temporary file behind", "[artifacts]") {
  temp_dir tmp;
  write_artifact(tmp.path(), {"main.tf", artifact_type::terraform, "old"}, "art_1", 1);
  auto second =
      write_artifact(tmp.path(), {"main.tf", artifact_type::terraform, "new"}, "art_2", 2);

  CHECK(read_file(second.path) == "new");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
    if (e.is_regular_file()) ++files;
  CHECK(files == 1);
}

TEST_CASE("restore_artifact puts back the recorded bytes a later rewrite replaced", "[artifacts]") {
  temp_dir tmp;
  auto first = write_artifact(tmp.path(), {"main.tf", artifact_type::terraform, "old"}, "a1", 1);
  // A rewrite that was never recorded (the step was killed before it completed).
  write_artifact(tmp.path(), {"main.tf", artifact_type::terraform, "half-new"}, "a2", 2);
  REQUIRE_FALSE(artifact_intact(first));
  CHECK(restore_artifact(first));
  CHECK(read_file(first.path) == "old");
  CHECK(artifact_intact(first));

  // A deleted file comes back the same way.
  std::filesystem::remove(first.path);
  CHECK(restore_artifact(first));
  CHECK(read_file(first.path) == "old");
}

TEST_CASE("restore_artifact fails when the kept version is gone or altered", "[artifacts]") {
  temp_dir tmp;
  auto a = write_artifact(tmp.path(), {"rds.tf", artifact_type::terraform, "x = 1\n"}, "a", 1);
  write_plain(a.path, "x = 2\n");
  auto kept = tmp / (".versions/" + a.checksum);
  REQUIRE(std::filesystem::exists(kept));
  // The kept version shares the file's inode only until the file is replaced:
  // write_plain rewrote in place, so both now hold "x = 2".
  CHECK_FALSE(restore_artifact(a));
  std::filesystem::remove(kept);
  std::filesystem::remove(a.path);
  CHECK_FALSE(restore_artifact(a));
}

TEST_CASE("an artifact whose file changed or vanished is not intact", "[artifacts]") {
  temp_dir tmp;
  auto a = write_artifact(tmp.path(), {"rds.tf", artifact_type::terraform, "x = 1\n"}, "a", 1);
  REQUIRE(artifact_intact(a));
  write_plain(a.path, "x = 2\n");
  CHECK_FALSE(artifact_intact(a));
  std::filesystem::remove(a.path);
  CHECK_FALSE(artifact_intact(a));
}

TEST_CASE("write_artifact names the path and the reason when it cannot write", "[artifacts]") {
  temp_dir tmp;
  write_plain(tmp / "not_a_dir", "plain file");
  const std::string impossible = tmp / "not_a_dir/sub";
  try {
    write_artifact(impossible, {"vpc.tf", artifact_type::terraform, "x"}, "a", 1);
    FAIL("write_artifact should have thrown");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(impossible));
  }
  CHECK_THROWS_AS(
      write_artifact(tmp.path(), {"../escape.tf", artifact_type::terraform, "x"}, "a", 1),
      std::runtime_error);
}

TEST_CASE("read_terraform_files returns only .tf files, sorted by name", "[artifacts]") {
  temp_dir tmp;
  write_plain(tmp / "vpc.tf", "b");
  write_plain(tmp / "eks.tf", "a");
  write_plain(tmp / "README.md", "docs");
  write_plain(tmp / "terraform.tfstate.json", "{}");
  auto files = read_terraform_files(tmp.path());
  REQUIRE(files.size() == 2);
  CHECK(files[0] == std::make_pair(std::string("eks.tf"), std::string("a")));
  CHECK(files[1] == std::make_pair(std::string("vpc.tf"), std::string("b")));
  CHECK(read_terraform_files(tmp / "missing").empty());
}

TEST_CASE("with a blob dir, identical bytes of two tasks are one read-only file",
          "[artifacts][blobs]") {
  temp_dir tmp;
  const std::string blobs = tmp / "artifacts/.blobs";
  rendered_file file{"vpc.tf", artifact_type::terraform, "resource \"aws_vpc\" \"main\" {}\n"};
  auto a = write_artifact(tmp / "artifacts/task_1", file, "art_1", 1, {}, blobs);
  auto b = write_artifact(tmp / "artifacts/task_2", file, "art_2", 2, {}, blobs);
  CHECK(a.checksum == sha256_hex(file.content));
  CHECK(b.checksum == a.checksum);
  CHECK(read_file(a.path) == file.content);
  CHECK(read_file(b.path) == file.content);
  // Both workspace files are the blob itself (hard links), and the blob is read-only.
  CHECK(std::filesystem::equivalent(a.path, b.path));
  CHECK(std::filesystem::equivalent(a.path, blobs + "/" + a.checksum));
  auto perms = std::filesystem::status(blobs + "/" + a.checksum).permissions();
  CHECK((perms & std::filesystem::perms::owner_write) == std::filesystem::perms::none);
  CHECK(artifact_intact(a));
  CHECK(artifact_intact(b));
}

TEST_CASE("with a blob dir, a rewrite replaces the link and leaves other tasks' bytes alone",
          "[artifacts][blobs]") {
  temp_dir tmp;
  const std::string blobs = tmp / "artifacts/.blobs";
  rendered_file first{"vpc.tf", artifact_type::terraform, "first\n"};
  rendered_file second{"vpc.tf", artifact_type::terraform, "second\n"};
  auto mine = write_artifact(tmp / "artifacts/task_1", first, "art_1", 1, {}, blobs);
  auto theirs = write_artifact(tmp / "artifacts/task_2", first, "art_2", 2, {}, blobs);
  auto rewritten = write_artifact(tmp / "artifacts/task_1", second, "art_3", 3, {}, blobs);
  CHECK(read_file(rewritten.path) == "second\n");
  CHECK(read_file(theirs.path) == "first\n");
  CHECK_FALSE(artifact_intact(mine));  // task_1's vpc.tf is the new version now
  CHECK(artifact_intact(theirs));
  for (const auto& entry : std::filesystem::directory_iterator(tmp / "artifacts/task_1"))
    CHECK(entry.path().filename() == "vpc.tf");  // no temporary link left behind

  // Recovery puts the recorded bytes back from the blob.
  CHECK(restore_artifact(mine, blobs));
  CHECK(read_file(mine.path) == "first\n");
  CHECK(artifact_intact(mine));
  std::filesystem::remove(theirs.path);
  CHECK(restore_artifact(theirs, blobs));
  CHECK(read_file(theirs.path) == "first\n");
}

TEST_CASE("with a blob dir, restore fails when the blob is gone", "[artifacts][blobs]") {
  temp_dir tmp;
  const std::string blobs = tmp / "artifacts/.blobs";
  rendered_file file{"eks.tf", artifact_type::terraform, "eks\n"};
  auto a = write_artifact(tmp / "artifacts/task_1", file, "art_1", 1, {}, blobs);
  std::filesystem::remove(a.path);
  std::filesystem::remove(blobs + "/" + a.checksum);
  CHECK_FALSE(restore_artifact(a, blobs));
  CHECK_FALSE(std::filesystem::exists(a.path));
}

TEST_CASE("many tasks writing the same new bytes at once all succeed", "[artifacts][blobs]") {
  // The first writers of a blob race to create the blob dir and the blob itself.
  for (int round = 0; round < 20; ++round) {
    temp_dir tmp;
    const std::string blobs = tmp / "artifacts/.blobs";
    rendered_file file{"s3.tf", artifact_type::terraform, "bucket " + std::to_string(round)};
    std::vector<std::thread> writers;
    std::atomic<int> failed{0};
    std::mutex guard;
    std::string why;
    std::vector<artifact> written(8);
    for (int t = 0; t < 8; ++t)
      writers.emplace_back([&, t] {
        try {
          written[t] = write_artifact(tmp / ("artifacts/task_" + std::to_string(t)), file,
                                      "art_" + std::to_string(t), 1, {}, blobs);
        } catch (const std::exception& e) {
          ++failed;
          std::lock_guard<std::mutex> lock(guard);
          why = e.what();
        }
      });
    for (auto& w : writers) w.join();
    INFO(why);
    REQUIRE(failed == 0);
    for (const auto& a : written) CHECK(artifact_intact(a));
  }
}
