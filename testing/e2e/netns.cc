#include "testing/e2e/netns.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "testing/peers/loopback.h"
#include "testing/subprocess.h"

namespace tcpkali::testing {
namespace {

constexpr int kCommandTimeoutMs = 10'000;
constexpr absl::string_view kPrefix = "tkf-";

// `ip` lives in sbin, which a test's PATH usually lacks.
std::optional<std::string> FindIp() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"}) {
    if (access(path, X_OK) == 0) return std::string(path);
  }
  return std::nullopt;
}

absl::Status RunChecked(const std::vector<std::string>& argv) {
  absl::StatusOr<ProcessResult> r =
      RunProcess(argv, {.timeout_ms = kCommandTimeoutMs});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    std::string command;
    for (const std::string& a : argv) absl::StrAppend(&command, " ", a);
    return absl::InternalError(absl::StrCat(
        "`", command.substr(1), "` failed (exit ", r->exit_code,
        r->timed_out ? ", timed out" : "", "): ", r->stderr_text));
  }
  return absl::OkStatus();
}

// Deletes the namespaces "tkf-<pid>-..." of processes that no longer run:
// tests killed before their destructors could.
void DeleteStaleNamespaces(const std::string& ip) {
  absl::StatusOr<ProcessResult> list =
      RunProcess({ip, "netns", "list"}, {.timeout_ms = kCommandTimeoutMs});
  if (!list.ok() || list->exit_code != 0) return;
  for (absl::string_view line : absl::StrSplit(list->stdout_text, '\n')) {
    const absl::string_view name = line.substr(0, line.find(' '));
    if (!absl::StartsWith(name, kPrefix)) continue;
    const absl::string_view rest = name.substr(kPrefix.size());
    int pid = 0;
    if (!absl::SimpleAtoi(rest.substr(0, rest.find('-')), &pid) || pid <= 0) {
      continue;
    }
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;
    (void)RunChecked({ip, "netns", "del", std::string(name)});
  }
}

// A short suffix unique to this process and moment: interface names have
// 15 characters at most.
std::string UniqueSuffix() {
  const uint64_t mix = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15 ^
                       static_cast<uint64_t>(MonotonicNowNs());
  return absl::StrFormat("%08x", static_cast<uint32_t>(mix ^ (mix >> 32)));
}

}  // namespace

std::optional<std::string> NamespacesUnavailableReason() {
  if (geteuid() != 0) return "network namespaces need root";
  if (!FindIp().has_value()) return "no ip command (iproute2)";
  if (access("/dev/net/tun", R_OK | W_OK) != 0) return "no /dev/net/tun";
  return std::nullopt;
}

absl::Status RunIp(const std::vector<std::string>& args) {
  const std::optional<std::string> ip = FindIp();
  if (!ip.has_value()) {
    return absl::FailedPreconditionError("no ip command (iproute2)");
  }
  std::vector<std::string> argv = {*ip};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunChecked(argv);
}

absl::StatusOr<std::unique_ptr<NetworkNamespace>> NetworkNamespace::Create() {
  const std::optional<std::string> ip = FindIp();
  if (!ip.has_value()) {
    return absl::FailedPreconditionError("no ip command (iproute2)");
  }
  DeleteStaleNamespaces(*ip);
  const std::string name =
      absl::StrCat(kPrefix, getpid(), "-", MonotonicNowNs());
  if (absl::Status s = RunIp({"netns", "add", name}); !s.ok()) return s;
  // From here on the destructor deletes it, whatever fails next.
  std::unique_ptr<NetworkNamespace> ns(new NetworkNamespace(name));
  if (absl::Status s = RunIp({"-n", name, "link", "set", "lo", "up"});
      !s.ok()) {
    return s;
  }
  return ns;
}

NetworkNamespace::~NetworkNamespace() {
  (void)RunIp({"netns", "del", name_});
}

std::vector<std::string> NetworkNamespace::Wrap(
    const std::vector<std::string>& argv) const {
  std::vector<std::string> out = {FindIp().value_or("ip"), "netns", "exec",
                                  name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

absl::Status NetworkNamespace::Run(const std::vector<std::string>& argv) const {
  return RunChecked(Wrap(argv));
}

absl::Status NetworkNamespace::SetSysctl(std::string_view key,
                                         std::string_view value) const {
  // /sbin/sysctl may be missing from PATH too; the /proc file is the same
  // setting, and `ip netns exec` remounts /proc/sys for the namespace.
  const std::string path =
      absl::StrReplaceAll(absl::string_view(key.data(), key.size()),
                          {{".", "/"}});
  return Run({"/bin/sh", "-c",
              absl::StrCat("echo '", std::string(value), "' > /proc/sys/",
                           path)});
}

absl::StatusOr<std::unique_ptr<PacketRelay>> LinkNamespaces(
    const NetworkNamespace& a, std::string_view a_address,
    const NetworkNamespace& b, std::string_view b_address,
    const Impairment& impairment) {
  const std::string suffix = UniqueSuffix();
  const std::string a_dev = absl::StrCat("tk", suffix, "a");
  const std::string b_dev = absl::StrCat("tk", suffix, "b");
  // Created here, then moved: the descriptors stay attached to the devices
  // wherever they go.
  absl::StatusOr<ScopedFd> a_fd = OpenTun(a_dev);
  if (!a_fd.ok()) return a_fd.status();
  absl::StatusOr<ScopedFd> b_fd = OpenTun(b_dev);
  if (!b_fd.ok()) return b_fd.status();
  struct End {
    const NetworkNamespace& ns;
    const std::string& dev;
    std::string_view local;
    std::string_view remote;
  };
  for (const End& end : {End{a, a_dev, a_address, b_address},
                         End{b, b_dev, b_address, a_address}}) {
    const std::string& n = end.ns.name();
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"link", "set", end.dev, "netns", n},
          {"-n", n, "addr", "add", std::string(end.local), "peer",
           std::string(end.remote), "dev", end.dev},
          {"-n", n, "link", "set", end.dev, "mtu", "1500", "up"}}) {
      if (absl::Status s = RunIp(args); !s.ok()) return s;
    }
  }
  return PacketRelay::Start(std::move(*a_fd), std::move(*b_fd), impairment);
}

}  // namespace tcpkali::testing
