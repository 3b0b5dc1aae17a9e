#include "runtime/dns_message.h"

namespace sbx::run::dns {

namespace {

constexpr std::size_t kHeaderBytes = 12, kMaxNameBytes = 255;
constexpr std::uint16_t kResponseBit = 0x8000, kRecursionDesired = 0x0100, kRecursionAvailable = 0x0080;
constexpr std::uint16_t kQuestionPointer = 0xC000 | kHeaderBytes;  // the question's name, for every answer

// Reads big-endian fields from a message, never past its end.
class Reader {
 public:
  explicit Reader(std::string_view message, std::size_t at = 0) : m_(message), at_(at) {}
  bool u16(std::uint16_t& v) {
    if (at_ + 2 > m_.size()) return false;
    v = static_cast<std::uint16_t>(byte(at_) << 8 | byte(at_ + 1));
    at_ += 2;
    return true;
  }
  bool skip(std::size_t n) {
    if (n > m_.size() - at_) return false;
    at_ += n;
    return true;
  }
  std::uint8_t byte(std::size_t i) const { return static_cast<std::uint8_t>(m_[i]); }
  std::size_t at() const { return at_; }
  void moveTo(std::size_t at) { at_ = at; }
  std::string_view message() const { return m_; }

 private:
  std::string_view m_;
  std::size_t at_;
};

// Reads the name at the reader's position into `labels`, and moves past it. A compression pointer
// must point before every byte of the name read so far: the positions strictly decrease at each
// jump, so a chain of pointers ends. False with `why`.
bool readName(Reader& r, std::vector<std::string>& labels, std::string& why) {
  std::string_view m = r.message();
  std::size_t pos = r.at(), lowest = r.at(), total = 1;
  bool jumped = false;
  for (;;) {
    if (pos >= m.size()) {
      why = "a name runs past the end of the message";
      return false;
    }
    std::uint8_t length = r.byte(pos);
    if ((length & 0xC0) == 0xC0) {
      if (pos + 1 >= m.size()) {
        why = "a compression pointer runs past the end of the message";
        return false;
      }
      std::size_t target = static_cast<std::size_t>(length & 0x3F) << 8 | r.byte(pos + 1);
      if (target >= lowest) {
        why = "a compression pointer does not point before the name";
        return false;
      }
      if (!jumped) r.moveTo(pos + 2);
      jumped = true;
      pos = lowest = target;
      continue;
    }
    if (length & 0xC0) {
      why = "a label type other than a plain label";
      return false;
    }
    if (length == 0) {
      if (!jumped) r.moveTo(pos + 1);
      return true;
    }
    if (pos + 1 + length > m.size()) {
      why = "a label runs past the end of the message";
      return false;
    }
    if ((total += length + 1u) > kMaxNameBytes) {
      why = "a name longer than 255 bytes";
      return false;
    }
    std::string_view label = m.substr(pos + 1, length);
    if (label.find('.') != std::string_view::npos) {
      why = "a label holds a `.`";
      return false;
    }
    labels.emplace_back(label);
    pos += 1 + length;
  }
}

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

Parsed error(Parsed p, Rcode rcode, std::string why) {
  p.kind = Parsed::Kind::Error;
  p.rcode = rcode;
  p.why = std::move(why);
  p.query.labels.clear();
  return p;
}

// The OPT record of the additional section: the root name, type 41; its fields are not used.
bool readOpt(Reader& r, std::string& why) {
  std::vector<std::string> name;
  std::uint16_t type = 0, size = 0, high = 0, low = 0, length = 0;
  if (!readName(r, name, why)) return false;
  if (!name.empty() || !r.u16(type) || type != kTypeOpt) {
    why = "the additional record is not an OPT record";
    return false;
  }
  if (!r.u16(size) || !r.u16(high) || !r.u16(low) || !r.u16(length) || !r.skip(length)) {
    why = "the OPT record runs past the end of the message";
    return false;
  }
  return true;
}

}  // namespace

std::string Query::name() const {
  std::string joined;
  for (const auto& l : labels) joined += (joined.empty() ? "" : ".") + l;
  return joined;
}

Parsed parseQuery(std::string_view message) {
  Parsed p;
  Reader r(message);
  std::uint16_t flags = 0, questions = 0, answers = 0, authorities = 0, additionals = 0;
  if (!r.u16(p.query.id) || !r.u16(flags) || !r.u16(questions) || !r.u16(answers) || !r.u16(authorities) ||
      !r.u16(additionals)) {
    p.why = "shorter than a DNS header";
    return p;
  }
  if (flags & kResponseBit) {
    p.why = "a response, not a query";
    return p;
  }
  p.query.opcode = static_cast<std::uint8_t>(flags >> 11 & 0xF);
  p.query.recursionDesired = flags & kRecursionDesired;
  if (p.query.opcode != 0) return error(p, Rcode::NotImp, "an opcode other than QUERY");
  if (questions != 1) return error(p, Rcode::FormErr, "not exactly one question");
  if (answers != 0 || authorities != 0 || additionals > 1)
    return error(p, Rcode::FormErr, "records other than one OPT record besides the question");
  std::string why;
  if (!readName(r, p.query.labels, why)) return error(p, Rcode::FormErr, why);
  if (!r.u16(p.query.type) || !r.u16(p.query.klass))
    return error(p, Rcode::FormErr, "the question runs past the end of the message");
  if (additionals == 1) {
    if (!readOpt(r, why)) return error(p, Rcode::FormErr, why);
    p.query.edns = true;
  }
  if (r.at() != message.size()) return error(p, Rcode::FormErr, "bytes after the last record");
  p.kind = Parsed::Kind::Question;
  return p;
}

std::string buildAnswer(const Query& query, Rcode rcode, bool withQuestion, std::span<const net::IpAddress> addresses,
                        std::uint32_t ttl) {
  std::string out;
  put16(out, query.id);
  put16(out, static_cast<std::uint16_t>(kResponseBit | (query.opcode & 0xF) << 11 |
                                        (query.recursionDesired ? kRecursionDesired : 0) | kRecursionAvailable |
                                        static_cast<std::uint16_t>(rcode)));
  put16(out, withQuestion ? 1 : 0);
  put16(out, 0);  // answers: counted below
  put16(out, 0);
  put16(out, query.edns ? 1 : 0);
  if (withQuestion) {
    for (const auto& l : query.labels) {
      out.push_back(static_cast<char>(l.size()));
      out += l;
    }
    out.push_back('\0');
    put16(out, query.type);
    put16(out, query.klass);
  }
  constexpr std::size_t kOptBytes = 11;
  std::uint16_t count = 0;
  for (const auto& a : withQuestion ? addresses : std::span<const net::IpAddress>{}) {
    std::size_t data = a.family == 4 ? 4 : 16;
    if (out.size() + 12 + data + (query.edns ? kOptBytes : 0) > kMaxAnswerBytes) continue;
    put16(out, kQuestionPointer);
    put16(out, a.family == 4 ? kTypeA : kTypeAaaa);
    put16(out, kClassIn);
    put32(out, ttl);
    put16(out, static_cast<std::uint16_t>(data));
    out.append(reinterpret_cast<const char*>(a.bytes.data()), data);
    ++count;
  }
  out[6] = static_cast<char>(count >> 8);
  out[7] = static_cast<char>(count & 0xFF);
  if (query.edns) {  // version 0, no options, our payload size
    out.push_back('\0');
    put16(out, kTypeOpt);
    put16(out, static_cast<std::uint16_t>(kMaxAnswerBytes));
    put32(out, 0);
    put16(out, 0);
  }
  return out;
}

}  // namespace sbx::run::dns
