// Network namespaces for the fault tests: a private network stack in which
// a test may change per-namespace sysctls (net.ipv4.ip_local_port_range)
// and build links with impairments, without touching the machine that
// other tests share.
//
// NetworkNamespace creates one with `ip netns add` under a name unique to
// this process, brings its loopback up and deletes it when destroyed, so
// that a failing test leaves nothing behind. Namespaces left over by test
// processes that were killed (by a timeout) are deleted the next time one
// is created. Commands run inside it through `ip netns exec`.
//
// LinkNamespaces() joins two namespaces with a point-to-point link whose
// packets cross a PacketRelay (testing/peers/packet_relay.h): netem's delay
// and loss, on kernels that lack sch_netem.
//
// All of it needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); CanCreate() says
// whether this process may.
//
// Example:
//   absl::StatusOr<std::unique_ptr<NetworkNamespace>> ns =
//       NetworkNamespace::Create();
//   REQUIRE((*ns)->SetSysctl("net.ipv4.ip_local_port_range", "40000 40009")
//               .ok());
//   RunProcess((*ns)->Wrap({TcpkaliPath(), "-l", "127.0.0.1:5000", ...}));
#ifndef TCPKALI_TESTING_E2E_NETNS_H_
#define TCPKALI_TESTING_E2E_NETNS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "testing/peers/packet_relay.h"

namespace tcpkali::testing {

// Why this process cannot create namespaces ("not root", "no ip
// command"), or nullopt when it can. For doctest's skip decorators, after
// printing the reason.
std::optional<std::string> NamespacesUnavailableReason();

// Owned by one test thread.
class NetworkNamespace {
 public:
  // Creates a namespace named "tkf-<pid>-<n>" with its loopback up, after
  // deleting those of dead test processes. Fails with FailedPrecondition
  // when `ip` is missing, Internal when a command fails (its stderr in the
  // message).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<NetworkNamespace>>
  Create();

  // Deletes the namespace; the processes still in it lose their network.
  ~NetworkNamespace();
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;

  const std::string& name() const { return name_; }

  // `argv` as a command that runs it inside: "ip netns exec <name> ...".
  std::vector<std::string> Wrap(const std::vector<std::string>& argv) const;

  // Runs `argv` inside and waits for it (at most 10 s). Fails with
  // Internal, holding its stderr, when it does not exit 0.
  [[nodiscard]] absl::Status Run(const std::vector<std::string>& argv) const;

  // sysctl -w key=value inside the namespace (for per-namespace keys such
  // as net.ipv4.*). Fails as Run() does.
  [[nodiscard]] absl::Status SetSysctl(std::string_view key,
                                       std::string_view value) const;

 private:
  explicit NetworkNamespace(std::string name) : name_(std::move(name)) {}

  std::string name_;
};

// Runs an `ip` command (argv without "ip") in this process's namespace.
// Fails with Internal, holding its stderr, when it does not exit 0.
[[nodiscard]] absl::Status RunIp(const std::vector<std::string>& args);

// Links `a` and `b`: a TUN device in each, with the IPv4 addresses
// `a_address` and `b_address` (point-to-point, MTU 1500), whose packets
// cross a PacketRelay with `impairment`. The link lasts as long as the
// returned relay. Fails as RunIp() and PacketRelay::Start() do.
[[nodiscard]] absl::StatusOr<std::unique_ptr<PacketRelay>> LinkNamespaces(
    const NetworkNamespace& a, std::string_view a_address,
    const NetworkNamespace& b, std::string_view b_address,
    const Impairment& impairment);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_E2E_NETNS_H_
