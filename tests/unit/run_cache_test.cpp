// The run cache's pieces without processes: parsing `fusion run`, keys, manifests, the hash.
#include "launcher/run_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace fusion::launcher {
namespace {

auto Parse(std::vector<std::string> args, RunRequest& req) -> bool {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseRunArgs(static_cast<int>(argv.size()), argv.data(), req);
}

TEST(RunCache, ParsesRunAsTheCompilerDoes) {
  RunRequest req;
  ASSERT_TRUE(Parse({"fusion", "run", "-O1", "-g", "-Iinc", "-L", "libs", "--device", "cpu", "--gpu-arch", "sm_90",
                     "prog.fu", "-O3", "--help", "x"},
                    req));
  EXPECT_EQ(req.input, "prog.fu");
  EXPECT_EQ(req.opt, 1);
  EXPECT_TRUE(req.debug_full);
  EXPECT_EQ(req.include_dirs, std::vector<std::string>{"inc"});
  EXPECT_EQ(req.library_dirs, std::vector<std::string>{"libs"});
  EXPECT_EQ(req.device, "cpu");
  EXPECT_EQ(req.gpu_arch, "sm_90");
  EXPECT_EQ(req.program_args, (std::vector<std::string>{"-O3", "--help", "x"}));
}

TEST(RunCache, LeavesWhatItCannotKeyToTheCompiler) {
  RunRequest req;
  EXPECT_FALSE(Parse({"fusion", "build", "prog.fu"}, req));
  EXPECT_FALSE(Parse({"fusion", "run"}, req));
  EXPECT_FALSE(Parse({"fusion", "run", "--frob", "prog.fu"}, req));
  EXPECT_FALSE(Parse({"fusion", "run", "-o", "x", "prog.fu"}, req));
  EXPECT_FALSE(Parse({"fusion", "run", "--device", "gpu", "prog.fu"}, req));
  EXPECT_FALSE(Parse({"fusion", "run", "--device"}, req));
}

TEST(RunCache, KeysDifferByOptionAndPath) {
  setenv("FUSION_CACHE", "/tmp/fusion-unit-cache", 1);
  RunRequest a, b;
  ASSERT_TRUE(Parse({"fusion", "run", "prog.fu"}, a));
  ASSERT_TRUE(Parse({"fusion", "run", "-O0", "prog.fu"}, b));
  std::string self = "/proc/self/exe";
  std::string ka = EntryDir(a, self);
  EXPECT_EQ(ka.rfind("/tmp/fusion-unit-cache/run/", 0), 0u);
  EXPECT_EQ(ka, EntryDir(a, self));
  EXPECT_NE(ka, EntryDir(b, self));
  setenv("FUSION_PATH", "/x", 1);
  EXPECT_NE(ka, EntryDir(a, self));
  unsetenv("FUSION_PATH");
  setenv("FUSION_CACHE", "off", 1);
  EXPECT_EQ(EntryDir(a, self), "");
  unsetenv("FUSION_CACHE");
}

TEST(RunCache, ManifestRoundTripsAndRejectsDamage) {
  Manifest m;
  m.exe = "exe-1-2";
  m.exe_hash = HashBytes("binary");
  m.files = {{"/src/main.fu", HashBytes("print(1)")}, {"/src/dir with space/lib.fu", HashBytes("")}};
  m.absent = {"/src/lib.fu"};
  std::string text = FormatManifest(m);
  Manifest back;
  ASSERT_TRUE(ParseManifest(text, back));
  EXPECT_EQ(back.exe, m.exe);
  EXPECT_EQ(back.exe_hash, m.exe_hash);
  ASSERT_EQ(back.files.size(), 2u);
  EXPECT_EQ(back.files[1].path, "/src/dir with space/lib.fu");
  EXPECT_EQ(back.absent, m.absent);
  EXPECT_FALSE(ParseManifest(text.substr(0, text.size() - 5), back));  // truncated
  std::string flipped = text;
  flipped[text.find("main")] = 'M';
  EXPECT_FALSE(ParseManifest(flipped, back));
  EXPECT_FALSE(ParseManifest("", back));
}

TEST(RunCache, HashSeesEveryByteAndLength) {
  EXPECT_NE(HashBytes("a"), HashBytes("b"));
  EXPECT_NE(HashBytes("abc"), HashBytes(std::string("abc\0", 4)));
  EXPECT_NE(HashBytes("0123456789abcdef"), HashBytes("0123456789abcdeF"));
  Hasher x, y;
  x.AddString("ab");
  x.AddString("c");
  y.AddString("a");
  y.AddString("bc");
  EXPECT_NE(x.Hex(), y.Hex());
  EXPECT_EQ(HashBytes("same").size(), 32u);
}

}  // namespace
}  // namespace fusion::launcher
