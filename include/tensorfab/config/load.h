#pragma once
// Finding and loading input documents: the shipped data catalog (chips,
// models, scenarios by id), presets (`preset: h100-sxm` and field overrides)
// and command-line `--set` overrides, applied in that order.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tensorfab/config/node.h"

namespace tfab::config {

// A data folder with one subfolder per kind: chips/*.yaml, models/*.json,
// scenarios/*.yaml. An item's id is its file name without the extension.
class Catalog {
 public:
  explicit Catalog(std::filesystem::path root) : root_(std::move(root)) {}

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  // Sorted ids of one kind ("chips", "models", "scenarios").
  [[nodiscard]] std::vector<std::string> ids(std::string_view kind) const;
  // A file path for an id or a path: anything with a '/' or ending in
  // .yaml, .yml or .json is taken as a path; an unknown id is an error with the known
  // ids and a did-you-mean.
  [[nodiscard]] core::Result<std::string> locate(std::string_view kind, std::string_view id_or_path) const;

  // The same catalog, remembering every folder listing and parsed file it
  // reads (copies share what is remembered; safe from several threads). For
  // runs that load the same files thousands of times, as a sweep does,
  // while the files do not change.
  [[nodiscard]] Catalog remembering() const;
  // A parsed file: read once when remembering, else every time.
  [[nodiscard]] core::Result<Node> document(const std::string& path) const;

  // The same catalog with one more document of `kind`, given as a tree
  // rather than a file (a Python dict): `locate(kind, id)` finds it before
  // the shipped files, and it is read like a file named `id`.
  [[nodiscard]] Catalog with_document(std::string_view kind, const std::string& id, Node doc) const;

 private:
  struct Memory;
  using Given = std::map<std::string, Node, std::less<>>;  // by the path locate gives
  std::filesystem::path root_;
  std::shared_ptr<Memory> memory_;
  std::shared_ptr<const Given> given_;
};

// Loads a document and resolves its `preset:` chain (a preset may itself
// name a preset) against `kind` in the catalog; the file's own keys override
// the preset's. Then applies the `--set` overrides in order.
[[nodiscard]] core::Result<Node> load_with_presets(const Catalog& catalog, std::string_view kind,
                                                   const std::string& path,
                                                   const Overrides& overrides = {});

// The document an id or path names, presets resolved, no overrides: for
// looking at a document before choosing how to read it.
[[nodiscard]] core::Result<Node> catalog_document(const Catalog& catalog, std::string_view kind,
                                                  std::string_view id_or_path);

// The whole road from a name to a validated spec: locate (id or path), load
// with presets and overrides, then `read(doc, id)` where the id is the file
// name without its extension; the spec gets the fingerprint of the document
// it was read from.
template <class Read>
auto load_spec(const Catalog& catalog, std::string_view kind, std::string_view id_or_path,
               const Overrides& overrides, Read read) -> decltype(read(std::declval<const Node&>(), std::string())) {
  auto path = catalog.locate(kind, id_or_path);
  if (!path) return path.errors();
  auto doc = load_with_presets(catalog, kind, *path, overrides);
  if (!doc) return doc.errors();
  auto spec = read(*doc, std::filesystem::path(*path).stem().string());
  if (spec) spec.value().fingerprint = fingerprint(*doc);
  return spec;
}

}  // namespace tfab::config
