#include "engine/sha1.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

std::string Hex(const Sha1Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

TEST_CASE("RFC 3174 test vectors") {
  struct Row {
    std::string input;
    const char* digest;
  };
  const Row rows[] = {
      {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
      {std::string(1000000, 'a'), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
      {Repeat(
           "0123456701234567012345670123456701234567012345670123456701234567",
           10),
       "dea356a2cddd90c7a7ecedc5ebb563934f460452"},
      {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.input.size());
    CHECK(Hex(Sha1Of({row.input})) == row.digest);
  }
}

TEST_CASE("padding boundaries around one block") {
  // Lengths where the 0x80 byte and the length field straddle blocks.
  struct Row {
    size_t bytes;
    const char* digest;
  };
  const Row rows[] = {
      {55, "aecd1643c9903b9bae8cb94f53c50f8a4e18605b"},
      {56, "f5d65c621c02cc8e785159feff8088e3072da1bc"},
      {63, "4952f0fe097e4d6410ae9eab4855aa836caf3bff"},
      {64, "1e17ae1fc093e5daca033553c97a5192ca164486"},
      {65, "ac44f5dbe3e9b5d2733fc9537fcad715c3c20bc3"},
      {119, "b4a4e69060d0b1e7e8ebbf7041a4211c63438b57"},
      {120, "b651390c2996406336a3f6647e4b590c18cdd6f8"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.bytes);
    std::vector<uint8_t> data(row.bytes);
    for (size_t i = 0; i < data.size(); ++i) {
      data[i] = static_cast<uint8_t>(i * 7);
    }
    Sha1 hasher;
    hasher.Update(data);
    CHECK(Hex(hasher.Finish()) == row.digest);
  }
}

TEST_CASE("the RFC 6455 accept example hashes key and GUID as parts") {
  // Base64 of this digest is "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
  CHECK(Hex(Sha1Of({"dGhlIHNhbXBsZSBub25jZQ==",
                    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"})) ==
        "b37a4f2cc0624f1690f64606cf385945b2bec4ea");
}

TEST_CASE("any split of the input gives the same digest") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint8_t> data(rng() % 700);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    Sha1 whole;
    whole.Update(data);
    Sha1 pieces;
    size_t at = 0;
    while (at < data.size()) {
      const size_t take = std::min<size_t>(rng() % 130, data.size() - at);
      pieces.Update(std::span<const uint8_t>(data.data() + at, take));
      at += take;
    }
    CHECK(whole.Finish() == pieces.Finish());
  }
}

}  // namespace
}  // namespace tcpkali::engine
