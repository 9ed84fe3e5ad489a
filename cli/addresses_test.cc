#include "cli/addresses.h"

#include <doctest/doctest.h>

#include <string>

namespace tcpkali::cli {
namespace {

TEST_CASE("ParseDestination splits host, port and path") {
  struct Row {
    std::string in, host, port, path;
  };
  const Row rows[] = {
      {"127.0.0.1:80", "127.0.0.1", "80", ""},
      {"127.0.0.1:80/chat?x=1", "127.0.0.1", "80", "/chat?x=1"},
      {"[::1]:8080", "::1", "8080", ""},
      {"[fe80::1%lo]:1/", "fe80::1%lo", "1", "/"},
      {"[2001:db8::1]:65535/a/b", "2001:db8::1", "65535", "/a/b"},
      {"localhost:echo", "localhost", "echo", ""},
      {"example.com:http-alt/ws", "example.com", "http-alt", "/ws"},
      {"my_host-1.local:443", "my_host-1.local", "443", ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.in);
    absl::StatusOr<engine::Destination> d = ParseDestination(row.in);
    REQUIRE(d.ok());
    CHECK(d->host == row.host);
    CHECK(d->port == row.port);
    CHECK(d->path == row.path);
    CHECK(d->text == row.in);
  }
}

TEST_CASE("ParseDestination rejects what cannot be a destination") {
  struct Row {
    std::string in, error;
  };
  const Row rows[] = {
      {"", "lacks a port"},
      {"localhost", "lacks a port"},
      {"localhost:", "lacks a port"},
      {"localhost:/x", "lacks a port"},
      {":80", "lacks a host"},
      {"::1:80", "without brackets"},
      {"fe80::1", "without brackets"},
      {"[::1]", "lacks a port after"},
      {"[::1]:", "lacks a port"},
      {"[::1:80", "unclosed"},
      {"[1.2.3.4]:80", "bad IPv6"},
      {"[nope]:80", "bad IPv6"},
      {"host:0", "bad port"},
      {"host:65536", "bad port"},
      {"host:-1", "bad port"},
      {"host:8 0", "bad port"},
      {"host:ec%ho", "bad port"},
      {"ho st:80", "bad host"},
      {"-host:80", "bad host"},
      {"http://host:80", "URL scheme"},
      {"[fe80::1%]:80", "bad IPv6"},
      {"host:80/a b", "space or control"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.in);
    absl::StatusOr<engine::Destination> d = ParseDestination(row.in);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(d.status().message());
    CAPTURE(message);
    CHECK(message.find(row.error) != std::string::npos);
    CHECK(message.find("; expected host:port") != std::string::npos);
  }
}

TEST_CASE("ParseListenAddress takes [host:]port with port 0..65535") {
  struct Row {
    std::string in, host;
    int port;  // -1: must fail
  };
  const Row rows[] = {
      {"12345", "", 12345},
      {"0", "", 0},
      {"65535", "", 65535},
      {"127.0.0.1:0", "127.0.0.1", 0},
      {"[::1]:8080", "::1", 8080},
      {"[::]:1", "::", 1},
      {"localhost:80", "localhost", 80},
      {"65536", "", -1},
      {"-1", "", -1},
      {"", "", -1},
      {"http", "", -1},
      {"localhost:echo", "", -1},
      {"1.2.3.4:", "", -1},
      {"1.2.3.4:80/x", "", -1},
      {"::1:80", "", -1},
  };
  for (const Row& row : rows) {
    CAPTURE(row.in);
    absl::StatusOr<engine::ListenAddress> l = ParseListenAddress(row.in);
    if (row.port < 0) {
      REQUIRE_FALSE(l.ok());
      CHECK(std::string(l.status().message()).find("; expected [host:]port") !=
            std::string::npos);
      continue;
    }
    REQUIRE(l.ok());
    CHECK(l->host == row.host);
    CHECK(l->port == row.port);
  }
}

TEST_CASE("CheckSourceIp takes addresses and CIDR ranges") {
  const char* good[] = {"10.0.0.1", "127.0.0.0/24", "0.0.0.0/0",  "1.2.3.4/32",
                        "::1",      "fd00::/120",   "fd00::/128", "::/0"};
  for (const char* text : good) {
    CAPTURE(text);
    CHECK(CheckSourceIp(text).ok());
  }
  const char* bad[] = {"",           "localhost",     "10.0.0",   "10.0.0.256",
                       "1.2.3.4/33", "fd00::/129",    "1.2.3.4/", "1.2.3.4/x",
                       "1.2.3.4/-1", "10.0.0.1/24/1", "[::1]"};
  for (const char* text : bad) {
    CAPTURE(text);
    const absl::Status status = CheckSourceIp(text);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(status.message()).find("; expected an IPv4 or IPv6") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace tcpkali::cli
