#include "engine/regex_gen.h"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

using ByteSet = std::bitset<256>;

// absl::StrCat takes absl::string_view, which Debian's abseil does not alias
// to std::string_view.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

ByteSet Range(int lo, int hi) {
  ByteSet set;
  for (int c = lo; c <= hi; ++c) set.set(c);
  return set;
}

ByteSet Printable() { return Range(0x20, 0x7E); }

ByteSet Digits() { return Range('0', '9'); }

ByteSet WordChars() {
  return Range('a', 'z') | Range('A', 'Z') | Digits() | Range('_', '_');
}

ByteSet Spaces() { return Range(' ', ' ') | Range('\t', '\t'); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsQuantifier(char c) {
  return c == '?' || c == '*' || c == '+' || c == '{';
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

}  // namespace

// Recursive descent over the pattern, building RegexGenerator's program.
// Lives only for the duration of Compile().
class RegexParser {
 public:
  RegexParser(std::string_view pattern, size_t position_base,
              RegexGenerator& out)
      : p_(pattern), base_(position_base), g_(out) {}

  absl::Status Parse() {
    absl::StatusOr<uint32_t> root = ParseAlternation(0);
    if (!root.ok()) return root.status();
    if (pos_ < p_.size()) return Error(pos_, "unmatched )");
    g_.root_ = *root;
    g_.min_bytes_ = min_[*root];
    g_.max_bytes_ = max_[*root];
    g_.constant_ = constant_[*root];
    return absl::OkStatus();
  }

 private:
  using Node = RegexGenerator::Node;
  using Op = RegexGenerator::Op;

  // One parsed atom: a single byte (merged into literal runs when not
  // quantified) or a node.
  struct Atom {
    bool is_byte = false;
    uint8_t byte = 0;
    uint32_t node = 0;
  };

  // The result of a backslash escape: one byte or a set of them.
  struct Escape {
    bool is_set = false;
    uint8_t byte = 0;
    ByteSet set;
  };

  absl::Status Error(size_t offset, std::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(problem), " at position ", base_ + offset));
  }

  absl::StatusOr<uint32_t> AddNode(Node node, uint64_t min, uint64_t max,
                                   bool constant, size_t offset) {
    if (max > RegexGenerator::kMaxOutputBytes) {
      return Error(offset,
                   absl::StrCat("pattern may generate more than ",
                                RegexGenerator::kMaxOutputBytes, " bytes"));
    }
    g_.nodes_.push_back(node);
    min_.push_back(min);
    max_.push_back(max);
    constant_.push_back(constant);
    return static_cast<uint32_t>(g_.nodes_.size() - 1);
  }

  absl::StatusOr<uint32_t> AddLiteral(const std::string& run, size_t offset) {
    Node node{.op = Op::kLiteral,
              .a = static_cast<uint32_t>(g_.bytes_.size()),
              .b = static_cast<uint32_t>(run.size())};
    g_.bytes_ += run;
    return AddNode(node, run.size(), run.size(), true, offset);
  }

  absl::StatusOr<uint32_t> AddList(Op op, const std::vector<uint32_t>& items,
                                   size_t offset) {
    Node node{.op = op,
              .a = static_cast<uint32_t>(g_.children_.size()),
              .b = static_cast<uint32_t>(items.size())};
    uint64_t min = op == Op::kSequence ? 0 : UINT64_MAX;
    uint64_t max = 0;
    bool constant = op == Op::kSequence || items.size() == 1;
    for (uint32_t item : items) {
      g_.children_.push_back(item);
      constant = constant && constant_[item];
      if (op == Op::kSequence) {
        min += min_[item];
        max += max_[item];
      } else {
        min = std::min(min, min_[item]);
        max = std::max(max, max_[item]);
      }
    }
    if (items.empty()) min = 0;
    return AddNode(node, min, max, constant, offset);
  }

  absl::StatusOr<uint32_t> ParseAlternation(int depth) {
    const size_t start = pos_;
    std::vector<uint32_t> alternatives;
    while (true) {
      absl::StatusOr<uint32_t> seq = ParseSequence(depth);
      if (!seq.ok()) return seq.status();
      alternatives.push_back(*seq);
      if (pos_ >= p_.size() || p_[pos_] != '|') break;
      ++pos_;
    }
    if (alternatives.size() == 1) return alternatives[0];
    return AddList(Op::kAlternation, alternatives, start);
  }

  absl::StatusOr<uint32_t> ParseSequence(int depth) {
    const size_t start = pos_;
    std::vector<uint32_t> items;
    std::string run;
    size_t run_start = pos_;
    auto flush = [&]() -> absl::Status {
      if (run.empty()) return absl::OkStatus();
      absl::StatusOr<uint32_t> lit = AddLiteral(run, run_start);
      if (!lit.ok()) return lit.status();
      items.push_back(*lit);
      run.clear();
      return absl::OkStatus();
    };
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      const size_t atom_start = pos_;
      absl::StatusOr<Atom> atom = ParseAtom(depth);
      if (!atom.ok()) return atom.status();
      const bool quantified = pos_ < p_.size() && IsQuantifier(p_[pos_]);
      if (atom->is_byte && !quantified) {
        if (run.empty()) run_start = atom_start;
        run.push_back(static_cast<char>(atom->byte));
        continue;
      }
      if (absl::Status s = flush(); !s.ok()) return s;
      uint32_t node = atom->node;
      if (atom->is_byte) {
        absl::StatusOr<uint32_t> lit = AddLiteral(
            std::string(1, static_cast<char>(atom->byte)), atom_start);
        if (!lit.ok()) return lit.status();
        node = *lit;
      }
      if (quantified) {
        absl::StatusOr<uint32_t> rep = ParseQuantifier(node);
        if (!rep.ok()) return rep.status();
        node = *rep;
      }
      items.push_back(node);
    }
    if (absl::Status s = flush(); !s.ok()) return s;
    if (items.size() == 1) return items[0];
    return AddList(Op::kSequence, items, start);
  }

  absl::StatusOr<Atom> ParseAtom(int depth) {
    const size_t start = pos_;
    const char c = p_[pos_];
    switch (c) {
      case '(': {
        if (depth + 1 > RegexGenerator::kMaxNesting) {
          return Error(start, absl::StrCat("groups nested deeper than ",
                                           RegexGenerator::kMaxNesting));
        }
        ++pos_;
        if (pos_ < p_.size() && p_[pos_] == '?') {
          return Error(start, "(? group forms are not supported");
        }
        absl::StatusOr<uint32_t> inner = ParseAlternation(depth + 1);
        if (!inner.ok()) return inner.status();
        if (pos_ >= p_.size()) return Error(start, "unterminated group (");
        ++pos_;  // ')'
        return Atom{.node = *inner};
      }
      case '[':
        return ParseClass();
      case '.':
        ++pos_;
        return SetAtom(Printable(), start);
      case '\\': {
        absl::StatusOr<Escape> esc = ParseEscape();
        if (!esc.ok()) return esc.status();
        if (esc->is_set) return SetAtom(esc->set, start);
        return Atom{.is_byte = true, .byte = esc->byte};
      }
      case '?':
      case '*':
      case '+':
      case '{':
        return Error(start, absl::StrCat("nothing to repeat before ",
                                         absl::string_view(&p_[pos_], 1)));
      case '^':
      case '$':
        return Error(start, "anchors (^ $) are not supported");
      default:
        ++pos_;
        return Atom{.is_byte = true, .byte = static_cast<uint8_t>(c)};
    }
  }

  absl::StatusOr<Atom> SetAtom(const ByteSet& set, size_t offset) {
    if (set.count() == 1) {
      for (int b = 0; b < 256; ++b) {
        if (set.test(b)) {
          return Atom{.is_byte = true, .byte = static_cast<uint8_t>(b)};
        }
      }
    }
    Node node{.op = Op::kClass,
              .a = static_cast<uint32_t>(g_.bytes_.size()),
              .b = static_cast<uint32_t>(set.count())};
    for (int b = 0; b < 256; ++b) {
      if (set.test(b)) g_.bytes_.push_back(static_cast<char>(b));
    }
    absl::StatusOr<uint32_t> id = AddNode(node, 1, 1, false, offset);
    if (!id.ok()) return id.status();
    return Atom{.node = *id};
  }

  // At a backslash: consumes the escape.
  absl::StatusOr<Escape> ParseEscape() {
    const size_t start = pos_;
    if (pos_ + 1 >= p_.size()) return Error(start, "trailing backslash");
    const char c = p_[pos_ + 1];
    pos_ += 2;
    switch (c) {
      case 'd':
        return Escape{.is_set = true, .set = Digits()};
      case 'D':
        return Escape{.is_set = true, .set = Printable() & ~Digits()};
      case 'w':
        return Escape{.is_set = true, .set = WordChars()};
      case 'W':
        return Escape{.is_set = true, .set = Printable() & ~WordChars()};
      case 's':
        return Escape{.is_set = true, .set = Spaces()};
      case 'S':
        return Escape{.is_set = true, .set = Printable() & ~Spaces()};
      case 'n':
        return Escape{.byte = '\n'};
      case 'r':
        return Escape{.byte = '\r'};
      case 't':
        return Escape{.byte = '\t'};
      case 'x': {
        const int hi = pos_ < p_.size() ? HexValue(p_[pos_]) : -1;
        const int lo = pos_ + 1 < p_.size() ? HexValue(p_[pos_ + 1]) : -1;
        if (hi < 0 || lo < 0) {
          return Error(start, "\\x needs two hex digits");
        }
        pos_ += 2;
        return Escape{.byte = static_cast<uint8_t>(hi * 16 + lo)};
      }
      default:
        if (IsAlnum(c)) {
          return Error(start, absl::StrCat("unknown escape \\",
                                           absl::string_view(&c, 1)));
        }
        return Escape{.byte = static_cast<uint8_t>(c)};
    }
  }

  // At '[': consumes the class up to and including its ']'.
  absl::StatusOr<Atom> ParseClass() {
    const size_t start = pos_++;
    bool negate = false;
    if (pos_ < p_.size() && p_[pos_] == '^') {
      negate = true;
      ++pos_;
    }
    ByteSet set;
    for (bool first = true;; first = false) {
      if (pos_ >= p_.size()) {
        return Error(start, "unterminated character class [");
      }
      if (p_[pos_] == ']' && !first) {
        ++pos_;
        break;
      }
      const size_t item_start = pos_;
      absl::StatusOr<Escape> lo = ClassItem();
      if (!lo.ok()) return lo.status();
      const bool range = !lo->is_set && pos_ + 1 < p_.size() &&
                         p_[pos_] == '-' && p_[pos_ + 1] != ']';
      if (!range) {
        if (lo->is_set) {
          set |= lo->set;
        } else {
          set.set(lo->byte);
        }
        continue;
      }
      ++pos_;  // '-'
      absl::StatusOr<Escape> hi = ClassItem();
      if (!hi.ok()) return hi.status();
      if (hi->is_set) return Error(item_start, "class range ends in a set");
      if (hi->byte < lo->byte) {
        return Error(item_start, "class range out of order");
      }
      set |= Range(lo->byte, hi->byte);
    }
    if (negate) set = Printable() & ~set;
    if (set.none()) return Error(start, "character class matches nothing");
    return SetAtom(set, start);
  }

  absl::StatusOr<Escape> ClassItem() {
    if (p_[pos_] == '\\') return ParseEscape();
    return Escape{.byte = static_cast<uint8_t>(p_[pos_++])};
  }

  // Reads an unsigned decimal; false if there are no digits or it is huge.
  bool ReadCount(uint32_t* value) {
    const size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < p_.size() && p_[pos_] >= '0' && p_[pos_] <= '9') {
      v = v * 10 + (p_[pos_] - '0');
      if (v > UINT32_MAX) return false;
      ++pos_;
    }
    *value = static_cast<uint32_t>(v);
    return pos_ > start;
  }

  // At a quantifier character following `node`.
  absl::StatusOr<uint32_t> ParseQuantifier(uint32_t node) {
    const size_t start = pos_;
    constexpr uint32_t kExtra = RegexGenerator::kUnboundedExtra;
    uint32_t min = 0;
    uint32_t max = 0;
    switch (p_[pos_++]) {
      case '?':
        min = 0;
        max = 1;
        break;
      case '*':
        min = 0;
        max = kExtra;
        break;
      case '+':
        min = 1;
        max = 1 + kExtra;
        break;
      default: {  // '{'
        const std::string_view kForms = "repetition must be {n}, {n,} or {n,m}";
        if (!ReadCount(&min)) return Error(start, kForms);
        max = min;
        if (pos_ < p_.size() && p_[pos_] == ',') {
          ++pos_;
          if (pos_ < p_.size() && p_[pos_] == '}') {
            max = min + kExtra;
          } else if (!ReadCount(&max)) {
            return Error(start, kForms);
          }
        }
        if (pos_ >= p_.size() || p_[pos_] != '}') return Error(start, kForms);
        ++pos_;
        if (min > RegexGenerator::kMaxRepeat ||
            max > RegexGenerator::kMaxRepeat + kExtra) {
          return Error(start, absl::StrCat("repetition count above ",
                                           RegexGenerator::kMaxRepeat));
        }
        if (max < min) return Error(start, "repetition {n,m} with m < n");
      }
    }
    if (pos_ < p_.size() && IsQuantifier(p_[pos_])) {
      return Error(pos_, "a quantifier cannot follow a quantifier");
    }
    // Repeating what produces nothing produces nothing; a repeat node here
    // would make nests like ((){9999}){9999} spin for ages in Generate().
    if (max_[node] == 0) return node;
    Node rep{.op = Op::kRepeat, .a = node, .min = min, .max = max};
    return AddNode(rep, min_[node] * min, max_[node] * max,
                   constant_[node] && min == max, start);
  }

  std::string_view p_;
  size_t base_;
  RegexGenerator& g_;
  size_t pos_ = 0;
  // Per node, parallel to g_.nodes_: output length bounds, and whether the
  // node always produces the same bytes.
  std::vector<uint64_t> min_;
  std::vector<uint64_t> max_;
  std::vector<bool> constant_;
};

absl::StatusOr<RegexGenerator> RegexGenerator::Compile(std::string_view pattern,
                                                       size_t position_base) {
  RegexGenerator g;
  g.pattern_ = std::string(pattern);
  RegexParser parser(pattern, position_base, g);
  if (absl::Status s = parser.Parse(); !s.ok()) return s;
  return g;
}

size_t RegexGenerator::Generate(FastRandom& rng, uint8_t* out) const {
  return static_cast<size_t>(Emit(root_, rng, out) - out);
}

uint8_t* RegexGenerator::Emit(uint32_t index, FastRandom& rng,
                              uint8_t* out) const {
  const Node& node = nodes_[index];
  switch (node.op) {
    case Op::kLiteral:
      std::memcpy(out, bytes_.data() + node.a, node.b);
      return out + node.b;
    case Op::kClass:
      *out = static_cast<uint8_t>(bytes_[node.a + rng.Uniform(node.b)]);
      return out + 1;
    case Op::kSequence:
      for (uint32_t i = 0; i < node.b; ++i) {
        out = Emit(children_[node.a + i], rng, out);
      }
      return out;
    case Op::kAlternation:
      return Emit(children_[node.a + rng.Uniform(node.b)], rng, out);
    case Op::kRepeat: {
      const uint64_t n = node.min + rng.Uniform(node.max - node.min + 1);
      for (uint64_t i = 0; i < n; ++i) out = Emit(node.a, rng, out);
      return out;
    }
  }
  return out;
}

}  // namespace tcpkali::engine
