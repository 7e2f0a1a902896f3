#include "tensorfab/config/node.h"

#include <yaml-cpp/yaml.h>

#include "tensorfab/core/hash.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace tfab::config {
namespace {

using core::Diagnostic;
using core::Diagnostics;
using core::ErrorCode;
using core::Location;

// Deeper than any real chip or model file; stops a hostile file from
// exhausting the stack.
constexpr int kMaxDepth = 64;

Diagnostic error_at(Location where, std::string message, ErrorCode code = ErrorCode::kBadInput) {
  Diagnostic d;
  d.code = code;
  d.location = std::move(where);
  d.message = std::move(message);
  return d;
}

Location location_of(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

// Text that is not UTF-8, or holds control characters other than tab and
// line breaks, is not a chip or model file; YAML would accept some of it.
std::optional<size_t> first_binary_byte(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return i;
    // A UTF-8 lead byte announces how many continuation bytes follow.
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
    if (extra == 4 || i + extra >= text.size() + (extra == 0 ? 1 : 0)) return i;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return i;
    }
    i += 1 + extra;
  }
  return std::nullopt;
}

Location location_of_offset(std::string_view text, size_t offset, const std::string& file) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {file, line, column};
}

}  // namespace

// Converts yaml-cpp's tree into ours, reporting duplicate keys and
// non-scalar keys on the way.
class TreeBuilder {
 public:
  TreeBuilder(const std::string& file, Diagnostics& errors) : file_(file), errors_(errors) {}

  Node build(const YAML::Node& in, int depth) {
    Node out;
    out.location_ = location_of(in.Mark(), file_);
    if (depth > kMaxDepth) {
      errors_.push_back(error_at(out.location_, "nesting deeper than 64 levels"));
      return out;
    }
    switch (in.Type()) {
      case YAML::NodeType::Scalar:
        out.kind_ = Node::Kind::kScalar;
        out.text_ = in.Scalar();
        break;
      case YAML::NodeType::Sequence:
        out.kind_ = Node::Kind::kSequence;
        for (const auto& item : in) out.items_.push_back(build(item, depth + 1));
        break;
      case YAML::NodeType::Map:
        out.kind_ = Node::Kind::kMap;
        for (const auto& kv : in) {
          Location key_where = location_of(kv.first.Mark(), file_);
          if (!kv.first.IsScalar()) {
            errors_.push_back(error_at(key_where, "a key must be plain text"));
            continue;
          }
          const std::string& key = kv.first.Scalar();
          if (out.find(key) != nullptr) {
            errors_.push_back(error_at(key_where, "duplicate key '" + key + "'"));
            continue;
          }
          out.entries_.push_back({key, key_where, build(kv.second, depth + 1)});
        }
        break;
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out.kind_ = Node::Kind::kNull;
        break;
    }
    return out;
  }

 private:
  const std::string& file_;
  Diagnostics& errors_;
};

Node Node::scalar(std::string text, core::Location where) {
  Node n;
  n.kind_ = Kind::kScalar;
  n.text_ = std::move(text);
  n.location_ = std::move(where);
  return n;
}

Node Node::map(core::Location where) {
  Node n;
  n.kind_ = Kind::kMap;
  n.location_ = std::move(where);
  return n;
}

Node Node::sequence(core::Location where) {
  Node n;
  n.kind_ = Kind::kSequence;
  n.location_ = std::move(where);
  return n;
}

Node Node::null(core::Location where) {
  Node n;
  n.location_ = std::move(where);
  return n;
}

void Node::push_back(Node item) { items_.push_back(std::move(item)); }

const Node* Node::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

Node& Node::at_or_insert(std::string_view key, const core::Location& where) {
  for (auto& e : entries_) {
    if (e.key == key) return e.value;
  }
  entries_.push_back({std::string(key), where, Node::map(where)});
  return entries_.back().value;
}

void Node::set(std::string_view key, Node value, const core::Location& key_where) {
  for (auto& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      e.key_location = key_where;
      return;
    }
  }
  entries_.push_back({std::string(key), key_where, std::move(value)});
}

void Node::erase(std::string_view key) {
  std::erase_if(entries_, [&](const Entry& e) { return e.key == key; });
}

std::string_view Node::kind_name() const {
  switch (kind_) {
    case Kind::kNull: return "nothing";
    case Kind::kScalar: return "a value";
    case Kind::kMap: return "a map";
    case Kind::kSequence: return "a list";
  }
  return "nothing";
}

core::Result<Node> parse_document(std::string_view text, const std::string& file) {
  if (auto bad = first_binary_byte(text)) {
    return error_at(location_of_offset(text, *bad, file),
                    "this is not a text file (binary or non-UTF-8 byte found)");
  }
  bool blank = std::all_of(text.begin(), text.end(),
                           [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
  if (blank) return error_at({file, 0, 0}, "the file is empty");

  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return error_at(location_of(e.mark, file), "invalid YAML: " + e.msg);
  }
  Diagnostics errors;
  Node tree = TreeBuilder(file, errors).build(root, 0);
  if (!errors.empty()) return errors;
  if (tree.kind() == Node::Kind::kNull) return error_at({file, 0, 0}, "the file is empty");
  if (!tree.is_map()) {
    return error_at(tree.location(), "expected a map of keys at the top of the file, got " +
                                         std::string(tree.kind_name()));
  }
  return tree;
}

core::Result<std::string> read_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return error_at({path, 0, 0}, "no such file", ErrorCode::kNotFound);
  }
  if (fs::is_directory(status)) return error_at({path, 0, 0}, "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return error_at({path, 0, 0}, "cannot be read");
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return error_at({path, 0, 0}, "cannot be read");
  return text;
}

core::Result<Node> load_document(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.errors();
  return parse_document(*text, path);
}

namespace {

// Length-prefixed, so that no two different trees serialise alike.
void serialise(const Node& node, core::Fnv1a& hash) {
  auto text = [&](std::string_view s) { hash.add(std::to_string(s.size())).add(":").add(s); };
  switch (node.kind()) {
    case Node::Kind::kNull: hash.add("n"); break;
    case Node::Kind::kScalar: hash.add("s"); text(node.text()); break;
    case Node::Kind::kSequence:
      hash.add("[");
      for (const auto& item : node.items()) serialise(item, hash);
      hash.add("]");
      break;
    case Node::Kind::kMap:
      hash.add("{");
      for (const auto& e : node.entries()) {
        text(e.key);
        serialise(e.value, hash);
      }
      hash.add("}");
      break;
  }
}

}  // namespace

std::string fingerprint(const Node& node) {
  core::Fnv1a hash;
  serialise(node, hash);
  return hash.hex();
}

Node merge(Node base, const Node& over) {
  if (!base.is_map() || !over.is_map()) return over;
  for (const auto& e : over.entries()) {
    const Node* mine = base.find(e.key);
    base.set(e.key, mine ? merge(*mine, e.value) : e.value, e.key_location);
  }
  return base;
}

core::Diagnostics apply_override(Node& root, const Override& override_) {
  const std::string_view assignment = override_.assignment;
  const Location where{override_.origin, 0, 0};
  auto eq = assignment.find('=');
  std::string_view path = assignment.substr(0, eq);
  if (eq == std::string_view::npos || path.empty()) {
    return {error_at(where, "expected key.path=value")};
  }
  std::string value(assignment.substr(eq + 1));
  if (value.empty()) return {error_at(where, "no value after '='")};

  Node* node = &root;
  size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    std::string_view key = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (key.empty()) return {error_at(where, "empty key in '" + std::string(path) + "'")};
    if (!node->is_map()) {
      return {error_at(where, "'" + std::string(path.substr(0, start - 1)) +
                                  "' holds a value, not a map of keys")};
    }
    if (dot == std::string_view::npos) {
      // YAML's null removes the key: the file's value, or a preset's, is then not given.
      if (value == "~" || value == "null") {
        node->erase(key);
      } else {
        node->set(key, Node::scalar(value, where), where);
      }
      return {};
    }
    node = &node->at_or_insert(key, where);
    start = dot + 1;
  }
}

}  // namespace tfab::config
