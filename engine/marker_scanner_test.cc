#include "engine/marker_scanner.h"

#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

using Stamps = std::vector<uint64_t>;

std::string Marker(uint64_t timestamp_us) {
  std::string out(kMarkerBytes, '\0');
  WriteMarker(timestamp_us, out.data());
  return out;
}

// The reference: tries the marker grammar at every offset of the whole
// stream (markers cannot overlap, so this lists each exactly once).
Stamps NaiveStamps(std::string_view stream) {
  Stamps stamps;
  for (size_t at = 0; at + kMarkerBytes <= stream.size(); ++at) {
    std::string_view candidate = stream.substr(at, kMarkerBytes);
    if (candidate.substr(0, kMarkerPrefix.size()) != kMarkerPrefix ||
        candidate.back() != '.') {
      continue;
    }
    std::string digits(candidate.substr(kMarkerPrefix.size(), 16));
    if (digits.find_first_not_of("0123456789abcdefABCDEF") !=
        std::string::npos) {
      continue;
    }
    stamps.push_back(std::stoull(digits, nullptr, 16));
  }
  return stamps;
}

// Feeds `stream` in pieces cut at `cuts` (ascending offsets).
Stamps StreamedStamps(std::string_view stream,
                      const std::vector<size_t>& cuts) {
  Stamps stamps;
  MarkerScanState state;
  size_t begin = 0;
  auto feed = [&](size_t end) {
    ScanMarkers(state, reinterpret_cast<const uint8_t*>(stream.data()) + begin,
                end - begin, [&](uint64_t us) { stamps.push_back(us); });
    begin = end;
  };
  for (size_t cut : cuts) feed(cut);
  feed(stream.size());
  return stamps;
}

struct Row {
  std::string stream;
  Stamps stamps;
};
const Row kRows[] = {
    {"TCPKaliMsgTS-0000000000000001.", {1}},
    {"TCPKaliMsgTS-00000000DEADBEEF.", {0xDEADBEEF}},
    {"TCPKaliMsgTS-ffffffffffffffff.", {UINT64_MAX}},
    {"GET /TCPKaliMsgTS-0005a1b2c3d4e5f6. HTTP/1.1", {0x0005a1b2c3d4e5f6}},
    {Marker(7) + Marker(8) + "x" + Marker(9), {7, 8, 9}},
    {"TCPKaliMsgTS-000000000000001.", {}},    // 15 digits
    {"TCPKaliMsgTS-00000000000000001.", {}},  // 17 digits
    {"TCPKaliMsgTS-000000000000000g.", {}},   // not hex
    {"TCPKaliMsgTS-0000000000000001", {}},    // no dot
    {"TCPKaliMsgTS -0000000000000001.", {}},  // not the prefix
    {"tcpkalimsgts-0000000000000001.", {}},   // the prefix is case-sensitive
    // Resumes at the byte that broke the previous candidate.
    {"TCPKaliMsgTS-12" + Marker(3), {3}},
    {"TCPKaliMsgTS-0000000000000001" + Marker(4), {4}},
    {"TCPKaliMsgT" + Marker(5), {5}},
    {"TCPKaliMsgTCPKaliMsgTS-0000000000000006.", {6}},
    {"TCPKaliMsgTS-TCPKaliMsgTS-000000000000000a.", {10}},
};

TEST_CASE("markers in one buffer, and malformed ones skipped") {
  CHECK(Marker(0x0123456789abcdef) == "TCPKaliMsgTS-0123456789abcdef.");
  for (const Row& row : kRows) {
    CAPTURE(row.stream);
    CHECK(NaiveStamps(row.stream) == row.stamps);
    CHECK(StreamedStamps(row.stream, {}) == row.stamps);
  }
}

TEST_CASE("markers split at every one and two places are still found") {
  for (const Row& row : kRows) {
    CAPTURE(row.stream);
    const size_t n = row.stream.size();
    for (size_t a = 0; a <= n; ++a) {
      for (size_t b = a; b <= n; ++b) {
        CAPTURE(a);
        CAPTURE(b);
        REQUIRE(StreamedStamps(row.stream, {a, b}) == row.stamps);
      }
    }
  }
}

TEST_CASE("FindNextMarker stops after each marker and keeps partial state") {
  const std::string stream = Marker(1) + Marker(2) + "TCPKaliMsgTS-00ab";
  const auto* bytes = reinterpret_cast<const uint8_t*>(stream.data());
  MarkerScanState state;
  uint64_t us = 99;
  CHECK(FindNextMarker(state, bytes, stream.size(), us) == kMarkerBytes);
  CHECK(us == 1);
  size_t at = kMarkerBytes;
  CHECK(FindNextMarker(state, bytes + at, stream.size() - at, us) ==
        kMarkerBytes);
  CHECK(us == 2);
  at += kMarkerBytes;
  us = 99;
  CHECK(FindNextMarker(state, bytes + at, stream.size() - at, us) == kNoMarker);
  CHECK(us == 99);
  CHECK(state.progress == kMarkerPrefix.size() + 4);
  CHECK(state.value_us == 0xab);
}

// A random stream of markers, broken markers and bytes that resemble them.
std::string RandomStream(std::mt19937_64& rng) {
  static const std::string_view kNoise[] = {"T",
                                            "C",
                                            "S",
                                            "-",
                                            ".",
                                            "0",
                                            "f",
                                            "F",
                                            "x",
                                            "TCPKali",
                                            "TCPKaliMsgT",
                                            "TCPKaliMsgTS-",
                                            std::string_view("\0\xff", 2)};
  std::string stream;
  const int pieces = rng() % 60;
  for (int p = 0; p < pieces; ++p) {
    switch (rng() % 4) {
      case 0: {  // a good marker, maybe in upper case
        std::string marker = Marker(rng() >> (rng() % 64));
        if (rng() % 2 == 0) {
          for (size_t d = kMarkerPrefix.size(); d < kMarkerBytes; ++d) {
            marker[d] = std::toupper(static_cast<unsigned char>(marker[d]));
          }
        }
        stream += marker;
        break;
      }
      case 1:  // a marker cut short or with one byte changed
        stream += Marker(rng()).substr(0, rng() % kMarkerBytes);
        break;
      case 2: {
        std::string marker = Marker(rng());
        marker[rng() % kMarkerBytes] = "T.g-9"[rng() % 5];
        stream += marker;
        break;
      }
      default:
        stream += kNoise[rng() % std::size(kNoise)];
    }
  }
  return stream;
}

TEST_CASE("randomised: split streams match a scan of the whole") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  size_t markers = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::string stream = RandomStream(rng);
    std::vector<size_t> cuts;
    for (size_t at = 0; at < stream.size(); at += rng() % 40) {
      cuts.push_back(at);
    }
    CAPTURE(round);
    const Stamps expected = NaiveStamps(stream);
    markers += expected.size();
    REQUIRE(StreamedStamps(stream, cuts) == expected);
  }
  CHECK(markers > 10'000);  // the generator does produce markers
}

TEST_CASE("markers are 30 bytes of prefix, lowercase hex and dot") {
  char out[kMarkerBytes + 1] = {};
  out[kMarkerBytes] = '#';
  WriteMarker(0x0123456789ABCDEFULL, out);
  CHECK(std::string(out, kMarkerBytes + 1) == "TCPKaliMsgTS-0123456789abcdef.#");
  WriteMarker(1'700'000'000'000'000ULL, out);
  CHECK(std::string(out, kMarkerBytes) == "TCPKaliMsgTS-00060a24181e4000.");
  static_assert(kMarkerBytes == 30);
}

}  // namespace
}  // namespace tcpkali::engine
