// The cache of `fusion run` (see run_cache.h): keys, manifests, lookup, locking, publishing.
#include "launcher/run_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>

namespace fusion::launcher {

namespace {

constexpr const char* kManifestFormat = "fusion-run-cache 1";

auto Rotl(uint64_t x, int r) -> uint64_t { return (x << r) | (x >> (64 - r)); }

auto Mix(uint64_t h) -> uint64_t {  // MurmurHash3's finalizer
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

auto ReadWholeFile(const std::string& path, std::string& out) -> bool {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

auto WriteWholeFile(const std::string& path, const std::string& text) -> bool {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return close(fd) == 0;
}

// The host CPU, since the compiler generates code for it (`fusion run` compiles for the native
// CPU, as the JIT does): a cache directory shared between machines must not mix their entries.
void AddHostCpu(Hasher& h) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned leaves[][2] = {{0, 0}, {1, 0}, {7, 0}, {0x80000001u, 0}};
  for (auto& leaf : leaves) {
    unsigned regs[4] = {0, 0, 0, 0};
    __cpuid_count(leaf[0], leaf[1], regs[0], regs[1], regs[2], regs[3]);
    if (leaf[0] == 1) regs[1] = 0;  // EBX of leaf 1 holds the core's APIC id
    h.Add(regs, sizeof regs);
  }
#else
  std::string info;
  if (ReadWholeFile("/proc/cpuinfo", info)) {
    std::istringstream in(info);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) break;  // the first processor only
      if (line.rfind("cpu MHz", 0) == 0 || line.rfind("BogoMIPS", 0) == 0 || line.rfind("processor", 0) == 0) continue;
      h.AddString(line);
    }
  }
#endif
}

auto IsOn(const char* name) -> bool {
  const char* v = std::getenv(name);
  return v && std::strcmp(v, "1") == 0;
}

}  // namespace

void Hasher::Add(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  length_ += size;
  while (size > 0) {
    uint64_t w = 0;
    size_t n = size < 8 ? size : 8;
    std::memcpy(&w, p, n);
    if (n < 8) w ^= static_cast<uint64_t>(n) << 59;  // a short tail differs from zero bytes
    a_ = Rotl(a_ ^ (w * 0x87C37B91114253D5ull), 31) * 0x4CF5AD432745937Full;
    b_ = Rotl(b_ + (w * 0x52DCE729ull) + a_, 27) * 0x9E3779B97F4A7C15ull + 0x38495AB5ull;
    p += n;
    size -= n;
  }
}

void Hasher::AddString(const std::string& s) {
  uint64_t n = s.size();
  Add(&n, sizeof n);
  Add(s.data(), s.size());
}

auto Hasher::Hex() const -> std::string {
  uint64_t x = Mix(a_ ^ length_), y = Mix(b_ + Rotl(a_, 17) + length_);
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(x), static_cast<unsigned long long>(y));
  return buf;
}

auto HashBytes(const std::string& bytes) -> std::string {
  Hasher h;
  h.Add(bytes.data(), bytes.size());
  return h.Hex();
}

auto ParseRunArgs(int argc, char** argv, RunRequest& req) -> bool {
  if (argc < 3 || std::strcmp(argv[1], "run") != 0) return false;
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (!req.input.empty()) {
      req.program_args.push_back(a);  // everything after the file belongs to the program
      continue;
    }
    if (a.size() == 3 && a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3') {
      req.opt = a[2] - '0';
    } else if (a == "-g") {
      req.debug_full = true;
    } else if (a == "--check-kernels") {
      req.check_kernels = true;
    } else if (a == "--gpu-arch" || a == "--device" || a == "-I" || a == "-L") {
      if (i + 1 >= argc) return false;
      std::string value = argv[++i];
      if (a == "--gpu-arch") req.gpu_arch = value;
      else if (a == "--device") {
        if (value != "cpu" && value != "cuda" && value != "auto" && value != "check") return false;
        req.device = value;
      } else (a == "-I" ? req.include_dirs : req.library_dirs).push_back(value);
    } else if ((a.rfind("-I", 0) == 0 || a.rfind("-L", 0) == 0) && a.size() > 2) {
      (a[1] == 'I' ? req.include_dirs : req.library_dirs).push_back(a.substr(2));
    } else if (a.size() > 1 && a[0] == '-') {
      return false;  // -o, --help, emit kinds, unknown options: the compiler's business
    } else {
      req.input = a;
    }
  }
  return !req.input.empty();
}

auto RunCacheDir() -> std::string {
  // As rt_cache_dir (runtime/src/core/cache.c), the kernel cache's: off or 0, on or 1, or DIR.
  const char* env = std::getenv("FUSION_CACHE");
  if (env && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0)) return "";
  if (env && *env && std::strcmp(env, "on") != 0 && std::strcmp(env, "1") != 0) return std::string(env) + "/run";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/fusion/run";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/fusion/run";
  return "";
}

auto EntryDir(const RunRequest& req, const std::string& compiler_path) -> std::string {
  std::string dir = RunCacheDir();
  if (dir.empty()) return "";
  struct stat st;
  if (stat(compiler_path.c_str(), &st) != 0) return "";
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return "";
  Hasher h;
  h.AddString(kManifestFormat);
  h.AddString(FUSION_VERSION);
  // The compiler's identity: any rebuild (and so any change to the runtime linked into it) changes it.
  uint64_t id[] = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                   static_cast<uint64_t>(st.st_mtim.tv_sec), static_cast<uint64_t>(st.st_mtim.tv_nsec)};
  h.Add(id, sizeof id);
  h.AddString(cwd);  // relative paths (the input, -I, -L, imports) are relative to it
  h.AddString(req.input);
  int flags[] = {req.opt, req.debug_full, req.check_kernels};
  h.Add(flags, sizeof flags);
  h.AddString(req.gpu_arch);
  h.AddString("-I");
  for (const std::string& d : req.include_dirs) h.AddString(d);
  h.AddString("-L");
  for (const std::string& d : req.library_dirs) h.AddString(d);
  // FUSION_PATH decides where imports are looked for (unset differs from empty).
  const char* path = std::getenv("FUSION_PATH");
  h.AddString(path ? std::string("=") + path : "unset");
  AddHostCpu(h);
  return dir + "/" + h.Hex();
}

auto FormatManifest(const Manifest& m) -> std::string {
  std::string body = std::string(kManifestFormat) + "\n";
  body += "exe " + m.exe_hash + " " + m.exe + "\n";
  for (const Manifest::File& f : m.files) body += "file " + f.hash + " " + f.path + "\n";
  for (const std::string& a : m.absent) body += "absent " + a + "\n";
  return body + "end " + HashBytes(body) + "\n";
}

auto ParseManifest(const std::string& text, Manifest& m) -> bool {
  m = Manifest{};
  size_t end = text.rfind("end ");
  if (end == std::string::npos || (end > 0 && text[end - 1] != '\n')) return false;
  std::string body = text.substr(0, end);
  if (text.substr(end) != "end " + HashBytes(body) + "\n") return false;
  std::istringstream in(body);
  std::string line;
  if (!std::getline(in, line) || line != kManifestFormat) return false;
  while (std::getline(in, line)) {
    auto hash_and_path = [&](size_t from, std::string& hash, std::string& path) {
      size_t sp = line.find(' ', from);
      if (sp == std::string::npos) return false;
      hash = line.substr(from, sp - from);
      path = line.substr(sp + 1);
      return hash.size() == 32 && !path.empty();
    };
    if (line.rfind("exe ", 0) == 0) {
      if (!hash_and_path(4, m.exe_hash, m.exe) || m.exe.find('/') != std::string::npos) return false;
    } else if (line.rfind("file ", 0) == 0) {
      Manifest::File f;
      if (!hash_and_path(5, f.hash, f.path)) return false;
      m.files.push_back(std::move(f));
    } else if (line.rfind("absent ", 0) == 0) {
      m.absent.push_back(line.substr(7));
    } else {
      return false;
    }
  }
  return !m.exe.empty() && !m.files.empty();
}

auto Lookup(const std::string& entry_dir, std::string& why) -> std::string {
  std::string text;
  if (!ReadWholeFile(entry_dir + "/manifest", text)) {
    why = "no entry";
    return "";
  }
  Manifest m;
  if (!ParseManifest(text, m)) {
    why = "corrupt manifest";
    return "";
  }
  std::string bytes;
  for (const Manifest::File& f : m.files) {
    if (!ReadWholeFile(f.path, bytes) || HashBytes(bytes) != f.hash) {
      why = "`" + f.path + "` changed";
      return "";
    }
  }
  for (const std::string& a : m.absent) {
    struct stat st;
    if (stat(a.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      why = "`" + a + "` appeared";
      return "";
    }
  }
  std::string exe = entry_dir + "/" + m.exe;
  if (!ReadWholeFile(exe, bytes) || HashBytes(bytes) != m.exe_hash) {
    why = "corrupt executable";
    return "";
  }
  return exe;
}

auto TryLockEntry(const std::string& entry_dir) -> int {
  // DIR/run/KEY: make each level (mkdir -p), the user's alone.
  for (size_t i = 1; i <= entry_dir.size(); i++)
    if (i == entry_dir.size() || entry_dir[i] == '/') mkdir(entry_dir.substr(0, i).c_str(), 0700);
  int fd = open((entry_dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

auto WaitForStore(const std::string& entry_dir, int max_ms) -> bool {
  int fd = open((entry_dir + "/lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool waited = false;
  for (int ms = 0; ms < max_ms; ms += 2) {
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) break;
    waited = true;
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  close(fd);
  return waited;
}

auto Commit(const std::string& entry_dir, const std::string& exe_tmp, Manifest m, std::string& error) -> bool {
  std::string bytes;
  if (!ReadWholeFile(exe_tmp, bytes)) {
    error = "cannot read the linked executable";
    return false;
  }
  m.exe_hash = HashBytes(bytes);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char name[64];
  std::snprintf(name, sizeof name, "exe-%d-%lld%09ld", static_cast<int>(getpid()), static_cast<long long>(now.tv_sec), now.tv_nsec);
  m.exe = name;
  if (rename(exe_tmp.c_str(), (entry_dir + "/" + m.exe).c_str()) != 0) {
    error = std::string("cannot rename the executable: ") + std::strerror(errno);
    return false;
  }
  std::string tmp = entry_dir + "/manifest.tmp-" + std::to_string(getpid());
  if (!WriteWholeFile(tmp, FormatManifest(m)) || rename(tmp.c_str(), (entry_dir + "/manifest").c_str()) != 0) {
    error = std::string("cannot write the manifest: ") + std::strerror(errno);
    unlink(tmp.c_str());
    unlink((entry_dir + "/" + m.exe).c_str());
    return false;
  }
  // The entry's other files go: the old executable (a launcher that read the old manifest a
  // moment ago fails to exec it and runs the compiler), and what a store that died left behind.
  if (DIR* d = opendir(entry_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == ".." || n == "manifest" || n == "lock" || n == m.exe) continue;
      unlinkat(dirfd(d), n.c_str(), 0);
    }
    closedir(d);
  }
  return true;
}

auto LogEnabled() -> bool { return IsOn("FUSION_CACHE_LOG"); }

void Log(const std::string& line) {
  if (LogEnabled()) std::fprintf(stderr, "fusion: cache: %s\n", line.c_str());
}

}  // namespace fusion::launcher
