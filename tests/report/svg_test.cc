// The charts the HTML reports draw: escaped text, scales that hold every
// point, nothing drawn from what cannot be drawn.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tensorfab/report/svg.h"
#include "tensorfab/report/table.h"

namespace tfab::report::svg {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Svg, EscapesWhatItIsGiven) {
  EXPECT_EQ(escape("a < b & \"c\" > d"), "a &lt; b &amp; &quot;c&quot; &gt; d");
  Plot p{"<script>", {"x", false}, {"y", false}, {{"s&p", {{1, 2, "<b>"}}, false, true, false}}};
  const std::string out = plot(p);
  EXPECT_EQ(out.find("<script>"), std::string::npos);
  EXPECT_NE(out.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(out.find("<title>&lt;b&gt;</title>"), std::string::npos);
}

TEST(Svg, LogAxesLeaveOutWhatTheyCannotPlace) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Plot p{"t", {"x", true}, {"y", true}, {{"s", {{0, 1, ""}, {-1, 1, ""}, {10, nan, ""}, {10, 100, ""}, {1000, 1e4, ""}},
                                          false, true, false}}};
  const std::string out = plot(p);
  EXPECT_EQ(count(out, "<circle"), 2u);
  EXPECT_EQ(out.find("=\"nan"), std::string::npos);
  EXPECT_EQ(out.find("=\"inf"), std::string::npos);
  EXPECT_EQ(out.find("=\"-inf"), std::string::npos);
  // Decades from 10 to 1000 on x, 100 to 10^4 on y.
  EXPECT_NE(out.find(">1e+03</text>"), std::string::npos);
  Plot empty{"nothing", {"x", true}, {"y", false}, {{"s", {{0, 1, ""}}, false, true, false}}};
  EXPECT_NE(plot(empty).find("nothing to plot"), std::string::npos);
}

TEST(Svg, LinesJoinTheirPointsInOrder) {
  Plot p{"t", {"x", false}, {"y", false}, {{"s", {{0, 0, ""}, {1, 2, ""}, {2, 1, ""}}, true, false, false}}};
  const std::string out = plot(p);
  EXPECT_EQ(count(out, "<polyline"), 1u);
  EXPECT_EQ(count(out, "<circle"), 0u);
}

TEST(Svg, StackedBarsKeepEachPartsColourAndSayTheTotal) {
  const std::string out = stacked_bars("power", "W", {{"a", {{"tensor", 100}, {"idle", 50}}},
                                                      {"b", {{"idle", 20}, {"tensor", 0}, {"memory", 30}}}});
  EXPECT_EQ(count(out, "class=\"bar\""), 4u);  // a zero part draws nothing
  EXPECT_NE(out.find(">150 W</text>"), std::string::npos);
  EXPECT_NE(out.find(">50 W</text>"), std::string::npos);
  // 'idle' is the second part named: the same colour in both rows.
  EXPECT_EQ(count(out, "fill=\"#f58518\"><title>idle"), 2u);
}

TEST(Table, RendersHtmlWithItsCellsEscaped) {
  Table t({"chip", "tok/s"});
  t.add_row({"a<b", "12"});
  const std::string html = t.render_html("cmp");
  EXPECT_NE(html.find("<table id=\"cmp\">"), std::string::npos);
  EXPECT_NE(html.find("<td>a&lt;b</td><td class=\"num\">12</td>"), std::string::npos);
}

}  // namespace
}  // namespace tfab::report::svg
