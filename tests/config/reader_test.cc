#include "tensorfab/config/reader.h"

#include <gtest/gtest.h>

#include "tensorfab/config/load.h"
#include "tensorfab/core/hash.h"

namespace tfab::config {
namespace {

using namespace core::literals;

Node parse(std::string_view text) {
  auto doc = parse_document(text, "test.yaml");
  EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.errors().front().str());
  return doc.ok() ? doc.value() : Node{};
}

TEST(ParseDocument, KeepsPositions) {
  Node doc = parse("a: 1\nhbm:\n  stacks: 5\n");
  const Node* stacks = doc.find("hbm")->find("stacks");
  ASSERT_NE(stacks, nullptr);
  EXPECT_EQ(stacks->text(), "5");
  EXPECT_EQ(stacks->location().line, 3);
  EXPECT_EQ(stacks->location().column, 11);
}

TEST(ParseDocument, RejectsBadDocuments) {
  struct Case {
    std::string text, message;
  } cases[] = {
      {"", "the file is empty"},
      {"  \n\n", "the file is empty"},
      {std::string("a: 1\n\x01\x02\xff", 8), "not a text file"},
      {"a: [1, 2\n", "invalid YAML"},
      {"- 1\n- 2\n", "expected a map of keys"},
      {"a: 1\na: 2\n", "duplicate key 'a'"},
  };
  for (const auto& c : cases) {
    auto doc = parse_document(c.text, "f.yaml");
    ASSERT_FALSE(doc.ok()) << c.text;
    EXPECT_NE(doc.errors().front().message.find(c.message), std::string::npos) << doc.errors().front().message;
  }
}

TEST(ParseDocument, ReadsJson) {
  Node doc = parse("{\n  \"hidden_size\": 4096,\n  \"x\": [1, 2]\n}\n");
  EXPECT_EQ(doc.find("hidden_size")->text(), "4096");
  EXPECT_EQ(doc.find("hidden_size")->location().line, 2);
}

TEST(MapReader, ReadsTypedValues) {
  Node doc = parse("bw: 3.35 TB/s\nn: 5\nf: 0.5\nname: h100\nflag: true\n");
  core::Diagnostics errors;
  MapReader r(doc, "", errors);
  EXPECT_DOUBLE_EQ(r.required<core::Bandwidth>("bw", "")->in(1_TBps), 3.35);
  EXPECT_EQ(r.required<int64_t>("n", ""), 5);
  EXPECT_DOUBLE_EQ(*r.required<double>("f", "", Limits::fraction()), 0.5);
  EXPECT_EQ(r.required<std::string>("name", ""), "h100");
  EXPECT_EQ(r.optional<bool>("flag", ""), true);
  EXPECT_FALSE(r.optional<int64_t>("absent", "").has_value());
  r.finish();
  EXPECT_TRUE(errors.empty());
}

TEST(MapReader, ReportsEveryProblemAtOnce) {
  Node doc = parse("bw: 3200\nsize: -5 GiB\nstackz: 5\nn: 2.5\nratio: 1.5\n");
  core::Diagnostics errors;
  MapReader r(doc, "hbm", errors);
  (void)r.required<core::Bandwidth>("bw", "");
  (void)r.required<core::Bytes>("size", "");
  (void)r.required<int64_t>("stacks", "number of stacks");
  (void)r.required<int64_t>("n", "");
  (void)r.required<double>("ratio", "", Limits::fraction());
  r.finish();
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].key_path, "hbm.bw");
  EXPECT_NE(errors[0].message.find("expected a bandwidth"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[0].location.line, 1);
  EXPECT_NE(errors[1].message.find("out of range"), std::string::npos) << errors[1].message;
  EXPECT_NE(errors[2].message.find("missing required key 'stacks'"), std::string::npos);
  ASSERT_FALSE(errors[2].notes.empty());
  EXPECT_NE(errors[2].notes[0].find("'stackz'"), std::string::npos);
  EXPECT_NE(errors[3].message.find("whole number"), std::string::npos);
  EXPECT_NE(errors[4].message.find("out of range"), std::string::npos);
  EXPECT_EQ(errors[5].message, "unknown key 'stackz'");
  EXPECT_EQ(errors[5].notes, std::vector<std::string>{"did you mean 'stacks'?"});
  EXPECT_EQ(errors[5].location.line, 3);
}

TEST(MapReader, OpenSchemaFlagsOnlyTypos) {
  Node doc = parse("hidden_size: 1\nbos_token_id: 3\nhiden_size: 2\n");
  core::Diagnostics errors;
  MapReader r(doc, "", errors);
  (void)r.required<int64_t>("hidden_size", "");
  r.finish(/*open_schema=*/true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key_path, "hiden_size");
}

TEST(ClosestMatch, FindsTyposNotStrangers) {
  std::vector<std::string> keys{"stacks", "bandwidth_per_stack", "hbm"};
  EXPECT_EQ(core::closest_match("stakcs", keys), "stacks");
  EXPECT_EQ(core::closest_match("bandwith_per_stack", keys), "bandwidth_per_stack");
  EXPECT_EQ(core::closest_match("hmb", keys), "hbm");
  EXPECT_EQ(core::closest_match("vocab_size", keys), std::nullopt);
}

TEST(Overrides, SetAndMerge) {
  Node base = parse("a: 1\nm:\n  x: 1\n  y: 2\n");
  Node over = parse("m:\n  y: 3\nb: 4\n");
  Node merged = merge(base, over);
  EXPECT_EQ(merged.find("a")->text(), "1");
  EXPECT_EQ(merged.find("m")->find("x")->text(), "1");
  EXPECT_EQ(merged.find("m")->find("y")->text(), "3");
  EXPECT_EQ(merged.find("m")->find("y")->location().line, 2);  // from `over`
  EXPECT_TRUE(apply_override(merged, Override{"m.z=7 W"}).empty());
  EXPECT_EQ(merged.find("m")->find("z")->text(), "7 W");
  EXPECT_FALSE(apply_override(merged, Override{"a.b=1"}).empty());  // a holds a value
  EXPECT_FALSE(apply_override(merged, Override{"noequals"}).empty());
  EXPECT_FALSE(apply_override(merged, Override{"m..z=1"}).empty());
  // YAML's null removes a key, as if the file had not given it.
  EXPECT_TRUE(apply_override(merged, Override{"m.x=~"}).empty());
  EXPECT_EQ(merged.find("m")->find("x"), nullptr);
  EXPECT_EQ(merged.find("m")->find("y")->text(), "3");
  EXPECT_TRUE(apply_override(merged, Override{"a=null"}).empty());
  EXPECT_EQ(merged.find("a"), nullptr);
}

}  // namespace
}  // namespace tfab::config

namespace tfab::config {
namespace {

TEST(Fingerprint, FollowsContentNotPositions) {
  auto a = parse_document("a: 1\nm:\n  x: 2\n", "a.yaml");
  auto b = parse_document("a:    1\nm: {x: 2}\n", "b.yaml");  // same content, other layout and file
  auto c = parse_document("a: 1\nm:\n  x: 3\n", "c.yaml");
  auto d = parse_document("m:\n  x: 2\na: 1\n", "d.yaml");  // other order
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(fingerprint(*a), fingerprint(*b));
  EXPECT_NE(fingerprint(*a), fingerprint(*c));
  EXPECT_NE(fingerprint(*a), fingerprint(*d));
  EXPECT_EQ(fingerprint(*a).size(), 16u);
  // FNV-1a 64 of the empty string is its offset basis.
  EXPECT_EQ(core::Fnv1a().hex(), "cbf29ce484222325");
  EXPECT_EQ(core::Fnv1a().add("a").hex(), "af63dc4c8601ec8c");  // published test vector
}

}  // namespace
}  // namespace tfab::config

namespace tfab::config {
namespace {

// A document given as a tree (the Python bindings' dicts) is found by its
// id before the folder's files, read like a file of that name, and kept by
// a remembering copy of the catalog.
TEST(Catalog, GivenDocuments) {
  const Catalog empty(std::filesystem::temp_directory_path() / "tensorfab-no-such-catalog");
  EXPECT_FALSE(empty.locate("chips", "mine").ok());

  Node doc = Node::map({"<chip dict 'mine'>", 0, 0});
  doc.set("tdp", Node::scalar("700 W", {"<chip dict 'mine'>", 0, 0}), {"<chip dict 'mine'>", 0, 0});
  Node stacks = Node::sequence({});
  stacks.push_back(Node::scalar("4", {}));
  stacks.push_back(Node::null({}));
  doc.set("list", std::move(stacks), {});
  const Catalog given = empty.with_document("chips", "mine", doc);

  auto path = given.locate("chips", "mine");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(std::filesystem::path(*path).stem(), "mine");
  EXPECT_FALSE(given.locate("models", "mine").ok());  // only under its kind
  for (const Catalog& c : {given, given.remembering()}) {
    auto read = load_with_presets(c, "chips", *path);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->find("tdp")->text(), "700 W");
    EXPECT_EQ(read->find("tdp")->location().file, "<chip dict 'mine'>");
    ASSERT_EQ(read->find("list")->items().size(), 2u);
    EXPECT_EQ(read->find("list")->items()[1].kind(), Node::Kind::kNull);
    EXPECT_EQ(fingerprint(*read), fingerprint(doc));
  }
  // The catalog it came from is unchanged.
  EXPECT_FALSE(empty.locate("chips", "mine").ok());
}

}  // namespace
}  // namespace tfab::config
