#include "engine/send_stream.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

std::vector<CompiledMessage> Compile(const std::vector<std::string>& texts) {
  std::vector<CompiledMessage> out;
  uint32_t id = 0;
  for (const std::string& text : texts) {
    absl::StatusOr<CompiledMessage> m = CompileMessage(text, "-m", id++, {});
    REQUIRE(m.ok());
    out.push_back(std::move(*m));
  }
  return out;
}

// Whole messages in the first `stream_bytes` bytes, by walking the stream
// message by message.
uint64_t NaiveCompleted(const std::vector<uint64_t>& lengths,
                        uint64_t stream_bytes) {
  uint64_t count = 0;
  uint64_t at = 0;
  for (size_t i = 0;; i = (i + 1) % lengths.size()) {
    at += lengths[i];
    if (at > stream_bytes) return count;
    ++count;
  }
}

TEST_CASE("a static stream holds whole cycles of the messages in order") {
  const std::vector<CompiledMessage> messages = Compile({"ab", "cde", "f"});
  absl::StatusOr<StaticStream> stream = StaticStream::Build(messages, 64);
  REQUIRE(stream.ok());
  CHECK(stream->cycle_bytes() == 6);
  CHECK(stream->messages_per_cycle() == 3);
  CHECK(stream->size() == 60);  // 10 cycles of 6 fit in 64
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "abcdef";
  CHECK(std::string(reinterpret_cast<const char*>(stream->data()),
                    stream->size()) == expected);
  CHECK(std::vector<uint64_t>(stream->message_ends().begin(),
                              stream->message_ends().end()) ==
        std::vector<uint64_t>{2, 5, 6});
}

TEST_CASE("a cycle longer than the target still makes one cycle") {
  const std::vector<CompiledMessage> messages =
      Compile({std::string(100, 'x')});
  absl::StatusOr<StaticStream> stream = StaticStream::Build(messages, 10);
  REQUIRE(stream.ok());
  CHECK(stream->size() == 100);
}

TEST_CASE("counting messages from bytes: exact cases") {
  const std::vector<CompiledMessage> messages = Compile({"ab", "cde", "f"});
  absl::StatusOr<StaticStream> stream = StaticStream::Build(messages);
  REQUIRE(stream.ok());
  const struct {
    uint64_t bytes;
    uint64_t messages;
  } cases[] = {{0, 0},  {1, 0},
               {2, 1},  {4, 1},
               {5, 2},  {6, 3},
               {7, 3},  {8, 4},
               {12, 6}, {6'000'000'000'000ULL, 3'000'000'000'000ULL}};
  for (const auto& c : cases) {
    CAPTURE(c.bytes);
    CHECK(stream->MessagesCompletedAt(c.bytes) == c.messages);
  }
}

TEST_CASE("counting messages from bytes agrees with a naive walk") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  FastRandom rng(seed);
  for (int round = 0; round < 200; ++round) {
    const size_t k = 1 + rng.Uniform(12);
    std::vector<std::string> texts;
    std::vector<uint64_t> lengths;
    for (size_t i = 0; i < k; ++i) {
      lengths.push_back(1 + rng.Uniform(40));
      texts.push_back(std::string(lengths.back(), static_cast<char>('a' + i)));
    }
    const std::vector<CompiledMessage> messages = Compile(texts);
    absl::StatusOr<StaticStream> stream =
        StaticStream::Build(messages, 1 + rng.Uniform(4096));
    REQUIRE(stream.ok());
    REQUIRE(stream->size() % stream->cycle_bytes() == 0);
    for (int probe = 0; probe < 50; ++probe) {
      const uint64_t bytes = rng.Uniform(5 * stream->cycle_bytes() + 3);
      CAPTURE(bytes);
      REQUIRE(stream->MessagesCompletedAt(bytes) ==
              NaiveCompleted(lengths, bytes));
    }
  }
}

TEST_CASE("only all-static, non-empty message lists make a static stream") {
  CHECK(StaticStream::Build({}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  const std::vector<CompiledMessage> mixed =
      Compile({"a", "\\{connection.uid}"});
  CHECK(StaticStream::Build(mixed).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("per-connection streams: sized for the longest, filled per uid") {
  const std::vector<CompiledMessage> messages =
      Compile({"id=\\{connection.uid};", "x"});
  // Longest cycle: "id=" + 20 digits + ";" + "x" = 25 bytes; 4 fit in 100.
  const size_t capacity = ConnectionStreamBytes(messages, 100);
  CHECK(capacity == 100);
  std::vector<uint8_t> buf(capacity + 8, 0xA5);
  std::vector<uint64_t> ends(messages.size());
  const ConnectionStream s = ExpandConnectionStream(
      messages, {.connection_uid = 42}, 100, buf.data(), ends.data());
  CHECK(s.cycle_bytes == 7);
  CHECK(s.bytes == 28);
  CHECK(std::string(buf.begin(), buf.begin() + s.bytes) ==
        "id=42;xid=42;xid=42;xid=42;x");
  for (size_t i = capacity; i < buf.size(); ++i) CHECK(buf[i] == 0xA5);
  CHECK(ends == std::vector<uint64_t>{6, 7});
  CHECK(MessagesCompletedAt(ends, 13) == 3);
  CHECK(MessagesCompletedAt(ends, 14) == 4);
}

TEST_CASE("the static stream is larger the fewer connections send from it") {
  CHECK(StaticStreamTargetBytes(1) == 4u << 20);
  CHECK(StaticStreamTargetBytes(2) == 2u << 20);
  CHECK(StaticStreamTargetBytes(4) == 1u << 20);
  CHECK(StaticStreamTargetBytes(3) == (4u << 20) / 3);
  CHECK(StaticStreamTargetBytes(16) == 256u << 10);
  CHECK(StaticStreamTargetBytes(100) == 256u << 10);
  CHECK(StaticStreamTargetBytes(1'000'000'000'000) == 256u << 10);
  CHECK(StaticStreamTargetBytes(0) == 256u << 10);  // a listener's: not known
}

TEST_CASE("CyclesFor is at least one") {
  CHECK(CyclesFor(10, 5) == 1);
  CHECK(CyclesFor(10, 25) == 2);
  CHECK(CyclesFor(0, 25) == 1);
}

}  // namespace
}  // namespace tcpkali::engine
