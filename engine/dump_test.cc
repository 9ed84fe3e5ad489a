#include "engine/dump.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "testing/testdata.h"

namespace tcpkali::engine {
namespace {

std::string Dump(Direction direction, uint64_t id, std::string_view data) {
  std::string out;
  AppendDump(out, direction, id, reinterpret_cast<const uint8_t*>(data.data()),
             data.size());
  return out;
}

TEST_CASE("the entries the documentation shows") {
  CHECK(Dump(Direction::kSend, 7, "hello") == "Snd(7, 5): [hello]\n");
  CHECK(Dump(Direction::kReceive, 3, "a\nb") == "Rcv(3, 3): [a\\n\n\tb]\n");
  CHECK(Dump(Direction::kSend, 1, "") == "Snd(1, 0): []\n");
}

TEST_CASE("escapes, table-driven") {
  struct Row {
    std::string_view data;
    std::string_view shown;
  };
  const Row rows[] = {
      {" ~", " ~"},
      {"\\", "\\\\"},
      {"\r\n", "\\r\\n\n\t"},
      {"\t", "\\x09"},
      {std::string_view("\0", 1), "\\x00"},
      {"\x7f\x80\xff", "\\x7F\\x80\\xFF"},
      {"[]", "[]"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.data);
    const std::string expected = "Rcv(9, " + std::to_string(row.data.size()) +
                                 "): [" + std::string(row.shown) + "]\n";
    CHECK(Dump(Direction::kReceive, 9, row.data) == expected);
  }
}

TEST_CASE("golden: dump_format.golden") {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
  std::string out;
  auto append = [&](Direction direction, uint64_t id, std::string_view data) {
    AppendDump(out, direction, id,
               reinterpret_cast<const uint8_t*>(data.data()), data.size());
  };
  append(Direction::kSend, 7, "hello");
  append(Direction::kReceive, 3, "a\nb");
  append(Direction::kSend, 1, "");
  append(Direction::kReceive, 12345678901, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  append(Direction::kReceive, 2,
         std::string_view("\0\t\x1b\x7f\x80\xff\\\"", 8));
  append(Direction::kSend, UINT64_MAX - 1, "\\x41 is not A");
  append(Direction::kSend, 5, all_bytes);
  CHECK(testing::MatchesGolden(out, "engine/testdata/dump_format.golden"));
}

TEST_CASE("a reused string stops allocating once it has grown") {
  const std::string data(1000, '\n');  // the most expensive byte to show
  std::string out;
  AppendDump(out, Direction::kSend, UINT64_MAX - 1,
             reinterpret_cast<const uint8_t*>(data.data()), data.size());
  const char* buffer = out.data();
  const size_t capacity = out.capacity();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    AppendDump(out, Direction::kReceive, UINT64_MAX - 1 - i,
               reinterpret_cast<const uint8_t*>(data.data()), data.size());
    REQUIRE(out.data() == buffer);
  }
  CHECK(out.capacity() == capacity);
  CHECK(out.size() ==
        std::string_view("Rcv(18446744073709551515, 1000): [").size() +
            4 * 1000 + 2);
}

TEST_CASE("dump-all selects every connection in its directions") {
  const DumpSelector none(DumpConfig{});
  CHECK_FALSE(none.enabled());
  DumpSelector in(DumpConfig{.all_in = true});
  CHECK(in.enabled());
  CHECK(in.ShouldDump(Direction::kReceive, 1));
  CHECK(in.ShouldDump(Direction::kReceive, 2));
  CHECK_FALSE(in.ShouldDump(Direction::kSend, 1));
}

TEST_CASE("dump-one follows the first connection with traffic") {
  DumpSelector one(DumpConfig{.one_in = true, .one_out = true});
  CHECK(one.ShouldDump(Direction::kSend, 5));  // first traffic: claims
  CHECK(one.ShouldDump(Direction::kReceive, 5));
  CHECK_FALSE(one.ShouldDump(Direction::kSend, 6));
  one.OnClose(6);  // not the holder: no change
  CHECK_FALSE(one.ShouldDump(Direction::kReceive, 6));
  one.OnClose(5);  // the holder closes: the next to show traffic takes over
  CHECK(one.ShouldDump(Direction::kReceive, 7));
  CHECK_FALSE(one.ShouldDump(Direction::kReceive, 6));
  CHECK_FALSE(one.ShouldDump(Direction::kSend, 5));
}

TEST_CASE("dump-one-in with dump-all-out") {
  DumpSelector mixed(DumpConfig{.one_in = true, .all_out = true});
  CHECK(mixed.ShouldDump(Direction::kSend, 1));  // all out: claims nothing
  CHECK(mixed.ShouldDump(Direction::kSend, 2));
  CHECK(mixed.ShouldDump(Direction::kReceive, 2));  // first to receive
  CHECK_FALSE(mixed.ShouldDump(Direction::kReceive, 1));
  CHECK(mixed.ShouldDump(Direction::kSend, 1));
}

TEST_CASE("one connection wins the dump across racing workers") {
  DumpSelector one(DumpConfig{.one_in = true});
  constexpr int kWorkers = 8;
  std::vector<int> wins(kWorkers, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&one, &wins, w] {
      // Each worker's connections are its own: ids w, w + 8, w + 16, ...
      for (uint64_t id = w; id < 800; id += kWorkers) {
        wins[w] += one.ShouldDump(Direction::kReceive, id) ? 1 : 0;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  int winners = 0;
  for (int w : wins) winners += w;
  CHECK(winners == 1);
}

}  // namespace
}  // namespace tcpkali::engine
