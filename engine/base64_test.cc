#include "engine/base64.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

std::string Encode(std::string_view raw) {
  std::string out(Base64EncodedBytes(raw.size()), '?');
  const size_t n = Base64Encode(
      {reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, out.data());
  CHECK(n == out.size());
  return out;
}

std::optional<std::string> Decode(std::string_view text) {
  std::string out(Base64DecodedMaxBytes(text.size()), '?');
  std::optional<size_t> n =
      Base64Decode(text, reinterpret_cast<uint8_t*>(out.data()));
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

TEST_CASE("RFC 4648 section 10 test vectors, both directions") {
  struct Row {
    std::string_view raw, text;
  };
  const Row rows[] = {{"", ""},
                      {"f", "Zg=="},
                      {"fo", "Zm8="},
                      {"foo", "Zm9v"},
                      {"foob", "Zm9vYg=="},
                      {"fooba", "Zm9vYmE="},
                      {"foobar", "Zm9vYmFy"}};
  for (const Row& row : rows) {
    CAPTURE(row.raw);
    CHECK(Encode(row.raw) == row.text);
    CHECK(Decode(row.text) == std::string(row.raw));
  }
}

TEST_CASE("the RFC 6455 sample nonce encodes to its key") {
  CHECK(Encode("the sample nonce") == "dGhlIHNhbXBsZSBub25jZQ==");
  // '/' and '+'-adjacent values and a zero byte inside the input.
  const std::string_view raw("\xff\xfe\xfd\x00\x3e\x3f", 6);
  CHECK(Encode(raw) == "//79AD4/");
  CHECK(Decode("//79AD4/") == std::string(raw));
  CHECK(Encode("\xfb\xef\xbe") == "++++");
}

TEST_CASE("non-canonical or malformed text is rejected") {
  const std::string_view bad[] = {
      "Zg=",        // length not a multiple of 4
      "Zg",         // unpadded
      "Zh==",       // discarded bits not zero
      "Zm9=",       // discarded bits not zero
      "Z===",       // three pad characters
      "=Zg=",       // padding first
      "Zg==Zg==",   // padding before the end
      "Zm9v Zm9v",  // whitespace
      "Zm-v",       // URL-safe alphabet is not this alphabet
      "Zm_v",
      "Zm9\x80",  // high byte
      "Zg=a",     // padding then data
  };
  for (std::string_view text : bad) {
    CAPTURE(text);
    CHECK_FALSE(Decode(text).has_value());
  }
}

TEST_CASE("random bytes round-trip through encode and decode") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 500; ++round) {
    std::string raw(rng() % 70, '\0');
    for (char& c : raw) c = static_cast<char>(rng());
    const std::string text = Encode(raw);
    CHECK(text.size() % 4 == 0);
    CHECK(Decode(text) == raw);
  }
}

}  // namespace
}  // namespace tcpkali::engine
