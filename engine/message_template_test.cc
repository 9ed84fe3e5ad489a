#include "engine/message_template.h"

#include <cstdlib>
#include <functional>
#include <new>
#include <set>
#include <string>
#include <vector>

// libstdc++ 12's <regex> trips -Wmaybe-uninitialized in its own code under
// the sanitizer builds' -O1; the warning is about the library, not us.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include <doctest/doctest.h>

#include "absl/strings/str_cat.h"
#include "engine/exit_code.h"
#include "engine/websocket_frame.h"
#include "testing/test_seed.h"

// Counts heap allocations while `g_counting` is set, to prove that
// expansion never allocates.
namespace {
bool g_counting = false;
size_t g_allocations = 0;
}  // namespace

// Out of line, so that GCC does not pair the inlined free() with the
// library's operator new in -Wmismatched-new-delete.
__attribute__((noinline)) void* operator new(size_t size) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace tcpkali::engine {
namespace {

constexpr char kHelloFile[] = "engine/testdata/expression_hello.txt";
constexpr char kBinaryFile[] = "engine/testdata/expression_binary.bin";

CompiledMessage MustCompile(const std::string& text,
                            const CompileOptions& options = {},
                            uint32_t id = 0) {
  absl::StatusOr<CompiledMessage> m =
      CompileMessage(text, "--message", id, options);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return std::move(*m);
}

// Expands into a buffer with guard bytes after max_bytes() and checks the
// bounds the message promises.
std::string Expand(const CompiledMessage& m, const ExpandContext& ctx) {
  std::vector<uint8_t> buf(m.max_bytes() + 16, 0xA5);
  const size_t n = m.Expand(ctx, buf.data());
  for (size_t i = m.max_bytes(); i < buf.size(); ++i) REQUIRE(buf[i] == 0xA5);
  REQUIRE(n >= m.min_bytes());
  REQUIRE(n <= m.max_bytes());
  return std::string(buf.begin(), buf.begin() + n);
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

struct ExpansionCase {
  std::string text;
  bool websocket;
  MessageScope scope;
  std::vector<std::string> for_uids_1_2_3;
};

const std::vector<ExpansionCase>& ExpansionCases() {
  static const auto* cases = new std::vector<ExpansionCase>{
      {"hello", false, MessageScope::kStatic, {"hello", "hello", "hello"}},
      {"id=\\{connection.uid}\n",
       false,
       MessageScope::kPerConnection,
       {"id=1\n", "id=2\n", "id=3\n"}},
      {"\\{connection.uid % 2}",
       false,
       MessageScope::kPerConnection,
       {"1", "0", "1"}},
      {"<\\{connection.uid%3}>",
       false,
       MessageScope::kPerConnection,
       {"<1>", "<2>", "<0>"}},
      {absl::StrCat("[\\{<", kHelloFile, ">}]"),
       false,
       MessageScope::kStatic,
       {"[hello from a file\n]", "[hello from a file\n]",
        "[hello from a file\n]"}},
      {"\\{re abc}", false, MessageScope::kStatic, {"abc", "abc", "abc"}},
      {"\\{raw \"GET\"}", true, MessageScope::kStatic, {"GET", "GET", "GET"}},
      {"hi",
       true,
       MessageScope::kStatic,
       {"\x81\x02hi", "\x81\x02hi", "\x81\x02hi"}},
      {"n\\{connection.uid}",
       true,
       MessageScope::kPerConnection,
       {"\x81\x02n1", "\x81\x02n2", "\x81\x02n3"}},
      {"\\{ws.binary \"ab\"}\\{ws.ping}",
       true,
       MessageScope::kStatic,
       {Bytes({0x82, 2, 'a', 'b', 0x89, 0}),
        Bytes({0x82, 2, 'a', 'b', 0x89, 0}),
        Bytes({0x82, 2, 'a', 'b', 0x89, 0})}},
      {"a\\{ws.ping}b\\{raw \"r\"}",
       true,
       MessageScope::kStatic,
       {Bytes({0x81, 1, 'a', 0x89, 0, 0x81, 1, 'b', 'r'}),
        Bytes({0x81, 1, 'a', 0x89, 0, 0x81, 1, 'b', 'r'}),
        Bytes({0x81, 1, 'a', 0x89, 0, 0x81, 1, 'b', 'r'})}},
      // Without --ws only explicit frames are frames.
      {"x\\{ws.text rsv1 ... \"y\"}",
       false,
       MessageScope::kStatic,
       {Bytes({'x', 0x41, 1, 'y'}), Bytes({'x', 0x41, 1, 'y'}),
        Bytes({'x', 0x41, 1, 'y'})}},
      {"\\{ws.close 1000 \"bye\"}",
       true,
       MessageScope::kStatic,
       {Bytes({0x88, 5, 3, 0xE8, 'b', 'y', 'e'}),
        Bytes({0x88, 5, 3, 0xE8, 'b', 'y', 'e'}),
        Bytes({0x88, 5, 3, 0xE8, 'b', 'y', 'e'})}},
      {"\\{ws.continuation rsv2}\\{connection.uid}",
       true,
       MessageScope::kPerConnection,
       {Bytes({0xA0, 0, 0x81, 1, '1'}), Bytes({0xA0, 0, 0x81, 1, '2'}),
        Bytes({0xA0, 0, 0x81, 1, '3'})}},
  };
  return *cases;
}

TEST_CASE("messages expand exactly, per connection uid") {
  for (const ExpansionCase& c : ExpansionCases()) {
    CAPTURE(c.text);
    CAPTURE(c.websocket);
    const CompiledMessage m = MustCompile(c.text, {.websocket = c.websocket});
    CHECK(m.scope() == c.scope);
    for (uint64_t uid = 1; uid <= 3; ++uid) {
      CAPTURE(uid);
      // Messages below kPerMessage need no per-message randomness.
      CHECK(Expand(m, {.connection_uid = uid}) == c.for_uids_1_2_3[uid - 1]);
    }
    if (c.scope == MessageScope::kStatic) {
      CHECK(m.static_bytes() == c.for_uids_1_2_3[0]);
      CHECK(m.min_bytes() == m.max_bytes());
    } else {
      CHECK(m.static_bytes().empty());
    }
  }
}

TEST_CASE("uid bounds: 1..20 digits, or the digits of N-1 with % N") {
  const CompiledMessage whole = MustCompile("\\{connection.uid}");
  CHECK(whole.min_bytes() == 1);
  CHECK(whole.max_bytes() == 20);
  CHECK(Expand(whole, {.connection_uid = UINT64_MAX}) ==
        "18446744073709551615");
  const CompiledMessage mod = MustCompile("\\{connection.uid % 1000}");
  CHECK(mod.max_bytes() == 3);
  CHECK(Expand(mod, {.connection_uid = 123456}) == "456");
  CHECK(Expand(mod, {.connection_uid = 1000}) == "0");
}

TEST_CASE("message markers carry the send time") {
  const CompiledMessage m = MustCompile("m\\{message.marker}!");
  CHECK(m.scope() == MessageScope::kPerMessage);
  CHECK(m.min_bytes() == 32);
  FastRandom rng(1);
  CHECK(Expand(m, {.rng = &rng, .send_time_us = 0x1234}) ==
        "mTCPKaliMsgTS-0000000000001234.!");
  CHECK(Expand(m, {.rng = &rng, .send_time_us = 1'700'000'000'123'456}) ==
        "mTCPKaliMsgTS-00060a2418202240.!");
}

TEST_CASE("re is new per message and matches its pattern") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  const CompiledMessage m = MustCompile("<\\{re [a-c]{3,6}x}>");
  CHECK(m.scope() == MessageScope::kPerMessage);
  const std::regex pattern("<[a-c]{3,6}x>");
  FastRandom rng(seed);
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {
    const std::string s = Expand(m, {.connection_uid = 1, .rng = &rng});
    CAPTURE(s);
    REQUIRE(std::regex_match(s, pattern));
    seen.insert(s);
  }
  CHECK(seen.size() > 100);
}

TEST_CASE("connection.re is a pure function of run seed, uid, expression") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  const std::string text =
      "\\{connection.re [a-z]{16}}-\\{connection.re [a-z]{16}}";
  const CompiledMessage m = MustCompile(text, {.run_seed = seed});
  CHECK(m.scope() == MessageScope::kPerConnection);
  const std::regex pattern("[a-z]{16}-[a-z]{16}");
  std::set<std::string> per_uid;
  for (uint64_t uid = 1; uid <= 50; ++uid) {
    const ExpandContext ctx{.connection_uid = uid, .run_seed = seed};
    const std::string s = Expand(m, ctx);
    CAPTURE(s);
    REQUIRE(std::regex_match(s, pattern));
    CHECK(Expand(m, ctx) == s);              // same connection, same string
    CHECK(s.substr(0, 16) != s.substr(17));  // the two are independent
    per_uid.insert(s);
  }
  CHECK(per_uid.size() == 50);
  // A second compilation (another worker, a restart) agrees.
  const CompiledMessage again = MustCompile(text, {.run_seed = seed});
  CHECK(Expand(again, {.connection_uid = 7, .run_seed = seed}) ==
        Expand(m, {.connection_uid = 7, .run_seed = seed}));
  // Another run seed gives other strings.
  CHECK(Expand(m, {.connection_uid = 7, .run_seed = seed + 1}) !=
        Expand(m, {.connection_uid = 7, .run_seed = seed}));
}

TEST_CASE("global.re is fixed for the run and compiled into static bytes") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  const std::string text = "\\{global.re [a-z]{12}}";
  const CompiledMessage a = MustCompile(text, {.run_seed = seed}, 0);
  const CompiledMessage b = MustCompile(text, {.run_seed = seed}, 1);
  const CompiledMessage a2 = MustCompile(text, {.run_seed = seed}, 0);
  const CompiledMessage other_run = MustCompile(text, {.run_seed = seed ^ 1});
  CHECK(a.scope() == MessageScope::kStatic);
  CHECK(
      std::regex_match(std::string(a.static_bytes()), std::regex("[a-z]{12}")));
  CHECK(a.static_bytes() == a2.static_bytes());
  CHECK(a.static_bytes() != b.static_bytes());  // per expression
  CHECK(a.static_bytes() != other_run.static_bytes());
}

// One frame decoded by hand (RFC 6455 section 5.2), unmasked.
struct Frame {
  uint8_t byte0 = 0;
  bool masked = false;
  uint32_t mask_key = 0;
  std::string payload;
  size_t frame_bytes = 0;
};

Frame DecodeFrame(const std::string& s) {
  Frame f;
  REQUIRE(s.size() >= 2);
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  f.byte0 = p[0];
  f.masked = (p[1] & 0x80) != 0;
  uint64_t len = p[1] & 0x7F;
  size_t at = 2;
  if (len == 126) {
    len = (uint64_t{p[2]} << 8) | p[3];
    CHECK(len > 125);  // the shortest encoding is required
    at = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    CHECK(len > 0xFFFF);
    at = 10;
  }
  if (f.masked) {
    f.mask_key = (uint32_t{p[at]} << 24) | (uint32_t{p[at + 1]} << 16) |
                 (uint32_t{p[at + 2]} << 8) | p[at + 3];
    at += 4;
  }
  REQUIRE(s.size() >= at + len);
  f.payload = s.substr(at, len);
  for (size_t i = 0; f.masked && i < len; ++i) {
    f.payload[i] ^= static_cast<char>(f.mask_key >> (24 - 8 * (i % 4)));
  }
  f.frame_bytes = at + len;
  return f;
}

TEST_CASE("masked frames: fresh key per frame, payload masked, any length") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  // All of `c`, between min and max times.
  auto run_of = [](char c, size_t min, size_t max) {
    return [=](const std::string& s) {
      return s.size() >= min && s.size() <= max &&
             s.find_first_not_of(c) == std::string::npos;
    };
  };
  struct Case {
    std::string text;
    std::function<bool(const std::string&)> payload_ok;
  };
  const Case cases[] = {
      {"hello", [](const std::string& s) { return s == "hello"; }},
      {std::string(200, 'q'), run_of('q', 200, 200)},
      {std::string(70000, 'z'), run_of('z', 70000, 70000)},
      {"\\{connection.uid}:\\{re [0-9]{3}}",
       [](const std::string& s) {
         return std::regex_match(s, std::regex("5:[0-9]{3}"));
       }},
      // Payload lengths that straddle the 7-bit and 16-bit length forms.
      {"\\{re a{100,130}}", run_of('a', 100, 130)},
      {"\\{re (a{6553}){10}a{1,10}}", run_of('a', 65531, 65540)},
  };
  for (bool masked : {true, false}) {
    CAPTURE(masked);
    for (const Case& c : cases) {
      CAPTURE(c.text.substr(0, 40));
      const CompiledMessage m =
          MustCompile(c.text, {.websocket = true, .masked = masked});
      CHECK(m.scope() >=
            (masked ? MessageScope::kPerMessage : MessageScope::kStatic));
      FastRandom rng(seed);
      std::set<uint32_t> keys;
      for (int i = 0; i < 40; ++i) {
        const std::string wire = Expand(m, {.connection_uid = 5, .rng = &rng});
        const Frame f = DecodeFrame(wire);
        CHECK(f.byte0 == 0x81);
        CHECK(f.masked == masked);
        CHECK(f.frame_bytes == wire.size());
        REQUIRE(c.payload_ok(f.payload));
        keys.insert(f.mask_key);
      }
      if (masked) CHECK(keys.size() > 35);
    }
  }
}

TEST_CASE("a masked frame of fixed text is the header, one fresh key, the masked text") {
  const CompiledMessage m = MustCompile("hello", {.websocket = true, .masked = true});
  FastRandom rng(42), same(42);
  for (int i = 0; i < 3; ++i) {
    const uint32_t key = same.Next32();  // one draw per frame, in order
    const uint8_t k[4] = {uint8_t(key >> 24), uint8_t(key >> 16), uint8_t(key >> 8),
                          uint8_t(key)};
    std::string want = {'\x81', '\x85', char(k[0]), char(k[1]), char(k[2]), char(k[3])};
    for (size_t j = 0; j < 5; ++j) want += char("hello"[j] ^ k[j % 4]);
    CHECK(Expand(m, {.connection_uid = 1, .rng = &rng}) == want);
  }
}

TEST_CASE("explicit frames are masked on the client side too") {
  const CompiledMessage m = MustCompile("\\{ws.binary \"abc\"}x",
                                        {.websocket = true, .masked = true});
  CHECK(m.scope() == MessageScope::kPerMessage);
  FastRandom rng(3);
  const std::string wire = Expand(m, {.rng = &rng});
  const Frame first = DecodeFrame(wire);
  CHECK(first.byte0 == 0x82);
  CHECK(first.masked);
  CHECK(first.payload == "abc");
  const Frame second = DecodeFrame(wire.substr(first.frame_bytes));
  CHECK(second.byte0 == 0x81);
  CHECK(second.payload == "x");
  CHECK(first.frame_bytes + second.frame_bytes == wire.size());
}

struct ZeroCase {
  std::string text;
  bool websocket;
};

TEST_CASE("a message that may expand to zero bytes is rejected") {
  const ZeroCase cases[] = {
      {"", false},
      {"", true},
      {"\\{re a?}", false},
      {"\\{re (x|)}", true},
      {"\\{raw \"\"}", true},
  };
  for (const ZeroCase& c : cases) {
    CAPTURE(c.text);
    absl::StatusOr<CompiledMessage> m =
        CompileMessage(c.text, "--message", 0, {.websocket = c.websocket});
    REQUIRE_FALSE(m.ok());
    CHECK(ExitCodeFor(m.status()) == kExitUsage);
    CHECK(std::string(m.status().message()) ==
          absl::StrCat("--message: message \"", c.text,
                       "\" may expand to zero bytes; every message must send "
                       "at least one"));
  }
  // Never empty, so accepted.
  CHECK(CompileMessage("\\{ws.ping}", "-m", 0, {}).ok());
  CHECK(CompileMessage("\\{re a?}b", "-m", 0, {}).ok());
}

TEST_CASE("CompileMessages: order, options, files and their errors") {
  Config config;
  config.first_messages = {{.data = "first \\{connection.uid}"},
                           {.kind = MessageSpec::kFile, .data = kHelloFile}};
  config.messages = {{.data = "a"},
                     {.kind = MessageSpec::kFile, .data = kBinaryFile},
                     {.data = "\\{re b{1,4}}"}};
  absl::StatusOr<CompiledMessages> m = CompileMessages(config, {});
  REQUIRE(m.ok());
  REQUIRE(m->first.size() == 2);
  REQUIRE(m->repeated.size() == 3);
  CHECK(Expand(m->first[0], {.connection_uid = 9}) == "first 9");
  CHECK(m->first[1].static_bytes() == "hello from a file\n");
  // Message files may hold expressions too: this one ends in a uid.
  std::string binary;
  for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  CHECK(Expand(m->repeated[1], {.connection_uid = 7}) == binary + "7");
  CHECK(m->repeated_scope() == MessageScope::kPerMessage);
  CHECK(m->max_message_bytes() == 256 + 20);

  struct ErrorCase {
    std::vector<MessageSpec> first;
    std::vector<MessageSpec> repeated;
    int exit_code;
    std::string prefix;
  };
  const ErrorCase errors[] = {
      {{},
       {{.data = "ok"}, {.data = "\\{bad}"}},
       kExitUsage,
       "--message #2: unknown expression \"\\{bad}\" at position 1"},
      {{{.data = "\\{bad}"}},
       {},
       kExitUsage,
       "--first-message: unknown expression"},
      {{},
       {{.kind = MessageSpec::kFile, .data = "no/such.bin"}},
       kExitDataErr,
       "--message-file: cannot read \"no/such.bin\": No such file or "
       "directory"},
      {{},
       {{.data = "x"},
        {.kind = MessageSpec::kFile, .data = kHelloFile},
        {.data = ""}},
       kExitUsage,
       "--message #2: message \"\" may expand to zero bytes"},
  };
  for (const ErrorCase& e : errors) {
    CAPTURE(e.prefix);
    Config bad;
    bad.first_messages = e.first;
    bad.messages = e.repeated;
    absl::StatusOr<CompiledMessages> r = CompileMessages(bad, {});
    REQUIRE_FALSE(r.ok());
    CHECK(ExitCodeFor(r.status()) == e.exit_code);
    CHECK(std::string(r.status().message()).starts_with(e.prefix));
  }
}

TEST_CASE("expansion allocates nothing") {
  const CompiledMessage masked = MustCompile(
      "\\{connection.uid}\\{re a{100,200}}\\{message.marker}"
      "\\{connection.re [a-z]{4,9}}\\{ws.ping \"p\"}tail",
      {.websocket = true, .masked = true, .run_seed = 5});
  const CompiledMessage plain =
      MustCompile("\\{connection.uid % 7}\\{re [xy]+}", {.run_seed = 5});
  const CompiledMessage fixed = MustCompile("static", {});
  std::vector<uint8_t> buf(masked.max_bytes());
  FastRandom rng(11);
  size_t total = 0;
  // The counter itself works.
  g_allocations = 0;
  g_counting = true;
  ::operator delete(::operator new(64));
  g_counting = false;
  REQUIRE(g_allocations == 1);

  g_allocations = 0;
  g_counting = true;
  for (uint64_t uid = 1; uid <= 1000; ++uid) {
    const ExpandContext ctx{
        .connection_uid = uid, .run_seed = 5, .rng = &rng, .send_time_us = 1};
    total += masked.Expand(ctx, buf.data());
    total += plain.Expand(ctx, buf.data());
    total += fixed.Expand(ctx, buf.data());
  }
  g_counting = false;
  CHECK(g_allocations == 0);
  CHECK(total > 0);
}

}  // namespace
}  // namespace tcpkali::engine
