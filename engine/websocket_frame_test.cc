#include "engine/websocket_frame.h"

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

namespace tcpkali::engine::ws {
namespace {

TEST_CASE("frame header lengths switch at 126 and 65536 bytes") {
  struct Row {
    uint64_t payload;
    bool masked;
    size_t header;
  };
  const Row rows[] = {{0, false, 2},      {125, false, 2},  {126, false, 4},
                      {65535, false, 4},  {65536, false, 10},
                      {0, true, 6},       {125, true, 6},   {126, true, 8},
                      {1 << 20, true, 14}};
  for (const Row& row : rows) {
    FrameHeader h{.payload_bytes = row.payload};
    if (row.masked) h.mask_key = 0x01020304;
    uint8_t out[kMaxFrameHeaderBytes];
    CHECK(EncodeFrameHeader(out, h) == row.header);
    CHECK(FrameHeaderBytes(h) == row.header);
  }
}

TEST_CASE("header bytes follow RFC 6455 layout") {
  uint8_t out[kMaxFrameHeaderBytes];
  size_t n = EncodeFrameHeader(
      out, {.opcode = Opcode::kBinary, .fin = false, .rsv = 0x4,
            .payload_bytes = 300, .mask_key = 0xA1B2C3D4});
  REQUIRE(n == 8);
  CHECK(out[0] == 0x42);  // !FIN, RSV1, binary
  CHECK(out[1] == (0x80 | 126));
  CHECK(out[2] == 0x01);
  CHECK(out[3] == 0x2C);
  CHECK(out[4] == 0xA1);
  CHECK(out[7] == 0xD4);
}

TEST_CASE("masking in pieces equals masking at once, and twice restores") {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> whole = data, pieces = data;
  MaskPayload(whole.data(), whole.size(), 0xDEADBEEF, 0);
  size_t cuts[] = {0, 3, 17, 18, 500, 1000};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    MaskPayload(pieces.data() + cuts[i], cuts[i + 1] - cuts[i], 0xDEADBEEF,
                cuts[i]);
  }
  CHECK(whole == pieces);
  CHECK(whole[0] == (data[0] ^ 0xDE));
  CHECK(whole[5] == (data[5] ^ 0xAD));
  MaskPayload(whole.data(), whole.size(), 0xDEADBEEF, 0);
  CHECK(whole == data);
}

TEST_CASE("CopyMasked matches byte-by-byte masking at every offset") {
  std::vector<uint8_t> src(300);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 13 + 5);
  const uint32_t key = 0x01A2B3C4;
  const uint8_t key_bytes[4] = {0x01, 0xA2, 0xB3, 0xC4};
  // Lengths around the 64- and 16-byte steps, each at every key phase.
  for (size_t bytes : {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 79, 80, 81,
                       127, 128, 143, 144, 145, 255, 299}) {
    for (uint64_t offset = 0; offset < 8; ++offset) {
      CAPTURE(bytes);
      CAPTURE(offset);
      std::vector<uint8_t> copied(bytes, 0xEE);
      CopyMasked(copied.data(), src.data(), bytes, key, offset);
      std::vector<uint8_t> in_place(src.begin(), src.begin() + bytes);
      MaskPayload(in_place.data(), bytes, key, offset);
      for (size_t i = 0; i < bytes; ++i) {
        const uint8_t want = src[i] ^ key_bytes[(offset + i) % 4];
        REQUIRE(copied[i] == want);
        REQUIRE(in_place[i] == want);
      }
    }
  }
}

TEST_CASE("every build of CopyMasked the CPU runs masks the same") {
  using Copy = void (*)(uint8_t*, const uint8_t*, size_t, uint32_t, uint64_t);
  struct Build {
    const char* name;
    Copy copy;
    bool runs;
  };
  const Build builds[] = {
      {"baseline", CopyMaskedBaseline, true},
      {"avx2", CopyMaskedAvx2, __builtin_cpu_supports("avx2") != 0},
      {"avx512f", CopyMaskedAvx512, __builtin_cpu_supports("avx512f") != 0},
  };
  std::vector<uint8_t> src(1000);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 29 + 3);
  const uint32_t key = 0xF00DCAFE;
  const uint8_t key_bytes[4] = {0xF0, 0x0D, 0xCA, 0xFE};
  for (const Build& build : builds) {
    if (!build.runs) {
      MESSAGE("this CPU lacks ", build.name, ": that build is not checked");
      continue;
    }
    for (size_t bytes : {0, 3, 16, 64, 65, 200, 999}) {
      for (uint64_t offset = 0; offset < 4; ++offset) {
        CAPTURE(build.name);
        CAPTURE(bytes);
        CAPTURE(offset);
        std::vector<uint8_t> copied(bytes, 0xEE);
        build.copy(copied.data(), src.data(), bytes, key, offset);
        for (size_t i = 0; i < bytes; ++i) {
          REQUIRE(copied[i] == (src[i] ^ key_bytes[(offset + i) % 4]));
        }
      }
    }
  }
}

}  // namespace
}  // namespace tcpkali::engine::ws
