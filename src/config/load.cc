#include "tensorfab/config/load.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "tensorfab/config/reader.h"

namespace tfab::config {
namespace {

namespace fs = std::filesystem;

// A chain longer than this is a cycle or a mistake.
constexpr int kMaxPresetDepth = 8;

std::string extension_of(std::string_view kind) { return kind == "models" ? ".json" : ".yaml"; }

// Where a given document seems to live: a name no file has, whose stem is its id.
std::string given_path(std::string_view kind, std::string_view id) {
  return fmt::format("<given>/{}/{}{}", kind, id, extension_of(kind));
}

core::Result<Node> resolve(const Catalog& catalog, std::string_view kind, const std::string& path,
                           std::vector<std::string>& chain) {
  auto doc = catalog.document(path);
  if (!doc) return doc;
  const Node* preset = doc->find("preset");
  if (preset == nullptr) return doc;

  core::Diagnostic problem;
  problem.location = preset->location();
  problem.key_path = "preset";
  if (!preset->is_scalar()) {
    problem.message = "expected the id of a preset, such as 'h100-sxm'";
    return problem;
  }
  auto base_path = catalog.locate(kind, preset->text());
  if (!base_path) {
    core::Diagnostics errors = base_path.errors();
    for (auto& e : errors) {
      e.location = preset->location();
      e.key_path = "preset";
    }
    return errors;
  }
  if (std::find(chain.begin(), chain.end(), *base_path) != chain.end() ||
      chain.size() >= kMaxPresetDepth) {
    problem.message = fmt::format("preset chain loops or is too long: {}", fmt::join(chain, " -> "));
    return problem;
  }
  chain.push_back(*base_path);
  auto base = resolve(catalog, kind, *base_path, chain);
  if (!base) return base;
  Node own = std::move(doc).value();
  own.erase("preset");
  return merge(std::move(base).value(), own);
}

}  // namespace

struct Catalog::Memory {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>, std::less<>> ids;  // by kind
  std::map<std::string, std::shared_ptr<const core::Result<Node>>, std::less<>> documents;  // by path, errors too
};

Catalog Catalog::remembering() const {
  Catalog c(root_);
  c.memory_ = std::make_shared<Memory>();
  c.given_ = given_;
  return c;
}

Catalog Catalog::with_document(std::string_view kind, const std::string& id, Node doc) const {
  Catalog c = *this;
  auto given = given_ ? std::make_shared<Given>(*given_) : std::make_shared<Given>();
  (*given)[given_path(kind, id)] = std::move(doc);
  c.given_ = std::move(given);
  return c;
}

core::Result<Node> Catalog::document(const std::string& path) const {
  if (given_) {
    if (auto it = given_->find(path); it != given_->end()) return it->second;
  }
  if (!memory_) return load_document(path);
  std::shared_ptr<const core::Result<Node>> doc;
  {
    std::lock_guard lock(memory_->mutex);
    if (auto it = memory_->documents.find(path); it != memory_->documents.end()) doc = it->second;
  }
  if (!doc) {
    auto loaded = std::make_shared<const core::Result<Node>>(load_document(path));
    std::lock_guard lock(memory_->mutex);
    doc = memory_->documents.try_emplace(path, std::move(loaded)).first->second;
  }
  return *doc;  // copied outside the lock
}

std::vector<std::string> Catalog::ids(std::string_view kind) const {
  if (memory_) {
    {
      std::lock_guard lock(memory_->mutex);
      if (auto it = memory_->ids.find(kind); it != memory_->ids.end()) return it->second;
    }
    auto listed = Catalog(root_).ids(kind);
    std::lock_guard lock(memory_->mutex);
    return memory_->ids.try_emplace(std::string(kind), std::move(listed)).first->second;
  }
  std::vector<std::string> out;
  std::error_code ec;
  const std::string ext = extension_of(kind);
  for (const auto& entry : fs::directory_iterator(root_ / kind, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ext) {
      out.push_back(entry.path().stem().string());
    }
  }
  std::sort(out.begin(), out.end());  // directory order is not deterministic
  return out;
}

core::Result<std::string> Catalog::locate(std::string_view kind, std::string_view id_or_path) const {
  std::string name(id_or_path);
  if (given_) {
    if (auto path = given_path(kind, name); given_->contains(path)) return path;
  }
  // Ids may hold dots ("llama-3.1-70b"), so only known extensions mark a path.
  const auto ext = fs::path(name).extension();
  bool is_path = name.find('/') != std::string::npos || ext == ".yaml" || ext == ".yml" || ext == ".json";
  if (is_path) return name;
  auto known = ids(kind);
  if (std::find(known.begin(), known.end(), name) != known.end()) {
    return (root_ / kind / (name + extension_of(kind))).string();
  }
  core::Diagnostic d;
  d.code = core::ErrorCode::kNotFound;
  // "chips" -> "chip", "memories" -> "memory"
  const bool ies = kind.size() > 3 && kind.substr(kind.size() - 3) == "ies";
  const std::string singular = ies ? std::string(kind.substr(0, kind.size() - 3)) + "y"
                                   : std::string(kind.substr(0, kind.size() - 1));
  d.message = fmt::format("unknown {} '{}'", singular, name);
  if (auto near = core::closest_match(name, known)) d.notes.push_back(fmt::format("did you mean '{}'?", *near));
  d.notes.push_back(fmt::format("known {}: {}", kind, known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
  return d;
}

core::Result<Node> load_with_presets(const Catalog& catalog, std::string_view kind, const std::string& path,
                                     const Overrides& overrides) {
  std::vector<std::string> chain{path};
  auto doc = resolve(catalog, kind, path, chain);
  if (!doc || overrides.empty()) return doc;
  Node tree = std::move(doc).value();
  core::Diagnostics errors;
  for (const auto& o : overrides) {
    auto problems = apply_override(tree, o);
    errors.insert(errors.end(), problems.begin(), problems.end());
  }
  if (!errors.empty()) return errors;
  return tree;
}

core::Result<Node> catalog_document(const Catalog& catalog, std::string_view kind, std::string_view id_or_path) {
  auto path = catalog.locate(kind, id_or_path);
  if (!path) return path.errors();
  return load_with_presets(catalog, kind, *path);
}

}  // namespace tfab::config
