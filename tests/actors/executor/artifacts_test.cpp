#include "actors/executor/artifacts.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.hpp"

using namespace ce;
using namespace ce::executor;
using ce::testing::temp_dir;

namespace {

void write_plain(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

workspace_file text_file(const std::string& content) {
  return make_file(artifact_type::terraform, shared<std::string>(content));
}

}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 test vectors", "[artifacts]") {
  // FIPS 180-2, appendix B.1 ("abc") and the digest of the empty message.
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a file keeps a checksum given for its bytes and computes a missing one", "[artifacts]") {
  CHECK(text_file("abc").checksum == sha256_hex("abc"));
  auto given = make_file(artifact_type::terraform, shared<std::string>("abc"), "known");
  CHECK(given.checksum == "known");  // a memoized rendering's sha256 is not computed again
}

TEST_CASE("an artifact record carries the file's size, checksum, type and workspace path",
          "[artifacts]") {
  auto file = text_file("resource \"aws_vpc\" \"main\" {}\n");
  auto a = artifact_record("/data/artifacts/task_1", "vpc.tf", file, "art_1", 1700000000000);
  CHECK(a.id == "art_1");
  CHECK(a.name == "vpc.tf");
  CHECK(a.type == artifact_type::terraform);
  CHECK(a.size == static_cast<int64_t>(file.bytes->size()));
  CHECK(a.checksum == file.checksum);
  CHECK(a.path == "/data/artifacts/task_1/vpc.tf");
  CHECK(a.created_at == 1700000000000);
}

TEST_CASE("a file name that could leave the workspace is refused", "[artifacts]") {
  auto file = text_file("x");
  CHECK_THROWS_AS(artifact_record("/w", "../escape.tf", file, "a", 1), std::invalid_argument);
  CHECK_THROWS_AS(artifact_record("/w", "", file, "a", 1), std::invalid_argument);
  CHECK_THROWS_AS(artifact_record("/w", "..", file, "a", 1), std::invalid_argument);
}

TEST_CASE("a workspace written to disk holds every file and no temporary file", "[artifacts]") {
  temp_dir tmp;
  const std::string dir = tmp / "artifacts/task_1";
  workspace files{{"main.tf", text_file("old")}, {"README.md", text_file("docs")}};
  write_workspace(files, dir);
  files["main.tf"] = text_file("new");
  write_workspace(files, dir);  // a rewrite replaces the file
  CHECK(read_file(dir + "/main.tf") == "new");
  CHECK(read_file(dir + "/README.md") == "docs");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  CHECK(entries == 2);
}

TEST_CASE("write_file names the path and the reason when it cannot write", "[artifacts]") {
  temp_dir tmp;
  write_plain(tmp / "not_a_dir", "plain file");
  const std::string impossible = tmp / "not_a_dir/sub";
  try {
    write_file(impossible, "vpc.tf", "x");
    FAIL("write_file should have thrown");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(impossible));
  }
  CHECK_THROWS_AS(write_file(tmp.path(), "../escape.tf", "x"), std::runtime_error);
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

TEST_CASE("an artifact an older node kept on disk is read back only with its recorded bytes",
          "[artifacts][legacy]") {
  temp_dir tmp;
  const std::string dir = tmp / "artifacts/task_1";
  const std::string blobs = tmp / "artifacts/.blobs";
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(blobs);
  std::filesystem::create_directories(dir + "/.versions");
  artifact a;
  a.name = "main.tf";
  a.path = dir + "/main.tf";
  a.checksum = sha256_hex("recorded");

  SECTION("the file itself") {
    write_plain(a.path, "recorded");
    CHECK(read_file_artifact(a, blobs) == std::optional<std::string>("recorded"));
  }
  SECTION("its blob, when the file was rewritten later") {
    write_plain(a.path, "half-new");
    write_plain(blobs + "/" + a.checksum, "recorded");
    CHECK(read_file_artifact(a, blobs) == std::optional<std::string>("recorded"));
  }
  SECTION("its kept version, from before blobs") {
    write_plain(dir + "/.versions/" + a.checksum, "recorded");
    CHECK(read_file_artifact(a, blobs) == std::optional<std::string>("recorded"));
  }
  SECTION("nothing when every copy is gone or altered") {
    write_plain(a.path, "edited");
    write_plain(blobs + "/" + a.checksum, "edited too");
    CHECK_FALSE(read_file_artifact(a, blobs).has_value());
  }
}

TEST_CASE("a workspace holds an artifact only with the bytes it recorded", "[artifacts]") {
  workspace files{{"vpc.tf", text_file("v1")}, {"README.md", text_file("docs")}};
  artifact a;
  a.name = "vpc.tf";
  a.checksum = sha256_hex("v1");
  CHECK(holds(files, a));
  files["vpc.tf"] = text_file("v2");  // a later step rewrote it
  CHECK_FALSE(holds(files, a));
  a.name = "eks.tf";
  CHECK_FALSE(holds(files, a));
}

TEST_CASE("terraform_files lists the .tf files of a workspace by name", "[artifacts]") {
  workspace files{{"vpc.tf", text_file("b")},
                  {"eks.tf", text_file("a")},
                  {"README.md", text_file("docs")},
                  {"terraform.tfstate.json", text_file("{}")}};
  auto tf = terraform_files(files);
  REQUIRE(tf.size() == 2);
  CHECK(tf[0] == std::make_pair(std::string("eks.tf"), std::string("a")));
  CHECK(tf[1] == std::make_pair(std::string("vpc.tf"), std::string("b")));
}
