#pragma once
// A parsed input document: maps, sequences and scalars, each remembering the
// file position it came from, so that every later check can point at it.
// YAML and JSON (a subset of YAML) both load into this one tree; presets and
// `--set` overrides edit it before a schema reads it.

#include <string>
#include <string_view>
#include <vector>

#include "tensorfab/core/result.h"

namespace tfab::config {

class Node {
 public:
  enum class Kind { kNull, kScalar, kMap, kSequence };
  struct Entry;  // a map's key, the key's position and its value

  Node() = default;
  static Node scalar(std::string text, core::Location where);
  static Node map(core::Location where);
  static Node sequence(core::Location where);
  static Node null(core::Location where);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool is_map() const { return kind_ == Kind::kMap; }
  [[nodiscard]] bool is_scalar() const { return kind_ == Kind::kScalar; }
  [[nodiscard]] const core::Location& location() const { return location_; }
  [[nodiscard]] const std::string& text() const { return text_; }  // scalars only
  [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
  [[nodiscard]] const std::vector<Node>& items() const { return items_; }

  // The value under `key` in a map, or null if absent (or not a map).
  [[nodiscard]] const Node* find(std::string_view key) const;
  // The value under `key`, inserted as an empty map when absent.
  Node& at_or_insert(std::string_view key, const core::Location& where);
  void set(std::string_view key, Node value, const core::Location& key_where);
  void erase(std::string_view key);
  void push_back(Node item);  // sequences only

  // What a user would call this kind of value, for messages: "a map", "text".
  [[nodiscard]] std::string_view kind_name() const;

 private:
  friend class TreeBuilder;
  Kind kind_ = Kind::kNull;
  core::Location location_;
  std::string text_;
  std::vector<Entry> entries_;  // in the order written
  std::vector<Node> items_;
};

struct Node::Entry {
  std::string key;
  core::Location key_location;
  Node value;
};

// Parses YAML (or JSON) text; `file` names it in locations. Syntax errors,
// duplicate keys, binary content and empty documents are reported.
[[nodiscard]] core::Result<Node> parse_document(std::string_view text, const std::string& file);

// The bytes of a file; a missing file, a directory or an unreadable file is
// an error naming it.
[[nodiscard]] core::Result<std::string> read_file(const std::string& path);

// Reads and parses a file, with read_file's errors.
[[nodiscard]] core::Result<Node> load_document(const std::string& path);

// A fingerprint of a tree's content (keys, values and their order, not
// their file positions): the same input, however it was assembled from
// presets and overrides, gives the same 16 hex digits.
[[nodiscard]] std::string fingerprint(const Node& node);

// Deep merge for presets: maps merge key by key, anything else in `over`
// replaces what `base` had. Positions stay those of whoever wrote the value.
[[nodiscard]] Node merge(Node base, const Node& over);

// One `key.path=value` override, and what the user wrote to ask for it
// ("--set tdp=800 W", "--batch 8"), which errors quote as its location.
struct Override {
  Override(std::string assignment_text)  // NOLINT(google-explicit-constructor): "--set" is the usual origin
      : assignment(std::move(assignment_text)), origin("--set " + assignment) {}
  Override(std::string assignment_text, std::string origin_text)
      : assignment(std::move(assignment_text)), origin(std::move(origin_text)) {}
  std::string assignment;
  std::string origin;
};
using Overrides = std::vector<Override>;

// Applies one override to a tree. The value is read as a YAML scalar; `~`
// (or `null`) removes the key instead. Returns the errors, if any.
[[nodiscard]] core::Diagnostics apply_override(Node& root, const Override& override_);

}  // namespace tfab::config
